"""The last gate before a green badge: every content word of a SUPPORTED statement must be
found in the sentences its evidence sits in.

The claim checks confirm what they model (the concept, its assertion, dose, events). A
statement can say more ("... at the bedside", "... for the sister", "discharged on tube
feeds"): a word the evidence sentences do not contain is an unchecked part, and an
unchecked part makes the statement UNSUPPORTED, never SUPPORTED. Words inside the claims'
own spans and attributes, inside checked cue words and function words ("filler_word" cues
of ``agent/rules/cues.json``) are not asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from agent.schemas.extraction import Entity
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note
from agent.schemas.summary_rules import CueSet
from agent.schemas.verification import Verification
from verifiers.claims import Mention
from verifiers.quantities import (
    line_counts,
    line_dates,
    line_ordinals,
    stated_counts,
    stated_dates,
    stated_ordinals,
)

if TYPE_CHECKING:  # typing only: crosscheck imports this module
    from verifiers.crosscheck import PatientEvidence

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b")
# Cue kinds whose words the claim checks already weighed.
CHECKED_KINDS = ("claim_event", "switch_phrase", "drug_status", "says_current", "says_now",
                 "problem_past", "problem_ruled_out", "problem_new", "past_medication",
                 "stop_condition", "filler_word")
# Words compare by their first letters, so "increase"/"increased" and "resume"/"resuming"
# are one word.
_STEM = 5


def word_stem(word: str) -> str:
    """The form words compare by in the gate (first letters, lower case)."""
    return word.lower()[:_STEM]


def unchecked_words(text: str, claims: list[Entity], cues: CueSet) -> list[str]:
    """Content words of a statement outside its claims, attributes and checked cues."""
    return [w for w, _ in unchecked_words_at(text, claims, cues)]


def unchecked_words_at(text: str, claims: list[Entity],
                       cues: CueSet) -> list[tuple[str, int]]:
    """:func:`unchecked_words` with the offset of each word."""
    covered: list[tuple[int, int]] = []
    for c in claims:
        covered.append((c.start, c.end))
        covered.extend((a.start, a.end) for a in c.attributes.values())
    for kind in CHECKED_KINDS:
        covered.extend((m.start, m.end) for m in cues.find(kind, text, 0, len(text)))
    return [(m.group(), m.start()) for m in _WORD.finditer(text)
            if not any(a <= m.start() and m.end() <= b for a, b in covered)]


# Where a denial's reach ends inside a clause: "no rash but itching", "-- resolved".
_DENIAL_END = re.compile(r"\b(?:but|however|although|though|except)\b|--|->", re.IGNORECASE)


def denied_spans(text: str, lo: int, hi: int, cues: CueSet,
                 layout: NoteLayout | None = None) -> list[tuple[int, int]]:
    """The stretches of ``text[lo:hi]`` a denial word reaches ("No hemorrhage or
    hemorrhagic transformation"): from the word to the end of its clause, or a 'but'."""
    out = []
    for cue in cues.find("denial", text, lo, hi):
        end = layout.clause_around(cue.start, cue.end)[1] if layout is not None else hi
        end = min(end, hi)
        for stop in (".", "\n", ";", ":"):
            k = text.find(stop, cue.end, end)
            if k != -1:
                end = k
        cut = _DENIAL_END.search(text, cue.end, end)
        out.append((cue.end, cut.start() if cut else end))
    return out


# Hedges: the words after a "possible", "likely", "? ", "vs", "concern for" (to the end of
# the clause) and before a "cannot be excluded", "was considered", "is suspected" (from
# the clause start) are given as possibilities, not findings. Kept here, not in
# cues.json: they scope words for the coverage gate, not the entities the timeline reads.
_HEDGE_BEFORE = re.compile(r"\b(?:possible|possibly|probable|probably|likely|suspected|"
                           r"(?:suspicious|worrisome|concerning|suggestive|equivocal|"
                           r"(?:low|high) suspicion) (?:for|of)|concern for|presumed|presumptive|"
                           r"questionable|question of|r/o|rule out|vs\.?|versus|"
                           r"differential(?: diagnosis)?(?: includes?)?|"
                           r"(?:may|might|could) (?:have|be))\b|(?<![\w)])\?\s*(?=\w)",
                           re.IGNORECASE)
_HEDGE_AFTER = re.compile(r"\b(?:cannot|can't|could not|not) (?:yet )?(?:be |been )?"
                          r"(?:excluded|ruled out)|\b(?:is|was|are|were) (?:possible|"
                          r"suspected|considered|entertained|favou?red|likely)\b|"
                          r"\b(?:less likely|unlikely)\b|"
                          r"\b(?:(?:was|were|is|are|been) )?(?:ruled out|excluded|not supported)\b",
                          re.IGNORECASE)


_HEDGE_REACH = 40


def hedged_spans(text: str, lo: int, hi: int,
                 layout: NoteLayout | None = None) -> list[tuple[int, int]]:
    """The stretches of ``text[lo:hi]`` a hedge reaches ("likely transitional (PDA/PFO)",
    "a nodule cannot be excluded"): given as possible, not as found."""
    out = []
    for m in _HEDGE_BEFORE.finditer(text, lo, hi):
        end = layout.clause_around(m.start(), m.end())[1] if layout is not None else hi
        # A hedge qualifies the few words after it, not the evidence a parenthesis or a
        # dash adds ("presumed viral (HSV PCR negative)").
        end = min(end, hi, m.end() + _HEDGE_REACH)
        for stop in (".", "\n", ";", ":", "(", " - "):
            k = text.find(stop, m.end(), end)
            if k != -1:
                end = k
        cut = _DENIAL_END.search(text, m.end(), end)
        out.append((m.end(), cut.start() if cut else end))
    for m in _HEDGE_AFTER.finditer(text, lo, hi):
        start = layout.clause_around(m.start(), m.end())[0] if layout is not None else lo
        start = max(start, lo)
        for stop in (".", "\n", ";", ":"):
            k = text.rfind(stop, start, m.start())
            if k != -1:
                start = k + 1
        out.append((start, m.start()))
    return out


def plain_words(text: str, lo: int, hi: int, denied: list[tuple[int, int]]) -> set[str]:
    """Stems of the words of ``text[lo:hi]`` outside the denied stretches; a side written
    short ("R 2nd toe", "Lt knee", "b/l") counts as the word."""
    words = {word_stem(m.group()) for m in _WORD.finditer(text, lo, hi)
             if not any(a <= m.start() < b for a, b in denied)}
    words |= {word_stem(_SIDES[m.group().lower()]) for m in _SIDE.finditer(text, lo, hi)
              if not any(a <= m.start() < b for a, b in denied)}
    return words


_SIDE = re.compile(r"(?<![\w/])(?:R|L|Rt|Lt|rt|lt|b/l|B/L|bilat)(?![\w/])\.?")
_SIDES = {"r": "right", "rt": "right", "l": "left", "lt": "left", "b/l": "bilateral",
          "bilat": "bilateral", "r.": "right", "l.": "left", "rt.": "right", "lt.": "left",
          "bilat.": "bilateral"}


def evidence_lines(verification: Verification, notes: dict[str, Note],
                   layouts: dict[str, NoteLayout]) -> list[tuple[Note, int, int]]:
    """The note and extent of the lines holding each supporting evidence span."""
    out = []
    for span in verification.evidence:
        note = notes.get(span.note_id)
        layout = layouts.get(span.note_id)
        if note is None or layout is None or span.relation != "supports":
            continue
        lo, hi = span.start, span.end
        for line in layout.lines:
            if line.start <= span.end and span.start <= line.end:
                lo, hi = min(lo, line.start), max(hi, line.end)
        out.append((note, lo, hi))
    return out


def evidence_words(lines: list[tuple[Note, int, int]], layouts: dict[str, NoteLayout],
                   mentions: dict[str, list[Mention]],
                   cues: CueSet) -> tuple[set[str], set[str]]:
    """Stems of the words of the evidence lines (:func:`evidence_lines`) and the
    normalised values of those lines' attributes ("PO" is also "oral", "BID" "twice"):
    those outside a denial's reach ("no hemorrhagic transformation" does not give
    "hemorrhagic transformation"), and all of them."""
    plain: set[str] = set()
    every: set[str] = set()
    for note, lo, hi in lines:
        denied = denied_spans(note.text, lo, hi, cues, layouts[note.note_id])
        plain.update(plain_words(note.text, lo, hi, denied))
        every.update(plain_words(note.text, lo, hi, []))
        for m in mentions.get(note.note_id, []):
            if lo <= m.entity.start < hi:
                for a in m.entity.attributes.values():
                    plain.update(word_stem(w) for w in _WORD.findall(a.value or ""))
    return plain, every | plain



def _partly(verification: Verification, words: list[str], how: str) -> Verification:
    """UNSUPPORTED: the evidence names ``words`` only ``how`` ("as absent or denied")."""
    return verification.model_copy(update={
        "verdict": "UNSUPPORTED",
        "detail": f"partly supported: {verification.detail}; the notes give "
                  f"{', '.join(words)} only {how}"})

def gate(verification: Verification, text: str, claims: list[Entity],
         evidence: PatientEvidence, cited_notes: Iterable[str] = ()) -> Verification:
    """A SUPPORTED verdict stays only when its evidence lines contain every content word of
    the statement; else UNSUPPORTED, naming the words no evidence line holds.

    ``cited_notes``: the notes the statement cites; their dates count as stated ("dose
    changed ... 2026-03-14" citing the 3/14 note), as an evidence line's note date does."""
    if verification.verdict == "NOT_CHECKABLE":
        return _uncheckable(verification, text, evidence)
    if verification.verdict != "SUPPORTED":
        return verification
    denied_phrase = _denied_phrases(text, claims, evidence)
    if denied_phrase:
        return _partly(verification, denied_phrase, "as absent or denied")
    lines = evidence_lines(verification, evidence.notes, evidence.layouts)
    have, have_any = evidence_words(lines, evidence.layouts, evidence.by_note, evidence.cues)
    # A word the statement itself denies ("no hemorrhage") may be found denied.
    said_denied = denied_spans(text, 0, len(text), evidence.cues)
    missing = [w for w, at in unchecked_words_at(text, claims, evidence.cues)
               if word_stem(w) not in (have_any if any(a <= at < b for a, b in said_denied)
                                       else have)]
    note_dates = [evidence.notes[n].date for n in cited_notes if n in evidence.notes]
    missing += _missing_counts_and_dates(lines, text, claims, note_dates)
    if not missing:
        hedged = _hedged_only(text, claims, evidence)
        if hedged:
            return _partly(verification, hedged, "as possible, suspected or excluded")
        return verification
    shown = ", ".join(dict.fromkeys(w.lower() for w in missing))
    return verification.model_copy(update={
        "verdict": "UNSUPPORTED",
        "detail": f"partly supported: {verification.detail}; not found in the cited "
                  f"evidence: {shown}"})


_FUNCTION_WORDS = frozenset({"the", "and", "with", "from", "for", "his", "her", "their", "has",
                             "had", "have", "was", "were", "any", "into", "onto", "than",
                             "that", "this", "not", "nor", "but"})
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z-]{2,})\s+$")


def _denied_phrases(text: str, claims: list[Entity], evidence: PatientEvidence) -> list[str]:
    """A problem with the word before it ("active bleeding", "new effusion") that the notes
    write only where a denial reaches ("No active bleeding"): the concept alone is found,
    the statement's phrase is denied."""
    out = []
    for claim in claims:
        if claim.type != "PROBLEM" or claim.assertion != "present":
            continue
        before = _WORD_BEFORE.search(text, max(0, claim.start - 30), claim.start)
        if before is None or before.group(1).lower() in _FUNCTION_WORDS or any(
                c.start <= before.start(1) < c.end for c in claims):
            continue
        words = f"{before.group(1)} {claim.text}".split()
        rx = re.compile(r"(?<![\w-])" + r"\s+".join(map(re.escape, words)) + r"(?![\w-])",
                        re.IGNORECASE)
        hits = [(note_id, m.start()) for note_id, note in evidence.notes.items()
                for m in rx.finditer(note.text)]
        if hits and all(any(a <= at < b for a, b in evidence.denied[note_id])
                        for note_id, at in hits):
            out.append(" ".join(words))
    return out


def _missing_counts_and_dates(lines: list[tuple[Note, int, int]], text: str,
                              claims: list[Entity],
                              note_dates: Iterable[str | None] = ()) -> list[str]:
    """Counts, ordinals and dates of a statement that no evidence line (or, for a date, no
    cited note's date) states."""
    covered = [(c.start, c.end) for c in claims] + [
        (a.start, a.end) for c in claims for a in c.attributes.values()]
    covered += [(m.start(), m.end()) for m in _DATE.finditer(text)]
    counts = stated_counts(text, covered)
    ordinals = stated_ordinals(text, covered)
    dates = stated_dates(text)
    if not (counts or ordinals or dates):
        return []
    have_counts = {n for note, lo, hi in lines for n in line_counts(note.text[lo:hi])}
    have_ordinals = {n for note, lo, hi in lines for n in line_ordinals(note.text[lo:hi])}
    have_dates = {md for note, lo, hi in lines
                  for md in line_dates(note.text[lo:hi], note.date)}
    have_dates |= {md for d in note_dates for md in line_dates("", d)}
    return ([w for w, n in counts if n not in have_counts]
            + [w for w, n in ordinals if n not in have_ordinals]
            + [w for w, md in dates if md not in have_dates])


def _uncheckable(verification: Verification, text: str,
                 evidence: PatientEvidence) -> Verification:
    """A statement with no claim the extractor finds stays NOT_CHECKABLE only when it says
    nothing checkable we failed to check: its words and numbers are all in the patient's
    notes ("A primary-prevention ICD was implanted" is UNSUPPORTED when no note says
    "implanted"; "About 50 cm was resected" when no note says 50)."""
    at = unchecked_words_at(text, [], evidence.cues)
    words = [w for w, _ in at]
    have = evidence.word_stems
    missing = [w for w in words if word_stem(w) not in have]
    undated = _DATE.sub(" ", text)  # dates are written many ways: not compared as numbers
    missing += [n for n in _NUMBER.findall(undated) if n not in evidence.numbers]
    # "She had painful mouth sores", "he was delirious", "he carries a BRCA2 mutation":
    # words the notes hold only where a denial reaches ("denies ... mouth sores", "no
    # delirium") or in a relative's history state what the notes deny or give to someone
    # else, unless the statement denies them too.
    said_denied = denied_spans(text, 0, len(text), evidence.cues)
    denied_only = [w for w, i in at if word_stem(w) in have
                   and word_stem(w) not in evidence.affirmed_stems
                   and not any(a <= i < b for a, b in said_denied)]
    if not missing and not denied_only:
        hedged = _hedged_only(text, [], evidence)
        if hedged:
            return verification.model_copy(update={
                "verdict": "UNSUPPORTED",
                "detail": f"the notes give {', '.join(hedged)} only as possible, "
                          "suspected or excluded: not confirmed"})
    if not missing:
        undone = _deeds_not_done(text, evidence)
        if undone:
            return verification.model_copy(update={
                "verdict": "UNSUPPORTED",
                "detail": f"says {', '.join(undone)}; the notes name it only as planned, "
                          "requested, deferred or not done: not confirmed"})
    if denied_only and not missing:
        shown = ", ".join(dict.fromkeys(w.lower() for w in denied_only))
        return verification.model_copy(update={
            "verdict": "UNSUPPORTED",
            "detail": f"the notes name {shown} only as absent or denied, or of a relative: "
                      "not confirmed"})
    if not missing:
        return verification
    shown = ", ".join(dict.fromkeys(w.lower() for w in missing))
    return verification.model_copy(update={
        "verdict": "UNSUPPORTED",
        "detail": f"no checkable fact for what it states ({shown}): not confirmed"})


# "was circumcised", "had been extubated", "were biopsied": a passive past participle
# states a deed done to the patient.
_DEED = re.compile(r"\b(?:was|were|been|got|is|are)\s+(?:\w+ly\s+)?([A-Za-z]{4,}(?:ed|en))\b",
                   re.IGNORECASE)


def _hedged_only(text: str, claims: list[Entity], evidence: PatientEvidence) -> list[str]:
    """Words of a statement that states them plainly ("The murmur is due to a PDA") which
    the notes write only where a hedge reaches ("likely transitional (PDA/PFO)"): the
    statement is surer than the notes. Words it hedges or denies itself are left alone."""
    own = hedged_spans(text, 0, len(text)) + denied_spans(text, 0, len(text), evidence.cues)
    out = []
    for w, at in unchecked_words_at(text, claims, evidence.cues):
        stem = word_stem(w)
        if stem in evidence.affirmed_stems and stem not in evidence.certain_stems \
                and not any(a <= at < b for a, b in own):
            out.append(w.lower())
    return list(dict.fromkeys(out))


def _deeds_not_done(text: str, evidence: PatientEvidence) -> list[str]:
    """The deeds a statement states ("he was circumcised before discharge") whose word the
    notes write only in plans, requests, deferrals or denials: the notes do not say it was
    done. A participle that is itself a plan or denial word ("was deferred") is no deed."""
    out = []
    for m in _DEED.finditer(text):
        word = m.group(1)
        if evidence.cues.denied_at(text, m.start()) or any(
                evidence.cues.find(kind, word, 0, len(word))
                for kind in ("todo", "condition", "denial")) or any(
                c.label in ("planned", "pending", "not_yet")
                for c in evidence.cues.find("claim_event", word, 0, len(word))):
            continue
        stem = word_stem(word)
        if stem in evidence.word_stems and stem not in evidence.done_stems:
            out.append(f"'{m.group(0)}'")
    return out


def word_stems(texts: Iterable[str]) -> set[str]:
    """Stems of every word of some texts (the patient's notes: built once per patient)."""
    return {word_stem(w) for text in texts for w in _WORD.findall(text)}


def numbers(texts: Iterable[str]) -> set[str]:
    """Every number written in some texts."""
    return {n for text in texts for n in _NUMBER.findall(text)}
