"""The newborn of an obstetric patient is another person: "Infant to NICU for respiratory
distress", "the baby remains on CPAP" in the mother's delivery note or postpartum summary
give the newborn's problems, which a handoff of the mother must not list as hers.

Only a record whose patient is an adult (an age of 12 years or more, or a gravida/para
shorthand) is read this way: in a pediatric record "the infant" is the patient.
"""

from __future__ import annotations

import re

from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note

# "31 y/o", "31-year-old", "31 yo"; "G2P1001", "G3 P2".
_AGE = re.compile(r"\b(\d{1,3})\s*-?\s*(?:y/?o|yo|years?[- ]old)\b", re.IGNORECASE)
_GRAVIDA = re.compile(r"\bG\d{1,2}\s?P\d{1,4}\b")
# A sentence whose subject is the newborn ("Infant to NICU ...", "The baby remains ...",
# "Her newborn son was ..."); "infant formula" or "infant of a diabetic mother" is not one.
_NEWBORN_SUBJECT = re.compile(r"\s*(?:[-*\u2022]\s*)?(?:(?:the|her|his|their)\s+)?"
                              r"(?:(?:newborn|liveborn)\s+)?(?:infant|baby|newborn|neonate)"
                              r"(?:\s+(?:girl|boy|son|daughter))?\b(?!\s+(?:formula|of)\b)",
                              re.IGNORECASE)


def is_birth_parent(notes: list[Note]) -> bool:
    """Whether the patient of these notes is an adult or an obstetric patient, so that a
    newborn named in them is someone else."""
    for note in notes:
        if _GRAVIDA.search(note.text):
            return True
        if any(int(m.group(1)) >= 12 for m in _AGE.finditer(note.text)):
            return True
    return False


def said_of_newborn(text: str, start: int, layout: NoteLayout) -> bool:
    """Whether the sentence holding offset ``start`` has the newborn as its subject."""
    for span in layout.sentences:
        if span.start <= start < span.end:
            return _NEWBORN_SUBJECT.match(text, span.start, start) is not None
    return False
