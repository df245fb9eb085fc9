"""Writing the fact table: a note's facts are replaced as a whole (delete + insert in the
caller's transaction, keyed by note id and text hash), so a re-extracted or edited note
leaves no duplicate and no stale row; a patient's facts are rebuilt together because the
timeline statuses of one note depend on the patient's other notes.

Used by the service (before a query, for notes whose facts are missing or stale, and
after an ingest), the CLI (notes into a temporary database) and the batch loader.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from agent.cohorts.facts import Fact, patient_facts
from agent.cohorts.labs import LabCatalog, lab_catalog
from agent.rules import Rules
from agent.schemas.extraction import NoteExtraction, entity_id
from agent.schemas.notes import Note
from agent.store import repository as repo
from agent.store.models import (
    CohortFactCodeRow,
    CohortFactNoteRow,
    CohortFactRow,
    CohortRelationRow,
    NoteRow,
)

logger = logging.getLogger(__name__)

# Rows per INSERT statement (keeps statements well under the drivers' parameter limits).
_CHUNK = 500


def replace_note_facts(session: Session, note_id: str, patient_id: str, text_sha256: str,
                       facts: list[Fact], extraction: NoteExtraction | None = None) -> int:
    """Replace the facts of one note version, and the relations of its extraction
    (flushes; the caller commits).

    Returns:
        The number of fact rows written.
    """
    session.execute(delete(CohortRelationRow).where(CohortRelationRow.note_id == note_id))
    session.execute(delete(CohortFactCodeRow).where(CohortFactCodeRow.fact_id.in_(
        select(CohortFactRow.id).where(CohortFactRow.note_id == note_id))))
    session.execute(delete(CohortFactRow).where(CohortFactRow.note_id == note_id))
    session.execute(delete(CohortFactNoteRow).where(CohortFactNoteRow.note_id == note_id))
    fact_ids: list[int] = []
    for start in range(0, len(facts), _CHUNK):
        chunk = facts[start:start + _CHUNK]
        ids = session.execute(insert(CohortFactRow).returning(
            CohortFactRow.id, sort_by_parameter_order=True),
                              [f.row() for f in chunk]).scalars().all()
        fact_ids.extend(ids)
        codes = [{"fact_id": fid, "patient_id": f.patient_id, "system": system, "code": code}
                 for fid, f in zip(ids, chunk, strict=True) for system, code in f.codes]
        if codes:
            session.execute(insert(CohortFactCodeRow), codes)
    if extraction is not None and extraction.relations:
        session.execute(insert(CohortRelationRow),
                        relation_rows(extraction, patient_id, facts, fact_ids))
    session.add(CohortFactNoteRow(note_id=note_id, patient_id=patient_id,
                                  text_sha256=text_sha256, facts=len(facts),
                                  built_at=repo.now_iso()))
    session.flush()
    return len(facts)


def relation_rows(extraction: NoteExtraction, patient_id: str, facts: list[Fact],
                  fact_ids: list[int]) -> list[dict]:
    """The relation rows of one note: each end is its fact (same span) where it is one,
    with the fact's concept; an end that is no fact (a body site) keeps its own words."""
    by_span = {(f.span_start, f.span_end): (fid, f.concept)
               for f, fid in zip(facts, fact_ids, strict=True)}
    entities = {entity_id(e): e for e in extraction.entities}
    rows = []
    for rel in extraction.relations:
        ends = []
        for ref in (rel.head, rel.tail):
            ent = entities.get(ref)
            fact = by_span.get((ent.start, ent.end)) if ent is not None else None
            # An id that names no entity of the record is kept as written, not dropped.
            ends.append((fact[0] if fact else None,
                         ent.type if ent is not None else ref.rsplit(":", 1)[-1],
                         fact[1] if fact else (ent.text.lower() if ent is not None else ref)))
        (head_id, head_type, head_concept), (tail_id, tail_type, tail_concept) = ends
        rows.append({"patient_id": patient_id, "note_id": extraction.note_id,
                     "relation_id": rel.id, "type": rel.type, "assertion": rel.assertion,
                     "head_fact_id": head_id, "tail_fact_id": tail_id,
                     "head_type": head_type, "head_concept": head_concept[:300],
                     "tail_type": tail_type, "tail_concept": tail_concept[:300],
                     "laterality": rel.laterality, "evidence_start": rel.evidence.start,
                     "evidence_end": rel.evidence.end})
    return rows


def write_patient_facts(session: Session, notes: list[Note],
                        extractions: list[NoteExtraction], rules: Rules,
                        labs: LabCatalog | None = None) -> int:
    """Rebuild the facts of one patient's notes (the caller commits).

    Args:
        session: a session on a migrated store holding these notes.
        notes: every note of the patient.
        extractions: their extractions.
        rules: the rule set of the timeline.
        labs: the lab catalog (None: packaged).

    Returns:
        Fact rows written.
    """
    shas = {n.note_id: repo.text_sha256(n.text) for n in notes}
    built = patient_facts(notes, extractions, rules, labs or lab_catalog(), text_sha256=shas)
    by_note = {e.note_id: e for e in extractions}
    total = 0
    for note in notes:
        total += replace_note_facts(session, note.note_id, note.patient_id,
                                    shas[note.note_id], built[note.note_id],
                                    by_note.get(note.note_id))
    return total


def stale_patients(session: Session, patients: Iterable[str] | None = None) -> list[str]:
    """Patients with a stored note whose facts are missing or were built from another
    version of the note (one join on the text hash), sorted."""
    stmt = (select(NoteRow.patient_id).distinct()
            .outerjoin(CohortFactNoteRow, CohortFactNoteRow.note_id == NoteRow.note_id)
            .where(or_(CohortFactNoteRow.note_id.is_(None),
                       CohortFactNoteRow.text_sha256 != NoteRow.text_sha256,
                       CohortFactNoteRow.patient_id != NoteRow.patient_id)))
    if patients is not None:
        stmt = stmt.where(NoteRow.patient_id.in_(list(patients)))
    moved = select(CohortFactNoteRow.patient_id).distinct().join(
        NoteRow, NoteRow.note_id == CohortFactNoteRow.note_id).where(
        CohortFactNoteRow.patient_id != NoteRow.patient_id)
    if patients is not None:
        moved = moved.where(CohortFactNoteRow.patient_id.in_(list(patients)))
    return sorted(set(session.scalars(stmt)) | set(session.scalars(moved)))


def refresh_facts(sessions: Callable[[], Session], extract: Callable[[Note], NoteExtraction],
                  rules: Rules, patients: Iterable[str] | None = None) -> int:
    """Rebuild the facts of every patient with a stale or missing note, one transaction
    per patient.

    Args:
        sessions: the session factory of the store.
        extract: the extraction of a note (the service's store-cached extractor).
        rules: the rule set of the timeline.
        patients: only these patients (None: all).

    Returns:
        The number of patients rebuilt.
    """
    with sessions() as session:
        todo = stale_patients(session, patients)
    for pid in todo:
        with sessions() as session:
            notes = [repo.to_note(r) for r in repo.patient_notes(session, pid)]
        extractions = [extract(n) for n in notes]
        with sessions() as session:
            # Notes moved to another patient: their old rows go with the note id.
            if notes:
                write_patient_facts(session, notes, extractions, rules)
            session.execute(delete(CohortFactNoteRow).where(
                CohortFactNoteRow.patient_id == pid,
                CohortFactNoteRow.note_id.not_in([n.note_id for n in notes])))
            session.commit()
    if todo:
        logger.info("cohort facts rebuilt for %d patient(s)", len(todo))
    return len(todo)
