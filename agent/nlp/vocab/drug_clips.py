"""Clipped drug names: the short forms clinicians write for a generic drug ("atorva",
"amio", "dilt", "vaso", "azithro", "pip-tazo").

A clip is the generic name cut where its pharmacological stem begins (USAN stems:
atorva|statin, amio|darone, azithro|mycin, vaso|pressin, fent|anyl), possibly one or two
letters shorter (metop|rolol). It is kept only when:
- the generic has a MedlinePlus monograph (a medicine patients take, not a research
  compound), so the clip stands for a drug clinicians actually write;
- it is at least four letters and no other such generic starts with it ("levo" could be
  levofloxacin, levothyroxine or levodopa, "pred" prednisone or prednisolone: dropped);
- it is not itself a drug or disease variant, not an English word (the vocabulary of the
  spaCy English model shipped for de-identification: "form" from formoterol, "amino",
  "drone", "metro", "gent" are dropped), not a first name ("Theo" from theophylline: the
  de-identifier's philter-lite name list), and not on the drug stop-list.
Combination products ("piperacillin-tazobactam") give their parts' clips joined the way
notes join them ("pip-tazo", "pip/tazo"), each part three letters at least.

Built from the matched drug lexicon, so every clip resolves to a vocabulary ingredient.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Mapping
from functools import lru_cache

from agent.nlp.vocab.vocab_rules import DRUG_STOPLIST_FILE, StopRule, load_rules
from agent.nlp.vocab.word_lists import english_strings, first_names

# USAN/INN stems that end generic names, longest first so that "-floxacin" wins over
# "-acin". Only stems after which clinicians cut the name; receptor-class stems that end
# too many unrelated words ("-ine", "-ate") are left out.
_STEMS = tuple(sorted({
    "statin", "darone", "mycin", "micin", "floxacin", "cycline", "cillin", "penem", "azole",
    "nidazole", "conazole", "pressin", "anyl", "olol", "prolol", "ilol", "pril", "sartan",
    "dipine", "iazem", "amil", "prazole", "tidine", "setron", "triptan", "parin", "xaban",
    "gatran", "gliptin", "gliflozin", "glitazone", "sone", "olone", "asone", "azepam",
    "azolam", "apine", "idone", "oxetine", "pramine", "triptyline", "osin", "afil",
    "thiazide", "semide", "tanide", "vir", "ciclovir", "mab", "ximab", "zumab", "umab",
    "tinib", "platin", "rubicin", "taxel", "phylline", "terol", "tropium", "sonide",
    "lukast", "dronate", "tretin", "etine", "ephrine", "amine", "orphan", "codone",
    "morphone", "caine", "barbital", "epam", "iramate", "racetam", "gabalin", "pentin",
    "actone", "triene", "fibrate", "sulfa", "zolid", "bactam", "cef", "uride",
    # Monoclonal antibodies are cut before their target infix ("pembro|lizumab",
    # "ritu|ximab", "beva|cizumab", "tras|tuzumab", "ipi|limumab").
    "lizumab", "tuzumab", "cizumab", "limumab", "tuximab", "ciximab", "kinumab",
}, key=len, reverse=True))
_GENERIC = re.compile(r"[a-z]{6,}")
_COMBINATION = re.compile(r"([a-z]{6,})(?:-| and | / |/)([a-z]{6,})")
_MIN_CLIP = 4
_MIN_PART = 3
# How many letters before the stem a clip may also stop ("metop|r|olol").
_SHORTER_BY = 1


def _stem_clips(name: str) -> set[str]:
    """The clips of one generic name: the base before its stem, down to two letters
    shorter, never below four letters or within three letters of the full name."""
    for stem in _STEMS:
        if name.endswith(stem) and len(name) - len(stem) >= _MIN_CLIP:
            base = name[: len(name) - len(stem)]
            # A shortened base needs five letters: "infl" (infliximab) is also
            # "inflammation" cut short.
            shortest = max(_MIN_CLIP + 1, len(base) - _SHORTER_BY)
            clips = {base[:n] for n in range(shortest, len(base))}
            clips.add(base)
            return {c for c in clips if len(name) - len(c) >= 3}
    return set()


def _part_clips(name: str) -> set[str]:
    """Short prefixes of a combination part ("pip", "pipera", "tazo")."""
    return {name[:n] for n in range(_MIN_PART, len(name) - 2)}


def clipped_names(generics: Mapping[str, str], taken: Collection[str],
                  combinations: Mapping[str, str], stop: Collection[str]) -> dict[str, str]:
    """Clip -> canonical ingredient.

    Args:
        generics: single-word generic names (lower case) -> canonical, the names clips are
            cut from (MedlinePlus drugs).
        taken: variants other vocabularies already own (drugs, diseases, labs): never a clip.
        combinations: two-ingredient names ("piperacillin-tazobactam") -> canonical.
        stop: clips that are ordinary words or other abbreviations.
    """
    owners: dict[str, set[str]] = defaultdict(set)
    for name in generics:
        # Uniqueness is judged on every prefix, not only stem clips: "levo" is a prefix
        # of levodopa whatever stem it ends in.
        for n in range(_MIN_CLIP, len(name)):
            owners[name[:n]].add(name)
    out: dict[str, str] = {}
    for name, canonical in generics.items():
        for clip in _stem_clips(name):
            if owners[clip] == {name} and clip not in taken and clip not in stop:
                out[clip] = canonical
    for name, canonical in combinations.items():
        m = _COMBINATION.fullmatch(name)
        if not m:
            continue
        first, second = m.groups()
        for a in _part_clips(first):
            for b in _part_clips(second):
                for joined in (f"{a}-{b}", f"{a}/{b}"):
                    if joined not in taken and joined not in stop:
                        out.setdefault(joined, canonical)
    return out


@lru_cache(maxsize=1)
def drug_clips() -> dict[str, str]:
    """Clipped generic and combination names (lower case) -> canonical ingredient, for
    the extractor's matcher (not for de-identification, which keeps the full lexicon).

    Raises:
        VocabularyError: a packaged vocabulary is missing.
        RuleFileError: a rule file is invalid.
    """
    # Deferred: the drug and disease tables load with the extractor only.
    from agent.nlp.vocab.diseases import disease_lexicon
    from agent.nlp.vocab.drugs import drug_tables, drug_terms

    tables = drug_tables()
    terms = drug_terms()
    generics: dict[str, str] = {}
    combinations: dict[str, str] = {}
    for variant, term in terms.items():
        if term.is_brand:
            continue
        data = tables.canonical_data.get(term.canonical) or {}
        if not data.get("medline_plus_id"):
            continue
        if _GENERIC.fullmatch(variant) and variant == term.canonical:
            generics[variant] = term.canonical
        elif _COMBINATION.fullmatch(variant):
            combinations[variant] = term.canonical
    taken = set(terms) | set(disease_lexicon())
    out = monograph_names(tables.canonical_data, taken)
    return out | clipped_names(generics, taken, combinations,
                         _drug_stoplist() | english_strings() | first_names())


@lru_cache(maxsize=1)
def licensed_clips() -> dict[str, str]:
    """Short clips the plain clip list leaves out, for use in a medication frame only
    (:func:`agent.nlp.vocab.abbreviation_shapes.licensed_clip_hits`): clip (lower case) ->
    canonical, or "" when several medicines start with it ("dex": dexamethasone,
    dexmedetomidine; "pred": prednisone, prednisolone).

    A clip is a prefix of a MedlinePlus single-word generic, three letters at least and
    three short of the name; not a variant of another vocabulary, not a clip of the plain
    list, not an English stop word ("the", "top", "per") and not on the drug stop-list. An
    English word or a first name is allowed here ("dex", "lido", "vaso" were dropped from the
    plain list for that), because a frame must license every use.

    Raises:
        VocabularyError: a packaged vocabulary is missing.
        RuleFileError: a rule file is invalid.
    """
    # Deferred: spaCy and the drug and disease tables (heavy) load with the extractor only.
    from spacy.lang.en.stop_words import STOP_WORDS

    # Deferred, heavy: the drug and disease tables load with the extractor only.
    from agent.nlp.vocab.diseases import disease_lexicon
    from agent.nlp.vocab.drugs import drug_tables, drug_terms

    tables = drug_tables()
    terms = drug_terms()
    taken = set(terms) | set(disease_lexicon()) | set(drug_clips())
    stop = _drug_stoplist() | STOP_WORDS
    owners: dict[str, set[str]] = defaultdict(set)
    for variant, term in terms.items():
        data = tables.canonical_data.get(term.canonical) or {}
        if (term.is_brand or variant != term.canonical or not data.get("medline_plus_id")
                or not _GENERIC.fullmatch(variant)):
            continue
        for n in range(3, len(variant) - 2):
            owners[variant[:n]].add(term.canonical)
    return {clip: (next(iter(names)) if len(names) == 1 else "")
            for clip, names in owners.items() if clip not in taken and clip not in stop}


def monograph_names(canonical_data: Mapping[str, Mapping],
                    taken: Collection[str]) -> dict[str, str]:
    """Single-word MedlinePlus drug names that the package lists as a concept but not as a
    variant of itself ("oxytocin", "senna", "estradiol"), so no note could match them.

    Args:
        canonical_data: the package's concepts (name -> data with ``medline_plus_id``).
        taken: variants other vocabularies already own; an English word is left out too
            ("thyroid", "potassium": an organ and a lab test before a drug).
    """
    english = english_strings()
    out: dict[str, str] = {}
    for name, data in canonical_data.items():
        base = name.split(" (", 1)[0]
        if (data.get("medline_plus_id") and _GENERIC.fullmatch(base) and base not in taken
                and base not in english):
            out[base] = name
    return out


def _drug_stoplist() -> frozenset[str]:
    return frozenset(r.variant.lower() for r in load_rules(DRUG_STOPLIST_FILE, "drug_stoplist",
                                                           StopRule))
