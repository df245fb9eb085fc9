"""``POST /v1/verify``: check a summary (clinagent JSON, or text written by a person)
against the patient's stored notes."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter

from agent.api.deps import AccessDep, ServicesDep
from agent.api.limits import run_cpu
from agent.api.services import StoreExtractor, load_patient_notes
from agent.errors import VerificationError
from agent.rules import rules_for
from agent.schemas.api import VerifyRequest, VerifyResponse
from agent.verify import parse_summary, verify_patient

router = APIRouter(prefix="/v1", tags=["verify"])


def _format(body: VerifyRequest) -> str:
    if body.format != "auto":
        return body.format
    return "json" if body.summary.lstrip().startswith("{") else "markdown"


def verify_text(services, patient_id: str, summary_text: str, fmt: str):
    """Parse a summary and verify every statement against the patient's notes.

    Raises:
        NotFound: no stored notes for the patient.
        VerificationError: the summary cannot be read.
    """
    notes = load_patient_notes(services, patient_id)
    summary = parse_summary(summary_text, source="request", is_json=fmt == "json")
    if summary.patient_id not in (patient_id, "", "unknown") and fmt == "json":
        raise VerificationError("the summary's patient_id differs from the request's; "
                                "verify it against its own patient")
    # The CLI's use case; the store's extractor serves cached extractions.
    return verify_patient(summary, notes, StoreExtractor(services),
                          rules_for(services.settings))


@router.post("/verify", response_model=VerifyResponse)
async def verify(body: VerifyRequest, access: AccessDep, services: ServicesDep,
                 ) -> VerifyResponse:
    """Label every statement SUPPORTED, CONTRADICTED, UNSUPPORTED or NOT_CHECKABLE with the
    evidence spans (``verify`` scope on the patient). Nothing is removed."""
    access.require("verify", body.patient_id)
    summary = await run_cpu(services.settings.api.request_timeout_s, verify_text, services,
                            body.patient_id, body.summary, _format(body))
    counts = Counter(s.verification.verdict for s in summary.statements
                     if s.verification is not None)
    return VerifyResponse(patient_id=body.patient_id, counts=dict(counts), summary=summary)
