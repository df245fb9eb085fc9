"""A cohort database from notes on disk: the notes are stored (facts cite them and their
snippets are cut from them) and every patient's facts built, in a migrated store.

``clinagent cohort QUERY NOTES`` builds one in a temporary SQLite file; the batch loader
(:func:`load_batch_facts`) writes the facts of a ``clinagent batch`` run's extractions
into the service's database.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy.engine import Engine

from agent.cohorts.fact_store import write_patient_facts
from agent.errors import InputError
from agent.rules import Rules
from agent.schemas.extraction import NoteExtraction
from agent.schemas.notes import Note
from agent.store import repository as repo
from agent.store.engine import make_sessionmaker, upgrade

logger = logging.getLogger(__name__)


def load_notes(engine: Engine, notes: Iterable[Note], rules: Rules, *,
               extract: Callable[[Note], NoteExtraction] | None = None,
               extractions: dict[str, NoteExtraction] | None = None) -> tuple[int, int]:
    """Store notes and build their patients' facts (migrates the database first).

    Args:
        engine: the database.
        notes: the notes (any order, several patients).
        rules: the rule set of the timeline.
        extract: extracts a note that ``extractions`` lacks.
        extractions: extractions already made, by note id.

    Returns:
        ``(patients, fact rows)`` written.

    Raises:
        InputError: a note has no extraction and no extractor was given.
    """
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    by_patient: dict[str, list[Note]] = defaultdict(list)
    for note in notes:
        by_patient[note.patient_id].append(note)
    given = dict(extractions or {})
    facts = 0
    for pid in sorted(by_patient):
        with sessions() as session:
            repo.upsert_notes(session, by_patient[pid])
            session.flush()
            # Every stored note of the patient: the timeline reads all of them.
            rows = repo.patient_notes(session, pid)
            cached = repo.cached_extractions(session, rows)
            stored = [repo.to_note(r) for r in rows]
            done = []
            for note in stored:
                ext = given.get(note.note_id) or cached.get(note.note_id)
                if ext is None:
                    if extract is None:
                        raise InputError("extractions", "no extraction for note "
                                         f"{note.note_id!r}",
                                         fix="Pass the batch run's results of these notes")
                    ext = extract(note)
                done.append(ext)
            facts += write_patient_facts(session, stored, done, rules)
            session.commit()
    logger.info("cohort facts: %d patient(s), %d fact row(s)", len(by_patient), facts)
    return len(by_patient), facts


def batch_results(out_dir: str | Path, notes: Iterable[Note],
                  ) -> tuple[list[Note], dict[str, NoteExtraction]]:
    """The notes and extractions of a ``clinagent batch`` run (its ``results`` files).

    Where the run de-identified the notes before extracting, the extraction's offsets are
    into the de-identified text: that text is the note stored with the facts (the cohort
    database then holds no more than the run's output). Otherwise the input notes are.

    Raises:
        InputError: the run has no extraction results (run it with the extract stage), or
            a result's note is missing from ``notes`` and was not de-identified.
    """
    # Deferred: the batch sinks import numpy and, for Parquet, pyarrow.
    from agent.batch.sinks import read_results

    given = {n.note_id: n for n in notes}
    out_notes: list[Note] = []
    out: dict[str, NoteExtraction] = {}
    for row in read_results(out_dir):
        payload = row.get("extraction")
        if not payload:
            continue
        ext = NoteExtraction.model_validate(json.loads(payload) if isinstance(payload, str)
                                            else payload)
        note = given.get(ext.note_id)
        if row.get("deid_text") is not None:
            note = Note(patient_id=row["patient_id"], note_id=row["note_id"],
                        note_type=row.get("note_type") or "unknown", date=row.get("date"),
                        text=row["deid_text"])
        if note is None:
            raise InputError(str(out_dir), f"note {ext.note_id!r} of the run is not in the "
                             "notes given", fix="Pass the batch run's input notes")
        out_notes.append(note)
        out[ext.note_id] = ext
    if not out:
        raise InputError(str(out_dir), "the batch run holds no extraction results",
                         fix="Run clinagent batch with the extract stage")
    return out_notes, out


def load_batch_facts(engine: Engine, notes: Iterable[Note], out_dir: str | Path,
                     rules: Rules) -> tuple[int, int]:
    """Write the facts of a batch run's extractions (and their notes) into a database.

    Returns:
        ``(patients, fact rows)`` written.
    """
    run_notes, extractions = batch_results(out_dir, notes)
    return load_notes(engine, run_notes, rules, extractions=extractions)
