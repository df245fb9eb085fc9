"""Handoffs of stored patients, shared by ``POST /v1/patients/{id}/handoff`` (synchronous
or as a job) and ``GET /v1/jobs/{id}``: build, store, render, and the job body."""

from __future__ import annotations

import logging

from agent.api.services import Services, StoreExtractor, load_patient_notes
from agent.errors import ClinicalAgentError
from agent.fhir import handoff_composition
from agent.fhir.composition import attest_document
from agent.handoff.build import handoff_for_patient
from agent.handoff.render import to_markdown
from agent.llm.base import ChatBackend
from agent.schemas.api import HandoffResponse, JobResponse
from agent.schemas.handoff_history import Acknowledgement
from agent.schemas.notes import Note
from agent.schemas.summary import HandoffSummary
from agent.store import repository as repo

logger = logging.getLogger(__name__)

# Share of a job's progress taken by extracting the notes (the rest: summary + verifier).
_EXTRACT_SHARE = 0.8


def render(summary: HandoffSummary, notes: list[Note], fmt: str, summary_id: int | None,
           acknowledgements: list[Acknowledgement] | None = None) -> HandoffResponse:
    """The response body of a summary in the requested format; a FHIR document is
    ``final`` and attested once the handoff has ``acknowledgements``, else preliminary."""
    markdown = fhir = None
    if fmt == "markdown":
        markdown = to_markdown(summary, {n.note_id: n for n in notes})
    elif fmt == "fhir":
        fhir = attest_document(handoff_composition(summary), acknowledgements or [])
    return HandoffResponse(patient_id=summary.patient_id, format=fmt, summary_id=summary_id,
                           summary=summary, markdown=markdown, fhir=fhir)


def stored_acknowledgements(services: Services, summary_id: int) -> list[Acknowledgement]:
    """The acknowledgements of a stored handoff, oldest first."""
    with services.sessions() as session:
        rows = repo.acknowledgements(session, [summary_id]).get(summary_id, [])
    return [Acknowledgement(key_id=r.key_id, key_name=r.key_name, at=r.at, comment=r.comment)
            for r in rows]


def build_handoff(services: Services, notes: list[Note], use_llm: bool, backend: ChatBackend,
                  job_id: str | None = None, on_note=None,
                  ) -> tuple[int | None, HandoffSummary]:
    """Summarize, verify and store; returns the stored summary id and the summary.

    With ``retention.store_summaries`` false a synchronous summary is not stored (id None);
    a job's is, so its client can fetch it, and is purged with the job.
    """
    summary = handoff_for_patient(notes, services.settings, use_llm=use_llm, backend=backend,
                                  extractor=StoreExtractor(services, on_note=on_note))
    if job_id is None and not services.settings.retention.store_summaries:
        return None, summary
    with services.sessions() as session:
        summary_id = repo.save_summary(session, summary.patient_id, summary.mode,
                                       summary.model_dump(mode="json"), job_id=job_id)
        session.commit()
    return summary_id, summary


def run_job(services: Services, job_id: str, patient_id: str, use_llm: bool,
            backend: ChatBackend, metrics) -> None:
    """The body of a handoff job (runs on the job thread; never raises)."""
    done = 0

    def _set(**fields) -> None:
        with services.sessions() as session:
            repo.update_job(session, job_id, **fields)
            session.commit()

    try:
        notes = load_patient_notes(services, patient_id)
        _set(status="running", stage=f"extracting {len(notes)} notes", progress=0.01)

        def on_note() -> None:
            nonlocal done
            done += 1
            if done <= len(notes):
                stage = (f"extracted {done}/{len(notes)} notes" if done < len(notes)
                         else "summarizing and verifying")
                _set(progress=round(_EXTRACT_SHARE * done / len(notes), 3), stage=stage)

        summary_id, _ = build_handoff(services, notes, use_llm, backend, job_id, on_note)
        _set(status="succeeded", progress=1.0, stage="done", summary_id=summary_id)
        metrics.jobs.labels("succeeded").inc()
    except Exception as e:  # a job must end in a state the client can read
        logger.error("handoff job %s failed: %s", job_id, type(e).__name__)
        reason = str(e) if isinstance(e, ClinicalAgentError) else type(e).__name__
        _set(status="failed", stage="failed", error=reason[:2000])
        metrics.jobs.labels("failed").inc()


def job_response(services: Services, job) -> JobResponse:
    """The API view of a job row (with the result once it succeeded)."""
    result = None
    if job.status == "succeeded" and job.summary_id is not None:
        with services.sessions() as session:
            row = repo.get_summary(session, job.summary_id)
        if row is not None:
            summary = HandoffSummary.model_validate(row.payload)
            notes = (load_patient_notes(services, job.patient_id)
                     if job.params.get("format") == "markdown" else [])
            fmt = job.params.get("format", "json")
            acks = stored_acknowledgements(services, row.id) if fmt == "fhir" else []
            result = render(summary, notes, fmt, row.id, acks)
    return JobResponse(job_id=job.job_id, kind=job.kind, patient_id=job.patient_id,
                       status=job.status, progress=job.progress, stage=job.stage,
                       created_at=job.created_at, updated_at=job.updated_at, error=job.error,
                       result=result)
