"""Why a drug changed, read from a note's relations: the timeline's ``reason`` of an event.

A stop or a hold is explained by a ``CAUSES`` relation (the adverse effect: "stopped
2023 for hyponatremia") or a ``CONTRAINDICATED_BY`` one ("Metformin on hold (AKI)"); a
start, a resumption or a dose change by a ``TREATS`` relation ("start lisinopril for
HTN"). Only relations of the mention the event cites count (the same words); a negated
relation is no reason, a speculated one is given with "(possible)".
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.schemas.extraction import Entity, NoteExtraction, Relation, entity_id

# change -> relation types that explain it, in order of preference.
REASON_TYPES: dict[str, tuple[str, ...]] = {
    "stopped": ("CAUSES", "CONTRAINDICATED_BY"),
    "held": ("CAUSES", "CONTRAINDICATED_BY"),
    "started": ("TREATS",),
    "resumed": ("TREATS",),
    "dose_changed": ("CAUSES", "CONTRAINDICATED_BY"),
}


@dataclass(frozen=True)
class ChangeReason:
    """The reason's words and where they are (offsets into the note)."""

    text: str
    start: int
    end: int
    relation_type: str


def change_reason(extraction: NoteExtraction, drug: Entity, change: str,
                  ) -> ChangeReason | None:
    """The reason a note gives for one change of a drug, None when it gives none.

    Args:
        extraction: the note's extraction (relations and entities).
        drug: the drug mention the change was read at.
        change: the timeline change (stopped, held, started, resumed, dose_changed...).

    Returns:
        The tail of the first explaining relation of that mention, or None.
    """
    wanted = REASON_TYPES.get(change)
    if not wanted or not extraction.relations:
        return None
    head = entity_id(drug)
    by_id = {entity_id(e): e for e in extraction.entities}
    for kind in wanted:
        for relation in extraction.relations:
            if relation.head != head or relation.type != kind \
                    or relation.assertion == "negated":
                continue
            tail = by_id.get(relation.tail)
            if tail is None:
                continue
            start, end = _phrase(relation, tail)
            words = " ".join(relation.evidence.text[start - relation.evidence.start:
                                                    end - relation.evidence.start].split())
            if relation.assertion == "speculated":
                words += " (possible)"
            return ChangeReason(words, start, end, kind)
    return None


def _phrase(relation: Relation, tail: Entity) -> tuple[int, int]:
    """The reason as written: from the linking words to the end of the phrase holding the
    tail ("hold empagliflozin (acute illness, euglycemic DKA risk)" -> "euglycemic DKA
    risk"; "during active infection (next dose ...)" -> "active infection"), so a risk
    is not reported as the disease itself."""
    ev = relation.evidence
    if relation.trigger is None or relation.trigger.end > tail.start:
        # The reason written before the drug ("hyperglycemia - insulin lispro"): its name.
        return tail.start, tail.end
    start = relation.trigger.end
    # Only the comma-separated part holding the tail ("acute illness, euglycemic DKA
    # risk" -> "euglycemic DKA risk"): one reason, the one the relation links.
    comma = ev.text.rfind(",", start - ev.start, tail.start - ev.start)
    if comma != -1:
        start = ev.start + comma + 1
    closing = "),;\n" if relation.trigger.text == "(" else "(),;.\n"
    end = tail.end
    while end < ev.end and ev.text[end - ev.start] not in closing:
        end += 1
    text = ev.text[start - ev.start:end - ev.start]
    start += len(text) - len(text.lstrip())
    end -= len(text) - len(text.rstrip())
    return start, max(end, tail.end)
