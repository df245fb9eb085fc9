"""The handoff history: ``GET /v1/patients/{id}/handoffs`` (stored handoffs, newest first),
``GET /v1/handoffs/{id}`` (reopen one), ``GET /v1/handoffs/{id}/changes`` (what changed
since an earlier one) and ``POST /v1/handoffs/{id}/acknowledge`` (the clinician's sign-off,
which makes its FHIR Composition final)."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from agent.api.deps import AccessDep, ServicesDep
from agent.api.handoff_service import render, stored_acknowledgements
from agent.api.limits import run_cpu
from agent.api.services import Services, load_patient_notes
from agent.errors import NotFound
from agent.schemas.api import HandoffResponse
from agent.schemas.handoff_history import (
    Acknowledgement,
    AcknowledgeRequest,
    AcknowledgeResponse,
    HandoffChangesResponse,
    HandoffHistoryResponse,
)
from agent.schemas.summary import HandoffSummary
from agent.store import repository as repo
from agent.store.models import SummaryRow
from agent.workspace.history import handoff_entry, summary_changes

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["handoff-history"])

# Ids are 64-bit integers in the store: a larger number is a 422, not a database overflow.
MAX_ID = 2**63 - 1
SummaryId = Annotated[int, Path(ge=1, le=MAX_ID, description="a stored handoff's id")]


def _stored(services: Services, summary_id: int) -> SummaryRow:
    """A stored summary.

    Raises:
        NotFound: no stored summary has this id (never stored, or purged).
    """
    with services.sessions() as session:
        row = repo.get_summary(session, summary_id)
    if row is None:
        raise NotFound(f"no stored handoff has id {summary_id}; list a patient's handoffs "
                       "with GET /v1/patients/{patient_id}/handoffs")
    return row


def _acknowledgement(row) -> Acknowledgement:
    return Acknowledgement(key_id=row.key_id, key_name=row.key_name, at=row.at,
                           comment=row.comment)


@router.get("/patients/{patient_id}/handoffs", response_model=HandoffHistoryResponse)
def patient_handoffs(patient_id: str, access: AccessDep, services: ServicesDep,
                     ) -> HandoffHistoryResponse:
    """The patient's stored handoffs, newest first, each with its statement and flagged
    counts and who acknowledged it (needs ``read`` on the patient)."""
    access.require("read", patient_id)
    with services.sessions() as session:
        rows = repo.patient_summaries(session, patient_id)
        acks = repo.acknowledgements(session, [r.id for r in rows])
    entries = [handoff_entry(r.id, r.created_at, HandoffSummary.model_validate(r.payload),
                             [_acknowledgement(a) for a in acks.get(r.id, [])]) for r in rows]
    return HandoffHistoryResponse(patient_id=patient_id, handoffs=entries)


@router.get("/handoffs/{summary_id}", response_model=HandoffResponse)
async def stored_handoff(summary_id: SummaryId, access: AccessDep, services: ServicesDep,
                         format: Literal["json", "markdown", "fhir"] = Query("json"),
                         ) -> HandoffResponse:
    """Reopen a stored handoff, in the body ``POST /v1/patients/{id}/handoff`` returns
    (needs ``read`` on its patient). Its FHIR Composition is ``final`` once acknowledged."""
    timeout = services.settings.api.request_timeout_s
    row = await run_cpu(timeout, _stored, services, summary_id)
    access.require("read", row.patient_id)

    def _render() -> HandoffResponse:
        notes = load_patient_notes(services, row.patient_id) if format == "markdown" else []
        acks = stored_acknowledgements(services, row.id) if format == "fhir" else []
        return render(HandoffSummary.model_validate(row.payload), notes, format, row.id, acks)

    return await run_cpu(timeout, _render)


@router.get("/handoffs/{summary_id}/changes", response_model=HandoffChangesResponse)
def handoff_changes(summary_id: SummaryId, access: AccessDep, services: ServicesDep,
                    since: int | None = Query(
                        None, ge=1, le=MAX_ID,
                        description="the earlier handoff's id; default: the patient's "
                        "previous one"),
                    ) -> HandoffChangesResponse:
    """What changed from an earlier handoff of the same patient to this one, per section:
    statements added, removed and changed (needs ``read`` on the patient)."""
    row = _stored(services, summary_id)
    access.require("read", row.patient_id)
    with services.sessions() as session:
        if since is None:
            earlier = repo.previous_summary(session, row)
            if earlier is None:
                raise NotFound("this is the patient's first stored handoff: there is none "
                               "to compare it with; pass ?since=<summary_id>")
        else:
            earlier = repo.get_summary(session, since)
            if earlier is None or earlier.patient_id != row.patient_id:
                raise NotFound(f"no stored handoff {since} of this patient; pick one from "
                               "GET /v1/patients/{patient_id}/handoffs")
    return summary_changes(row.id, HandoffSummary.model_validate(row.payload), earlier.id,
                           HandoffSummary.model_validate(earlier.payload))


@router.post("/handoffs/{summary_id}/acknowledge", response_model=AcknowledgeResponse)
def acknowledge_handoff(summary_id: SummaryId, access: AccessDep, services: ServicesDep,
                        body: AcknowledgeRequest | None = None) -> AcknowledgeResponse:
    """Sign off a stored handoff as its reader (needs ``handoff`` on the patient): records
    the key id, its name and the time, once per key (a second call returns the first
    record), and an audit event. The handoff's FHIR Composition becomes ``final``."""
    body = body or AcknowledgeRequest()
    row = _stored(services, summary_id)
    access.require("handoff", row.patient_id)
    principal = access.principal
    with services.sessions() as session:
        ack, is_new = repo.add_acknowledgement(session, row, key_id=principal.key_id,
                                               key_name=principal.name, comment=body.comment)
        if is_new:
            # Ids only: the comment may hold clinical words and stays out of the audit log.
            repo.record_audit(session, key_id=principal.key_id, operation="acknowledge",
                              patient_id=row.patient_id, is_allowed=True,
                              reason=f"handoff {row.id} acknowledged", route=access.route,
                              request_id=access.request_id)
        session.commit()
    logger.info("handoff %d acknowledged (new: %s)", row.id, is_new)
    return AcknowledgeResponse(summary_id=row.id, key_id=ack.key_id, key_name=ack.key_name,
                               at=ack.at, comment=ack.comment)
