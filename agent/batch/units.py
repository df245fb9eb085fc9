"""Work units of a batch run: one patient's notes, grouped wherever they stand in the input.

De-identification needs a patient's notes together (one surrogate key and one date shift per
patient; an identifier found in one note is looked for in all), so the unit of work is the
patient. A unit carries every note of the patient, each marked ``emit`` when its result is
still to be written: a patient with one new note is de-identified with all of them, and only
the new one is written.

A unit travels between processes as a JSON string (the same on the local engine and on Ray),
with the stages' results and failures added to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.batch.sources import text_sha256
from agent.schemas.notes import Note


@dataclass(frozen=True)
class NoteKey:
    """A result's key: the note id and the sha256 of the text it was computed from."""

    note_id: str
    sha256: str

    def as_list(self) -> list[str]:
        """JSON form."""
        return [self.note_id, self.sha256]


@dataclass
class PendingWork:
    """The units still to run and what the input held."""

    units: list[str] = field(default_factory=list)
    notes_total: int = 0
    notes_pending: int = 0
    notes_done: int = 0


def group_units(notes: Iterable[tuple[int, Note]], done: set[NoteKey]) -> PendingWork:
    """Group ``(ordinal, note)`` pairs by patient into JSON units.

    Args:
        notes: the readable notes with their position in the input.
        done: keys already written (results and failures of committed shards).

    Returns:
        The units holding at least one note to emit, in order of their first note.
    """
    by_patient: dict[str, list[dict]] = {}
    work = PendingWork()
    for ordinal, note in notes:
        sha = text_sha256(note.text)
        is_done = NoteKey(note.note_id, sha) in done
        work.notes_total += 1
        work.notes_done += is_done
        work.notes_pending += not is_done
        by_patient.setdefault(note.patient_id, []).append(
            {"note": note.model_dump(mode="json"), "ordinal": ordinal, "sha256": sha,
             "emit": not is_done})
    for patient_id, entries in by_patient.items():
        if any(e["emit"] for e in entries):
            work.units.append(json.dumps(
                {"patient_id": patient_id, "notes": entries, "results": {}, "failures": {},
                 "meta": {}}, ensure_ascii=False))
    return work


def unit_notes(unit: dict, *, emitted_only: bool = True) -> list[Note]:
    """The notes of a parsed unit still alive (not failed), the emitted ones by default."""
    out = []
    for entry in unit["notes"]:
        nid = entry["note"]["note_id"]
        if emitted_only and not entry["emit"]:
            continue
        if nid in unit["failures"]:
            continue
        out.append(Note.model_validate(entry["note"]))
    return out


def note_count(unit_json: str) -> int:
    """How many notes of a unit are emitted (for progress)."""
    return sum(1 for e in json.loads(unit_json)["notes"] if e["emit"])
