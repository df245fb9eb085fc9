"""``GET /v1/patients/{patient_id}/fhir``: the entities of a patient's stored notes as a FHIR
Bundle (R5 or R4B), for EHR integrations."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from agent.api.deps import AccessDep, ServicesDep
from agent.api.limits import run_cpu
from agent.api.services import StoreExtractor, load_patient_notes
from agent.fhir import extraction_bundle

router = APIRouter(prefix="/v1", tags=["fhir"])


@router.get("/patients/{patient_id}/fhir",
            responses={200: {"content": {"application/fhir+json": {}}}})
async def patient_fhir(patient_id: str, access: AccessDep, services: ServicesDep,
                       version: Literal["R5", "R4B"] = Query("R5")) -> JSONResponse:
    """Conditions, MedicationStatements, Observations, Procedures and AllergyIntolerances
    of every stored note of the patient, coded, each with its source note and offsets
    (needs ``extract`` on the patient). Extractions are cached in the store."""
    access.require("extract", patient_id)
    notes = load_patient_notes(services, patient_id)

    def _run() -> dict:
        extractor = StoreExtractor(services)
        return extraction_bundle([extractor.extract_note(n) for n in notes], patient_id,
                                 version)

    bundle = await run_cpu(services.settings.api.request_timeout_s, _run)
    return JSONResponse(bundle, media_type="application/fhir+json")
