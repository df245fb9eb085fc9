"""Reason claims: "X was stopped because of Y", "X for Y", checked against the relations
the notes state (``NoteExtraction.relations``; contradiction reason ``wrong_reason``).

The statement's own relations come from the extractor the verifier is handed (its
``extract_note``, the same relation rules as the notes). Only claims the notes can refute
are checked, because a drug has many effects and indications and the notes name few:

- a stated stop or hold reason ("held because of Y") is wrong when the notes give the
  drug's stop or hold reasons and Y is none of them, or when the notes give Y as what the
  drug treats (the reason turned around);
- a stated indication ("X for Y") is wrong when the notes give Y as an effect of X or a
  reason to stop it.

A statement naming several reasons for one drug is right when any of them is the notes'.
"An adverse reaction" or "toxicity" names no reason and is not compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from agent.schemas.extraction import Entity, Extractor, NoteExtraction, entity_id
from agent.schemas.notes import Note
from agent.schemas.summary import Citation
from agent.schemas.verification import EvidenceSpan, Verification
from verifiers.claims import DRUG_TYPES, names, same_concept

# A stop or hold is explained by an effect or a contraindication; a start by what the
# drug treats.
_STOP_TYPES = frozenset({"CAUSES", "CONTRAINDICATED_BY"})
_CHECKED = frozenset({"CAUSES", "CONTRAINDICATED_BY", "TREATS"})


_GENERIC = frozenset({
    "reaction", "reactions", "adverse", "drug", "allergic", "side", "effect", "effects",
    "toxicity", "intolerance", "hypersensitivity", "event", "events", "risk",
})
_MINOR_WORDS = frozenset({"acute", "chronic", "severe", "mild", "new", "the", "of", "and",
                          "with", "on", "possible", "active", "recurrent"})


@dataclass(frozen=True)
class ReasonFact:
    """One drug reason relation of the patient's notes."""

    note_id: str
    type: str
    head: Entity
    tail: Entity
    assertion: str
    start: int
    end: int
    is_change_reason: bool = False


def reason_facts(extractions: list[NoteExtraction]) -> list[ReasonFact]:
    """The drug reason relations (CAUSES, CONTRAINDICATED_BY, TREATS) of the notes,
    negated ones left out ("no rash on penicillin" is no reason)."""
    out = []
    for ext in extractions:
        by_id = {entity_id(e): e for e in ext.entities}
        for r in ext.relations:
            head, tail = by_id.get(r.head), by_id.get(r.tail)
            if r.type in _CHECKED and r.assertion != "negated" and head and tail:
                out.append(ReasonFact(ext.note_id, r.type, head, tail, r.assertion,
                                      r.evidence.start, r.evidence.end, r.is_change_reason))
    return out


def _words(entity: Entity) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", entity.text.lower())
            if len(w) >= 3 and w not in _MINOR_WORDS}


def _same_reason(a: Entity, b: Entity) -> bool:
    """Problems named alike: the verifier's concept match, or a shared content word
    ("prerenal AKI" and "AKI")."""
    return same_concept(a, b) or bool(_words(a) & _words(b))


def _same_drug(a: Entity, b: Entity) -> bool:
    """The verifier's drug match, plural aside ("steroids" and "steroid")."""
    return same_concept(a, b) or bool({n.rstrip("s") for n in names(a)}
                                      & {n.rstrip("s") for n in names(b)})


def _is_generic(entity: Entity) -> bool:
    return not (set(re.findall(r"[a-z]+", entity.text.lower())) - _GENERIC)


def check_reasons(verification: Verification, text: str, claims: list[Entity],
                  facts: list[ReasonFact], extractor: Extractor,
                  citations: Iterable[Citation] = ()) -> Verification:
    """The verification with the statement's reason claims checked.

    Args:
        verification: the claim checks' verdict.
        text: the statement.
        claims: its entities.
        facts: the patient's reason relations (:func:`reason_facts`).
        extractor: the extractor (the statement's relations).
        citations: the statement's citations: a cited reason of one of its drugs is
            supporting evidence (its words are the statement's: "held 7/9: euglycemic DKA
            risk").

    Returns:
        The same verification (with the cited reasons as evidence), or CONTRADICTED with
        ``wrong_reason`` and the notes' reason as contradicting evidence.
    """
    drugs = [c for c in claims if c.type in DRUG_TYPES]
    if not facts or not drugs:
        return verification
    cited = [f for f in facts if any(c.note_id == f.note_id and c.start < f.end
                                     and f.start < c.end for c in citations)
             and any(same_concept(d, f.head) for d in drugs)]
    if cited and verification.verdict == "SUPPORTED":
        verification = verification.model_copy(update={"evidence": [
            *verification.evidence, *(EvidenceSpan(note_id=f.note_id, start=f.start,
                                                   end=f.end, relation="supports")
                                      for f in cited)]})
    if not any(c.type == "PROBLEM" for c in claims):
        return verification
    said = extractor.extract_note(Note(note_id="statement", patient_id="statement",
                                       text=text))
    by_id = {entity_id(e): e for e in said.entities}
    # (drug, "stop" | "treats") -> the reasons the statement gives.
    claimed: dict[tuple[str, str], list[tuple[Entity, Entity]]] = {}
    for r in said.relations:
        head, tail = by_id.get(r.head), by_id.get(r.tail)
        if r.assertion != "present" or head is None or tail is None or _is_generic(tail):
            continue
        if r.is_change_reason and r.type in _STOP_TYPES:
            claimed.setdefault((r.head, "stop"), []).append((head, tail))
        elif r.type == "TREATS":
            claimed.setdefault((r.head, "treats"), []).append((head, tail))
    details: list[str] = []
    against: list[ReasonFact] = []
    for (_, kind), pairs in claimed.items():
        head = pairs[0][0]
        of_drug = [f for f in facts if _same_drug(head, f.head)]
        if kind == "stop":
            own = [f for f in of_drug if f.type in _STOP_TYPES and f.is_change_reason]
            other = [f for f in of_drug if f.type == "TREATS"]
        else:
            own = [f for f in of_drug if f.type == "TREATS"]
            other = [f for f in of_drug if f.type in _STOP_TYPES]
        if any(_same_reason(t, f.tail) for _, t in pairs for f in own):
            continue
        tails = [t for _, t in pairs]
        turned = [f for f in other if any(_same_reason(t, f.tail) for t in tails)]
        if turned:
            given_as = "what it treats" if kind == "stop" else "its effect or a reason to stop it"
            said_as = "why it was stopped" if kind == "stop" else "what it is for"
            details.append(f"the notes give {turned[0].tail.text} as {given_as}, not "
                           f"{said_as}")
            against += turned[:2]
        elif kind == "stop" and own:
            details.append(f"the notes give {', '.join(sorted({f.tail.text for f in own}))}"
                           f" as the reason for {head.text}, not "
                           f"{', '.join(t.text for t in tails)}")
            against += own[:2]
    if not details:
        return verification
    evidence = [EvidenceSpan(note_id=f.note_id, start=f.start, end=f.end,
                             relation="contradicts") for f in against]
    detail = "; ".join(details)
    if verification.verdict == "CONTRADICTED":
        detail = f"{verification.detail}; {detail}"
    return verification.model_copy(update={
        "verdict": "CONTRADICTED", "reasons": [*verification.reasons, "wrong_reason"],
        "detail": detail, "evidence": [*evidence, *verification.evidence][:8]})
