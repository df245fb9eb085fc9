"""``POST /v1/notes`` (ingest, idempotent by note id), ``GET /v1/patients`` and
``GET /v1/patients/{patient_id}/notes``."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from agent.api import idempotency
from agent.api.background import replay
from agent.api.deps import AccessDep, ServicesDep
from agent.api.lanes import lane_for
from agent.api.limits import run_cpu
from agent.errors import InputError, NotFound
from agent.notes import note_from_record
from agent.schemas.api import (
    NoteIngestResult,
    NoteOut,
    NotesIngestRequest,
    NotesIngestResponse,
    PatientInfo,
    PatientNotesResponse,
    PatientsResponse,
    RejectedNote,
)
from agent.store import repository as repo
from agent.workspace.note_titles import note_heading

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["notes"])

_NDJSON = ("application/x-ndjson", "application/jsonl", "application/json-lines")


def _records(body: bytes, content_type: str) -> list[Any]:
    """The posted items: a JSON Lines body or ``{"notes": [...]}``.

    Raises:
        RequestValidationError: malformed JSON or a body of the wrong shape (422).
    """
    if content_type.split(";")[0].strip().lower() in _NDJSON:
        items = []
        for i, line in enumerate(body.decode("utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise RequestValidationError([{
                    "type": "json_invalid", "loc": ("body", f"line {i}"),
                    "msg": f"invalid JSON at column {e.colno}: {e.msg}"}]) from e
        if not items:
            raise RequestValidationError([{"type": "missing", "loc": ("body",),
                                           "msg": "the body holds no notes"}])
        return items
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RequestValidationError([{"type": "json_invalid", "loc": ("body",),
                                       "msg": "the body is not valid JSON"}]) from e
    try:
        return NotesIngestRequest.model_validate(data).notes
    except ValidationError as e:
        raise RequestValidationError(e.errors(include_input=False, include_url=False)) from e


@router.post("/notes", response_model=NotesIngestResponse, openapi_extra={
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": NotesIngestRequest.model_json_schema()},
        "application/x-ndjson": {"schema": {"type": "string",
                                            "description": "one note object per line"}}}}})
async def ingest_notes(request: Request, access: AccessDep, services: ServicesDep,
                       ) -> NotesIngestResponse:
    """Store a batch of notes durably (committed before the response), then index them.

    Idempotent by ``note_id``: the same note again is ``unchanged``; a changed text, date or
    patient ``updated``. Invalid items are listed in ``rejected`` and the rest are stored;
    if no item is valid the answer is 422. Needs the ``write`` scope for every patient.
    A retry with the same ``Idempotency-Key`` header gets the first answer again.
    """
    raw = await request.body()
    records = _records(raw, request.headers.get("content-type", ""))
    max_chars = services.settings.max_note_chars
    notes, rejected = [], []
    for i, record in enumerate(records):
        try:
            notes.append(note_from_record(record, source="request", line=i + 1,
                                          max_chars=max_chars))
        except InputError as e:
            note_id = record.get("note_id") if isinstance(record, dict) else None
            rejected.append(RejectedNote(index=i, note_id=note_id if isinstance(note_id, str)
                                         else None, field=e.field, problem=e.problem))
    if not notes:
        raise InputError("request", f"none of the {len(records)} posted item(s) is a valid "
                         f"note; first problem: item {rejected[0].index} "
                         f"field {rejected[0].field}: {rejected[0].problem}",
                         fix="Each note needs patient_id, note_id and non-empty text")
    by_id = {n.note_id: n for n in notes}  # the last copy of a repeated id wins
    notes = list(by_id.values())
    timeout = services.settings.api.request_timeout_s
    claim = await run_cpu(timeout, idempotency.claim_request, services, request,
                          access.principal.key_id, raw)
    if claim is not None and claim.replay is not None:
        return replay(services, claim.replay)

    def _store() -> list[str]:
        with services.sessions() as session:
            # Moving a note to another patient needs write access to the old one too.
            moved = [r.patient_id for r in repo.existing_notes(session, list(by_id)).values()
                     if r.patient_id != by_id[r.note_id].patient_id]
            access.require_all("write", [n.patient_id for n in notes] + moved)
            statuses = repo.upsert_notes(session, notes)
            session.commit()
        return statuses

    try:
        statuses = await run_cpu(timeout, _store)
    except BaseException:
        idempotency.release(services, claim)
        raise
    for status in statuses:
        request.app.state.metrics.notes_ingested.labels(status).inc()
    logger.info("stored %d note(s): %d created, %d updated", len(notes),
                statuses.count("created"), statuses.count("updated"))
    # After the commit: a crash from here on loses no acknowledged note, and the restarted
    # service indexes whatever the index misses. Past the deadline the client gets its 504
    # but indexing the committed notes goes on (is_cancellable=False).
    try:
        chunks = await run_cpu(timeout, services.index_notes, notes, is_cancellable=False,
                               lane=lane_for(sum(len(n.text) for n in notes),
                                             services.settings.api.small_request_chars))
    except BaseException:
        idempotency.release(services, claim)
        raise
    response = NotesIngestResponse(
        accepted=len(notes), created=statuses.count("created"),
        updated=statuses.count("updated"), unchanged=statuses.count("unchanged"),
        notes=[NoteIngestResult(note_id=n.note_id, patient_id=n.patient_id, status=s)
               for n, s in zip(notes, statuses, strict=True)],
        rejected=rejected, indexed_chunks=chunks)
    await run_cpu(timeout, lambda: idempotency.complete(
        services, claim, status_code=200, response=response.model_dump(mode="json")))
    return response


@router.get("/patients", response_model=PatientsResponse)
def list_patients(access: AccessDep, services: ServicesDep) -> PatientsResponse:
    """The patients the key may read, with note counts and date range."""
    access.require("read")
    with services.sessions() as session:
        rows = repo.patients(session, access.principal.patient_filter())
    return PatientsResponse(patients=[
        PatientInfo(patient_id=p, note_count=n, first_date=a, last_date=b)
        for p, n, a, b in rows])


@router.get("/patients/{patient_id}/notes", response_model=PatientNotesResponse)
def list_notes(patient_id: str, access: AccessDep, services: ServicesDep,
               ) -> PatientNotesResponse:
    """A patient's notes in date order (needs ``read`` on the patient)."""
    access.require("read", patient_id)
    with services.sessions() as session:
        rows = repo.patient_notes(session, patient_id)
    if not rows:
        raise NotFound("no notes of this patient are stored; ingest them with "
                       "POST /v1/notes")
    ws = services.settings.workspace
    notes = []
    for r in rows:
        heading = note_heading(r.text, r.note_type, author_labels=ws.author_labels,
                               header_labels=ws.author_header_labels,
                               attending_labels=ws.banner_labels.attending)
        notes.append(NoteOut(patient_id=r.patient_id, note_id=r.note_id,
                             note_type=r.note_type, date=r.date, text=r.text,
                             extra=dict(r.extra or {}), text_sha256=r.text_sha256,
                             received_at=r.received_at, title=heading.title,
                             author=heading.author))
    return PatientNotesResponse(patient_id=patient_id, notes=notes)
