"""Diagnosis head terms from ICD-10-CM titles: the everyday names of common diagnoses that
the MeSH variants lack ("diabetes", "delirium", "dementia", "acute appendicitis").

Source (offline, the CMS tabular XML shipped in ``simple_icd_10_cm``): the titles of the
3-character categories and blocks of chapters A-R, and the inclusion terms marked NOS
("diabetes NOS" under E11).
A title is cut to its head: parentheses and what follows a comma, "due to", "with",
"without" or "NOS" go ("Delirium due to known physiological condition" -> "delirium"),
leading "other" / "unspecified" too. One-word heads must read as a condition, not an
adjective, an organ or a plural class name ("cardiac", "dorsopathies"), and must not be on
the disease stop-list. Chapters S-Z (injuries, external causes, encounters) are left out:
their titles name circumstances, not the patient's diagnoses.
"""

from __future__ import annotations

import re
from functools import lru_cache

from agent.nlp.vocab.icd10cm_index import SOURCE_INCLUSION, read_inclusion_terms, tabular_titles
from agent.nlp.vocab.vocab_rules import disease_stopwords

_CHAPTERS = tuple("ABCDEFGHIJKLMNOPQR")
# Mental (F) and symptom (R) chapters, whose titles pair two symptom names with "and".
_PAIRED_CHAPTERS = ("F", "R")
_STATE_NOUN = re.compile(r"[a-z]{4,}(?:ness|ity|ation|ia|ism)")
_TAIL = re.compile(r"\s*(?:,|\bdue to\b|\bwith\b|\bwithout\b|\bin diseases classified "
                   r"elsewhere\b|\bnot elsewhere classified\b|\bNOS\b|:|;).*$", re.IGNORECASE)
_LEAD = re.compile(r"^(?:other and unspecified|other|unspecified)\s+", re.IGNORECASE)
_ADJECTIVE = re.compile(r"(?:ic|ac|al|ive|ent|ous|ar|ary|ed|ing)$")
_NOS = re.compile(r"\bNOS\b")
# What is left of a title cut in the middle ("Other specified ...", "Obesity, class 1",
# "NIHSS score 15", "... associated with"): not a name a note writes.
_FRAGMENT = re.compile(r"\d|\b(?:specified|associated|class|type|stage|site|sites|part|"
                       r"region|elsewhere|classified|score|complicating)\b", re.IGNORECASE)


def head(title: str) -> str:
    """The head of an ICD-10-CM title, lower case ("" when nothing is left)."""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", title)
    text = _LEAD.sub("", _TAIL.sub("", text).strip())
    text = re.sub(r"\s+unspecified$", "", text, flags=re.IGNORECASE)
    return " ".join(text.lower().split())


def _reads_as_condition(word: str, stop: set[str]) -> bool:
    # A plural names a class of diseases ("dorsopathies", "infestations"); "diabetes" and
    # "herpes" end in -es without being plurals of a -y word.
    plural = word.endswith("s") and not (word.endswith("es") and not word.endswith("ies"))
    return (word.isalpha() and len(word) >= 6 and word not in stop
            and not _ADJECTIVE.search(word) and not plural)


@lru_cache(maxsize=1)
def icd10cm_heads() -> dict[str, str]:
    """Head term -> the ICD-10-CM code (category, block or NOS term) it came from.

    Raises:
        VocabularyError: the package data is missing.
        RuleFileError: the stop-list file is invalid.
    """
    stop = disease_stopwords()
    titles: dict[str, str] = {}
    for code, title in tabular_titles():
        if code.startswith(_CHAPTERS) and (len(code) == 3 or "-" in code):
            titles.setdefault(head(title), code)
    for code, _source, text in read_inclusion_terms():
        if code.startswith(_CHAPTERS) and _NOS.search(text):
            titles.setdefault(head(text), code)
    # Subcategory titles that are a plain name once cut ("Hypomagnesemia" E83.42,
    # "Nystagmus" H55.0, "Hypertensive urgency" I16.0): the category title above them is
    # often a group ("Disorders of magnesium metabolism") no note writes.
    subcategories: dict[str, str] = {}
    for code, title in tabular_titles():
        if code.startswith(_CHAPTERS) and len(code) > 3 and "-" not in code:
            term = head(title)
            # Only a title that IS the name: "Female with more than three X chromosomes"
            # or "Other instability, unspecified joint" cut to a head say nothing alone.
            whole = _LEAD.sub("", " ".join(re.sub(r"\([^)]*\)", "", title).lower().split()))
            if (code.startswith(_PAIRED_CHAPTERS) and whole == term and " and " in term
                    and all(len(p.split()) == 1 for p in term.split(" and "))):
                # Symptom codes pair two names in one title ("Restlessness and agitation"
                # R45.1, "Irritability and anger" R45.4): each one-word part that is a
                # state noun is a name a note writes alone; a title with a longer part
                # ("abnormalities of gait and mobility") is no such pair.
                for part in term.split(" and "):
                    if _STATE_NOUN.fullmatch(part):
                        subcategories.setdefault(part, code)
            elif whole in (term, f"{term}, unspecified") and len(term.split()) <= 3 \
                    and not _FRAGMENT.search(term):
                subcategories.setdefault(term, code)
    out = {}
    for term, code in [*titles.items(), *subcategories.items()]:
        words = term.split()
        if term in out or not words or len(words) > 4 or len(term) < 4 or term in stop:
            continue
        if len(words) == 1 and not _reads_as_condition(term, stop):
            continue
        out[term] = code
    return out


# Symptom codes whose inclusion terms are no finding of the patient: coma-scale answers
# (R40.2-: "obeys commands", "withdraws to touch"), age and death (R54, R95-R99), growth
# milestones (R62), abnormal results of tests and imaging (R76-R94: "ppd positive",
# "inconclusive mammogram").
_NOT_A_FINDING_CODE = re.compile(r"^(?:R40\.2|R54|R62|R7[6-9]|R8|R9)")
# A one-word inclusion term is kept when it reads as a state noun ("tiredness",
# "lethargy", "twitching" aside); "fit", "falling", "shadow" are ordinary words.
_STATE_WORD = re.compile(r"[a-z]{4,}(?:ness|ity|ia|sis|rrhea|gy)")


@lru_cache(maxsize=1)
def symptom_inclusion_terms() -> dict[str, str]:
    """Inclusion terms of the symptom chapter (R) -> code: the plain and lay names a code
    also covers ("tiredness", "lack of energy" R53.83; "pins and needles" R20.2; "loss of
    appetite" R63.0; "facial droop" R29.810), cut to their head; at most three words.

    Raises:
        VocabularyError: the package data is missing.
        RuleFileError: the stop-list file is invalid.
    """
    stop = disease_stopwords()
    out: dict[str, str] = {}
    for code, source, text in read_inclusion_terms():
        if not code.startswith("R") or source != SOURCE_INCLUSION \
                or _NOT_A_FINDING_CODE.match(code) or "/" in text:
            continue
        term = head(text)
        words = term.split()
        if (not words or len(words) > 3 or term in stop or _FRAGMENT.search(term)
                or re.search(r"\bnec\b", term)):
            continue
        if len(words) == 1 and not _STATE_WORD.fullmatch(term):
            continue
        out.setdefault(term, code)
    return out
