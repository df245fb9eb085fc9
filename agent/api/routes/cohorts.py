"""``POST /v1/cohorts/query``: the patients meeting an eligibility list, with evidence.

Needs the ``cohort`` scope. The answer holds only the patients the key may see (the query
runs over them alone, so counts of the attrition table are theirs too); every patient in
the answer is audited, and the query is logged and audited only by its sha256: it names
concepts, never patients, but it is the researcher's question.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter

from agent.api.deps import AccessDep, ServicesDep
from agent.api.limits import run_cpu
from agent.api.services import StoreExtractor
from agent.cohorts.compile import resolve
from agent.cohorts.fact_store import refresh_facts
from agent.cohorts.parse import query_from_data, query_from_text
from agent.cohorts.results import run_query
from agent.cohorts.vocabulary import shared_vocabulary
from agent.rules import rules_for
from agent.schemas.cohort import CohortQueryRequest, CohortQueryResponse
from agent.store import repository as repo

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/cohorts", tags=["cohorts"])


@router.post("/query", response_model=CohortQueryResponse)
async def cohort_query(body: CohortQueryRequest, access: AccessDep, services: ServicesDep,
                       ) -> CohortQueryResponse:
    """Run a cohort query over the stored notes' facts (needs the ``cohort`` scope).

    Send ``query`` (inclusion / exclusion criteria as JSON) or ``text`` (the compact text
    form). Facts of notes stored or changed since the last query are built first. An
    unknown concept, code, drug, class, test, unit, field or operator is a 422 naming it
    with the valid choices; a cohort of nobody is an empty result.
    """
    access.require("cohort")
    query = query_from_text(body.text) if body.text is not None \
        else query_from_data(body.query)
    allowed = access.principal.patient_filter()

    def _run() -> CohortQueryResponse:
        # Every name of the query is checked before facts are built for it.
        resolve(query, shared_vocabulary())
        rules = rules_for(services.settings)
        refresh_facts(services.sessions, StoreExtractor(services).extract_note, rules,
                      patients=allowed)
        with services.sessions() as session:
            result = run_query(session, query, vocab=shared_vocabulary(), patients=allowed,
                               evidence_per_criterion=body.evidence_per_criterion)
        seen = sorted({p.patient_id for p in result.patients}
                      | {p.patient_id for p in result.excluded})
        with services.sessions() as session:
            for pid in seen:
                repo.record_audit(session, key_id=access.principal.key_id,
                                  operation="cohort", patient_id=pid, is_allowed=True,
                                  reason=f"cohort query sha256 {result.query_sha256[:16]}",
                                  route=access.route, request_id=access.request_id)
            session.commit()
        return CohortQueryResponse.model_validate(result.model_dump())

    response = await run_cpu(services.settings.api.request_timeout_s, _run)
    logger.info("cohort query %s: %d patient(s) returned", response.query_sha256[:16],
                len(response.patients))
    return response
