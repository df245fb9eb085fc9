"""``GET /v1/patients/{patient_id}/medrec``: the medication reconciliation table (home,
inpatient, discharge, change and its reason, every cell cited) and the conditional plans
of the patient's notes."""

from __future__ import annotations

from fastapi import APIRouter

from agent.api.deps import AccessDep, ServicesDep
from agent.api.limits import run_cpu
from agent.api.patient_records import patient_record
from agent.api.services import Services
from agent.schemas.medrec import MedrecResponse
from agent.workspace.medrec import medication_reconciliation

router = APIRouter(prefix="/v1", tags=["medication-reconciliation"])


def _medrec(services: Services, patient_id: str) -> MedrecResponse:
    return medication_reconciliation(patient_record(services, patient_id))


@router.get("/patients/{patient_id}/medrec", response_model=MedrecResponse)
async def medrec(patient_id: str, access: AccessDep, services: ServicesDep) -> MedrecResponse:
    """One row per drug taken during the stay: as on the home list, in hospital and on the
    discharge list, the change (new, changed, held, stopped, continued, unknown) with the
    reason the notes give, and plans that wait for a condition ("resume 3/20 if labs OK").
    Needs ``read`` on the patient; 404 when no notes of the patient are stored."""
    access.require("read", patient_id)
    return await run_cpu(services.settings.api.request_timeout_s, _medrec, services,
                         patient_id)
