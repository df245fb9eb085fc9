"""Routes of the clinician's workspace (issue 16): the patient banner, the timeline of the
stay, the labs table and search within a patient's notes.

The banner, timeline and labs read the patient's prepared record
(:func:`agent.api.patient_records.patient_record`, cached while the notes and rules are
unchanged), so opening several views of one patient extracts and reconciles once. Search
reads the stored notes only.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Query

from agent.api.deps import AccessDep, ServicesDep
from agent.api.limits import run_cpu
from agent.api.patient_records import patient_record
from agent.api.services import load_patient_notes
from agent.config import WorkspaceSettings
from agent.schemas.notes import Note, sort_notes
from agent.schemas.workspace import LabsTable, NoteSearchResult, PatientBanner, StayTimeline
from agent.workspace.banner import patient_banner
from agent.workspace.labs import labs_table
from agent.workspace.note_search import MAX_QUERY_CHARS, query_words, search_notes
from agent.workspace.note_titles import NoteHeading, note_heading
from agent.workspace.stay_events import stay_timeline

router = APIRouter(prefix="/v1", tags=["workspace"])


def note_headings(notes: Sequence[Note], ws: WorkspaceSettings) -> dict[str, NoteHeading]:
    """Title and author of each note, with the user's label settings."""
    return {n.note_id: note_heading(n.text, n.note_type, author_labels=ws.author_labels,
                                    header_labels=ws.author_header_labels,
                                    attending_labels=ws.banner_labels.attending)
            for n in notes}


@router.get("/patients/{patient_id}/banner", response_model=PatientBanner)
async def banner(patient_id: str, access: AccessDep, services: ServicesDep) -> PatientBanner:
    """Name, MRN, date of birth, age, sex, location and attending of the patient, each with
    its source and citation, and the identity fields the notes disagree on (``conflicts``:
    a wrong-patient risk). Needs ``read`` on the patient; labels are set in
    ``workspace.banner_labels``."""
    access.require("read", patient_id)
    ws = services.settings.workspace

    def _run() -> PatientBanner:
        record = patient_record(services, patient_id)
        return patient_banner(record.notes, record.layouts,
                              labels=ws.banner_labels.model_dump(),
                              metadata_keys=ws.banner_metadata_keys.model_dump(),
                              header_lines=ws.header_lines)

    return await run_cpu(services.settings.api.request_timeout_s, _run)


@router.get("/patients/{patient_id}/timeline", response_model=StayTimeline)
async def timeline(patient_id: str, access: AccessDep, services: ServicesDep) -> StayTimeline:
    """The notes of the stay (title, author, date) and its events in date order, undated
    last: admission, discharge, each note, medication changes, problem status changes,
    procedures and results, each citing its span. Needs ``read`` on the patient."""
    access.require("read", patient_id)
    ws = services.settings.workspace

    def _run() -> StayTimeline:
        record = patient_record(services, patient_id)
        return stay_timeline(patient_id, record.notes, record.extractions, record.timeline,
                             note_headings(record.notes, ws))

    return await run_cpu(services.settings.api.request_timeout_s, _run)


@router.get("/patients/{patient_id}/labs", response_model=LabsTable)
async def labs(patient_id: str, access: AccessDep, services: ServicesDep) -> LabsTable:
    """Each test's stated numeric values in date order, with unit and trend (first to
    last value; steady within 5 %), each value citing the test and value in its note.
    Needs ``read`` on the patient."""
    access.require("read", patient_id)

    def _run() -> LabsTable:
        record = patient_record(services, patient_id)
        return labs_table(patient_id, record.notes, record.extractions)

    return await run_cpu(services.settings.api.request_timeout_s, _run)


@router.get("/patients/{patient_id}/search", response_model=NoteSearchResult)
async def search(patient_id: str, access: AccessDep, services: ServicesDep,
                 q: str = Query(..., min_length=1, max_length=MAX_QUERY_CHARS,
                                pattern=r"\S", description="words that must all occur in "
                                "one line (or within 200 characters); at most "
                                f"{MAX_QUERY_CHARS} characters"),
                 limit: int = Query(50, ge=1, le=500, description="most hits returned"),
                 ) -> NoteSearchResult:
    """Where the query's words occur in the patient's notes (case-insensitive, word
    starts), in note date order, each hit with its span and the line around it. Needs
    ``read`` on the patient."""
    access.require("read", patient_id)
    query_words(q)  # an empty or too long query fails before the notes are read

    def _run() -> NoteSearchResult:
        notes = sort_notes(load_patient_notes(services, patient_id))
        return search_notes(patient_id, notes, q, limit=limit)

    return await run_cpu(services.settings.api.request_timeout_s, _run)
