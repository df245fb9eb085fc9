"""``DELETE /v1/patients/{patient_id}``: erase everything stored about a patient (an erasure
request): notes, extractions, summaries, jobs and retrieval-index entries."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from agent.api.deps import AccessDep, ServicesDep
from agent.api.patient_records import forget_patient
from agent.api.problems import MEDIA_TYPE
from agent.errors import NotFound
from agent.schemas.api import PatientDeletionResponse
from agent.store import retention

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["patients"])


@router.delete("/patients/{patient_id}", response_model=PatientDeletionResponse, responses={
    409: {"description": "A job of the patient is queued or running; retry when it ends",
          "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}})
def delete_patient(patient_id: str, access: AccessDep, services: ServicesDep,
                   ) -> PatientDeletionResponse:
    """Delete the patient's notes, extractions, summaries, jobs and index entries.

    Needs the ``delete`` scope on the patient (granted by name or by ``admin``, never by
    ``*``). Audit events are kept, and the erasure adds one (key id, counts; no note ids or
    text). 409 while a job of the patient runs; 404 when nothing is stored.
    """
    access.require("delete", patient_id)
    with services.sessions() as session:
        deleted = retention.delete_patient(session, patient_id)
        if deleted.total:
            retention.record_deletion(session, deleted, patient_id,
                                      key_id=access.principal.key_id, route=access.route,
                                      request_id=access.request_id)
        session.commit()
    # After the commit: if the process dies here, the next start drops from the index the
    # notes the store no longer has (Services.reconcile_index).
    with services.index_lock:
        index_notes, index_chunks = services.index.delete_patient(patient_id)
        if index_notes:
            services.index.save(compact=True)
        services.retriever.forget_patient(patient_id)
    forget_patient(patient_id)
    if not deleted.total and not index_notes:
        raise NotFound("nothing is stored about this patient")
    return PatientDeletionResponse(
        patient_id=patient_id, notes=deleted.notes, extractions=deleted.extractions,
        summaries=deleted.summaries, jobs=deleted.jobs, index_notes=index_notes,
        index_chunks=index_chunks, other_rows=deleted.other_rows)
