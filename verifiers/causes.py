"""Cause claims: "the headache was due to migraine", "NSAIDs caused the kidney injury",
"the AKI was NSAID-induced".

A statement that gives one problem (or a drug) as the established cause of another claims
more than that both are in the notes: it claims the notes settled the link. The notes
often name such a link only as a possibility ("migraine is a possible cause of the
headache", "NSAID contribution possible"). So:

- the statement's own hedge ("likely due to", "may have contributed") is part of its claim:
  a hedged cause is not compared here (the notes' hedge backs it);
- an unhedged cause is CONTRADICTED (``wrong_certainty``) when the notes name the cause and
  the effect together only in hedged sentences (each sentence of the notes that names both
  leaves the link open);
- a note sentence that names both without a hedge, or no sentence naming both, leaves the
  verdict to the other checks (the notes do not speak to the link's certainty).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from agent.schemas.extraction import Entity
from agent.schemas.verification import EvidenceSpan, Verification
from verifiers.claims import DRUG_TYPES, Mention, same_concept

# Effect first: "X was due to Y", "X secondary to Y", "X caused by Y".
_EFFECT_THEN_CAUSE = re.compile(
    r"\b(?:due to|caused by|secondary to|attributed to|attributable to|(?:the|a) result of|"
    r"resulting from|(?:was|is|were|are) from|because of|explained by|2/2)\b", re.IGNORECASE)
# Cause first: "Y caused X", "Y was the cause of X", "Y led to X".
_CAUSE_THEN_EFFECT = re.compile(
    r"\b(?:caused|causing|led to|leading to|resulted in|(?:was|is) the cause of|"
    r"explains|explained)\b(?!\s+by\b)", re.IGNORECASE)
# A cause written as a compound ("NSAID-induced", "drug-related").
_CAUSE_SUFFIX = re.compile(r"-(?:induced|related|associated|mediated)\b", re.IGNORECASE)
# Words that leave a link open, in a statement or in a note sentence.
HEDGE = re.compile(
    r"\b(?:likely|unlikely|probabl[ey]|possibl[ey]|may|might|could|suspect(?:ed)?|presum\w*|"
    r"question(?:able)?|unclear|uncertain|vs\.?|versus|consider(?:ed)?|favou?r(?:ed|s)?|"
    r"contribut\w*|partly|partially|in part|concern(?:ing)? for|cannot (?:be )?exclude[d]?|"
    r"not (?:be )?excluded|r/o|rule out|differential|ddx|thought|felt|suggest\w*|"
    r"perhaps|potential(?:ly)?)\b|\?", re.IGNORECASE)

SentenceOf = Callable[[str, int], tuple[int, int] | None]
TextOf = Callable[[str], str]


def cause_link(text: str, claims: list[Entity]) -> tuple[Entity, Entity, int, int] | None:
    """(effect, cause, link start, link end) of the statement's first cause claim: the
    problem next before the link word and the problem or drug next after it (reversed for
    "caused"); None when the statement gives no cause."""
    items = sorted((c for c in claims if c.type == "PROBLEM" or c.type in DRUG_TYPES),
                   key=lambda c: c.start)
    for pattern, effect_first in ((_EFFECT_THEN_CAUSE, True), (_CAUSE_THEN_EFFECT, False)):
        for m in pattern.finditer(text):
            before = [c for c in items if c.end <= m.start()]
            after = [c for c in items if c.start >= m.end()]
            if not before or not after:
                continue
            first, second = before[-1], after[0]
            effect, cause = (first, second) if effect_first else (second, first)
            if effect.type != "PROBLEM":
                # "held because of the AKI": a drug's change and its reason are the reason
                # checks' (verifiers.reasons), not a cause of a problem.
                continue
            if re.search(r"[.;]", text[first.end:second.start]):
                continue
            return effect, cause, m.start(), m.end()
    for m in _CAUSE_SUFFIX.finditer(text):
        # "The AKI was NSAID-induced", "steroid-related hyperglycemia": the name before the
        # suffix is the cause; the effect is the problem right after, else the one before.
        causes = [c for c in items if c.end == m.start()]
        if not causes:
            continue
        after = [c for c in items if c.type == "PROBLEM" and c.start >= m.end()
                 and not text[m.end():c.start].strip()]
        before = [c for c in items if c.type == "PROBLEM" and c.end <= causes[0].start
                  and not re.search(r"[.;]", text[c.end:causes[0].start])]
        effect = after[0] if after else (before[-1] if before else None)
        if effect is not None:
            return effect, causes[0], m.start(), m.end()
    return None


def check_cause(verification: Verification, text: str, claims: list[Entity],
                mentions: Iterable[Mention], sentence_of: SentenceOf,
                text_of: TextOf) -> Verification:
    """The verification with the statement's unhedged cause claim checked against the
    certainty the notes give the link.

    Args:
        verification: the verdict of the other checks.
        text: the statement.
        claims: its entities.
        mentions: the patient's mentions.
        sentence_of: (note id, offset) -> the note sentence holding the offset.
        text_of: note id -> the note text.

    Returns:
        The same verification, or CONTRADICTED with ``wrong_certainty`` when every note
        sentence naming both the cause and the effect leaves the link open.
    """
    link = cause_link(text, claims)
    if link is None or verification.verdict == "CONTRADICTED":
        return verification
    effect, cause, lo, hi = link
    span_lo = min(effect.start, cause.start)
    span_hi = max(effect.end, cause.end)
    if HEDGE.search(text, max(0, span_lo - 30), span_hi + 20):
        return verification
    own = [m for m in mentions if m.entity.assertion != "family"]
    causes = [m for m in own if same_concept(cause, m.entity)]
    effects = [m for m in own if same_concept(effect, m.entity)]
    together: list[tuple[Mention, Mention]] = []
    for c in causes:
        sentence = sentence_of(c.note_id, c.entity.start)
        if sentence is None:
            continue
        together += [(c, e) for e in effects if e.note_id == c.note_id
                     and sentence[0] <= e.entity.start < sentence[1]]
    if not together:
        return verification
    for c, e in together:
        note = text_of(c.note_id)
        a, b = min(c.entity.start, e.entity.start), max(c.entity.end, e.entity.end)
        s_lo, s_hi = sentence_of(c.note_id, c.entity.start) or (a, b)
        # The hedge must lie in the sentence that names both: "r/o sepsis." before it
        # does not hedge "hypotension due to hypovolemia".
        hedged = c.entity.assertion in ("possible", "hypothetical") or \
            HEDGE.search(note, max(s_lo, a - 30), min(s_hi, b + 20)) is not None
        if not hedged:
            return verification
    c, e = together[-1]
    detail = (f"source ({c.note_id}): {c.entity.text} is named only as a possible cause of "
              f"{e.entity.text}; statement gives it as the established cause")
    evidence = [EvidenceSpan(note_id=c.note_id, start=min(c.entity.start, e.entity.start),
                             end=max(c.entity.end, e.entity.end), relation="contradicts")]
    return verification.model_copy(update={
        "verdict": "CONTRADICTED", "reasons": [*verification.reasons, "wrong_certainty"],
        "detail": detail, "evidence": [*evidence, *verification.evidence][:8]})
