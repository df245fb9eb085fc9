"""The ICD-10 coding co-pilot: ``GET /v1/notes/{id}/codes`` (ranked suggestions with
evidence), ``POST /v1/notes/{id}/codes/decisions`` (the coder's accept / reject / replace /
add, stored, with the review time), ``GET /v1/notes/{id}/codes/decisions``, ``GET
/v1/coding/queue`` (notes to review), ``GET /v1/coding/metrics`` (the dashboard's numbers),
``GET /v1/coding/codes`` (the code search of the coder's page) and ``POST
/v1/coding/retrain`` (the site's re-ranker from every stored decision).

Scope ``code`` on the note's patient (audited like every access decision); retraining
needs ``admin``: it changes the ranking every coder of the site sees.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query

from agent.api import coding_service as svc
from agent.api.deps import AccessDep, ServicesDep
from agent.api.limits import run_cpu
from agent.coding import code_search
from agent.schemas.coding import CodingSystem, NoteCodes
from agent.schemas.coding_api import (
    CODE_QUERY_PATTERN,
    MAX_CODE_MATCHES,
    MAX_CODE_QUERY_CHARS,
    CodeSearchResponse,
    CodingMetricsResponse,
    DecisionsRequest,
    NoteDecisionsResponse,
    QueueResponse,
    RetrainResponse,
)
from agent.store import repository as repo
from agent.version import package_version

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["coding"])

MAX_QUEUE_PAGE = 500


@router.get("/notes/{note_id}/codes", response_model=NoteCodes)
async def note_codes(note_id: str, access: AccessDep, services: ServicesDep) -> NoteCodes:
    """The note's ranked ICD-10-CM / ICD-10-PCS suggestions, each with its score,
    confidence, review routing, evidence (note id + offsets), mentions and why it ranks
    where it does; ``provenance.ranker_version`` names the ranker that ranked them (needs
    ``code`` on the note's patient)."""
    timeout = services.settings.api.request_timeout_s
    row = await run_cpu(timeout, svc.stored_note, services, note_id)
    access.require("code", row.patient_id)
    return await run_cpu(timeout, svc.note_codes, services, row)


@router.get("/notes/{note_id}/codes/decisions", response_model=NoteDecisionsResponse)
def note_decisions(note_id: str, access: AccessDep, services: ServicesDep,
                   ) -> NoteDecisionsResponse:
    """The coders' decisions on the note, oldest first (needs ``code`` on its patient)."""
    row = svc.stored_note(services, note_id)
    access.require("code", row.patient_id)
    with services.sessions() as session:
        rows = repo.note_coding_decisions(session, note_id)
    return NoteDecisionsResponse(note_id=note_id, decisions=[svc.to_stored(r) for r in rows])


@router.post("/notes/{note_id}/codes/decisions", response_model=NoteDecisionsResponse)
def add_decisions(note_id: str, body: DecisionsRequest, access: AccessDep,
                  services: ServicesDep) -> NoteDecisionsResponse:
    """Store the coder's decisions on the note's suggestions (needs ``code`` on its
    patient): each is its own row with the key id, the time and the ranker version that
    made the suggestion (the decision's ``ranker_version``, else the current one), so two
    coders deciding at once both keep theirs. Codes are checked against the ICD-10-CM
    tabular list and the ICD-10-PCS table first: an unknown code, or a category reported
    as a code, is a 422 naming the field. ``review_seconds`` (optional) is the time the
    coder spent on the note, stored with the decisions for the dashboard's median review
    time. Returns every decision of the note."""
    row = svc.stored_note(services, note_id)
    access.require("code", row.patient_id)
    svc.check_decisions(note_id, body.decisions)
    version = svc.site_ranker(services).version
    principal = access.principal
    with services.sessions() as session:
        added = repo.add_coding_decisions(session, row, body.decisions,
                                          key_id=principal.key_id, ranker_version=version,
                                          package_version=package_version())
        if body.review_seconds is not None:
            svc.add_review(session, row, key_id=principal.key_id,
                           seconds=body.review_seconds, decisions=len(added))
        # Counts only: the audit log never holds codes or concepts of a patient.
        repo.record_audit(session, key_id=principal.key_id, operation="code",
                          patient_id=row.patient_id, is_allowed=True,
                          reason=f"{len(added)} coding decision(s) stored",
                          route=access.route, request_id=access.request_id)
        session.commit()
        rows = repo.note_coding_decisions(session, note_id)
    logger.info("%d coding decision(s) stored", len(added))
    return NoteDecisionsResponse(note_id=note_id, stored=len(added),
                                 decisions=[svc.to_stored(r) for r in rows])


@router.get("/coding/queue", response_model=QueueResponse)
async def coding_queue(access: AccessDep, services: ServicesDep,
                       limit: int = Query(50, ge=1, le=MAX_QUEUE_PAGE,
                                          description="most notes returned")) -> QueueResponse:
    """The review queue: stored notes of the patients the key may see that no coder has
    decided on yet and whose suggestions include at least one routed to review (confidence
    below the threshold), in patient then note order (needs ``code``). ``total`` is the
    whole queue's size."""
    access.require("code")
    only = access.principal.patient_filter()
    total, items = await run_cpu(services.settings.api.request_timeout_s, svc.queue,
                                 services, only, limit)
    return QueueResponse(total=total, notes=items,
                         ranker_version=svc.site_ranker(services).version)


@router.get("/coding/metrics", response_model=CodingMetricsResponse)
async def coding_metrics(access: AccessDep, services: ServicesDep) -> CodingMetricsResponse:
    """The coding dashboard over the decisions on the patients the key may see (needs
    ``code``):

    - ``accept_rate``: accepted / (accepted + rejected + replaced);
    - ``precision_at_1`` / ``precision_at_5``: per decided note, the suggestions decided on
      are ranked by the score they were shown with (the list's order); a suggestion at rank
      <= k is right when the coder accepted it, or chose its code for the note as a
      replacement or an added code; right / min(k, decided suggestions), averaged over
      notes;
    - ``per_day``: decisions, acceptances and precision@1/@5 per UTC day (precision over
      time); ``queue_size``: as ``GET /v1/coding/queue`` counts it;
    - ``median_review_seconds``: per note, the seconds of its review sittings (sent with
      the decisions) added up; the median over ``reviewed_notes``.
    """
    access.require("code")
    only = access.principal.patient_filter()

    def _compute() -> CodingMetricsResponse:
        with services.sessions() as session:
            rows = repo.coding_decisions(session, only)
            seconds = svc.review_seconds_per_note(session, only)
        total, _ = svc.queue(services, only, 0)
        return svc.metrics(rows, total, svc.site_ranker(services).version, seconds)

    return await run_cpu(services.settings.api.request_timeout_s, _compute)


@router.get("/coding/codes", response_model=CodeSearchResponse)
async def search_codes(
        access: AccessDep, services: ServicesDep,
        q: Annotated[str, Query(min_length=1, max_length=MAX_CODE_QUERY_CHARS,
                                description="a code or its start (E11.4, 0DT) or words of "
                                            "its title (type 2 diabetes neuropathy, CHF)",
                                # Checked by the service, whose 422 says what to send.
                                json_schema_extra={"pattern": CODE_QUERY_PATTERN})],
        system: Annotated[CodingSystem, Query(description="the code system searched")]
        = "ICD-10-CM",
        limit: Annotated[int, Query(ge=1, le=MAX_CODE_MATCHES,
                                    description="most codes returned")] = 20,
) -> CodeSearchResponse:
    """The code search of the coder's page (replace a suggestion, add a missed code): a
    query that reads as a code lists the codes that start with it in code order; words
    list the codes whose title holds every word (ICD-10-CM also through the vocabulary's
    abbreviations and synonyms), fewest other words first. Each code says whether it is
    billable: a category must be reported as a code under it. Every code offered passes
    the decision check. Needs ``code``; a blank or overlong ``q`` is a 422."""
    access.require("code")
    return await run_cpu(services.settings.api.request_timeout_s, code_search.search_codes,
                         q, system, limit)


@router.post("/coding/retrain", response_model=RetrainResponse)
async def retrain_ranker(access: AccessDep, services: ServicesDep) -> RetrainResponse:
    """Retrain the site's re-ranker from every stored decision and save it under the data
    folder; later suggestions use it and record its version (needs ``admin``: the ranking
    changes for every coder). The CLI equivalent for files is ``clinagent coding
    retrain``."""
    access.require("admin")
    version, previous, count = await run_cpu(services.settings.api.request_timeout_s,
                                             svc.retrain, services)
    return RetrainResponse(ranker_version=version, previous_version=previous,
                           decisions=count)
