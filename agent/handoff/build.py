"""``clinagent handoff``: a patient's notes -> a verified I-PASS handoff summary.

Extract (deterministic) -> reconcile into a timeline -> summarize (extractive, or the
hierarchical LLM summary for the narrative sections) -> verify every statement against the
notes. If the LLM backend is down the extractive summary is returned with a flag saying so.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from agent.config import Settings
from agent.errors import BackendUnavailable, InputError
from agent.extract.batch import make_extractor
from agent.handoff.extractive import extractive_statements
from agent.llm.base import ChatBackend
from agent.llm.factory import make_backend
from agent.patient import PatientRecord
from agent.rules import rules_for
from agent.schemas.extraction import Extractor, Provenance
from agent.schemas.notes import InputIssue, Note
from agent.schemas.summary import HANDOFF_SECTIONS, HandoffSummary, Statement
from agent.version import package_version

logger = logging.getLogger(__name__)

PRODUCER = "clinagent.agent.handoff"


def _order(statements: list[Statement]) -> list[Statement]:
    """I-PASS section order, statement order kept within a section; ids renumbered."""
    rank = {s: i for i, s in enumerate(HANDOFF_SECTIONS)}
    ordered = sorted(statements, key=lambda s: rank[s.section])
    return [s.model_copy(update={"id": f"s{i}"}) for i, s in enumerate(ordered, 1)]


def _budget(settings: Settings) -> int:
    return settings.summary.context_chars or settings.llm.chunk_chars(
        prompt_overhead_tokens=600)


def handoff_for_patient(notes: list[Note], settings: Settings, *, use_llm: bool = False,
                        backend: ChatBackend | None = None,
                        extractor: Extractor | None = None,
                        input_issues: list[InputIssue] | None = None,
                        ) -> HandoffSummary:
    """Build the verified handoff summary of one patient.

    Args:
        notes: all notes of one patient.
        settings: settings (``summary``, ``llm``, ``extraction``).
        use_llm: write the narrative sections with the hierarchical LLM summary.
        backend: a ready backend (default: from ``settings.llm`` when ``use_llm``).
        extractor: the deterministic extractor (default: from settings; ~4 s to load).
        input_issues: lines of the input that could not be read and may have held notes of
            this patient; recorded in the summary, whose renderings then say it is partial.

    Returns:
        The summary: every statement cited and verified, omissions listed, LLM calls and
        their token counts recorded, provenance of what produced it.

    Raises:
        InputError: no notes, or notes of several patients.
    """
    if not notes:
        raise InputError("notes", "no notes were given", fix="Pass the patient's notes")
    record = PatientRecord.prepare(
        notes, extractor if extractor is not None else make_extractor(settings),
        rules_for(settings))
    ordered, timeline, extractions = record.notes, record.timeline, record.extractions
    statements = extractive_statements(ordered, timeline, record.layouts,
                                       max_items=settings.summary.max_items_per_section,
                                       rules=record.rules)
    mode, flags, calls = "extractive", [], []
    backend_name, model_name, prompt_ref = "rules", None, None
    if use_llm:
        statements, mode, flags, calls, backend_name, model_name, prompt_ref = _with_llm(
            record, statements, settings, backend)
    summary = HandoffSummary(
        patient_id=timeline.patient_id,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        mode=mode, note_ids=[n.note_id for n in ordered], statements=_order(statements),
        flags=flags, llm_calls=calls, input_issues=list(input_issues or []),
        provenance=Provenance(
            producer=PRODUCER, package_version=package_version(), backend=backend_name,
            model=model_name, prompt=prompt_ref,
            rules_sha256=record.rules.provenance(),
            vocabularies=extractions[0].provenance.vocabularies if extractions else {}),
    )
    verified = record.verify(summary)
    # Patient ids may be MRNs: logs give counts only.
    logger.info("handoff: %d statements (%s), %d omissions, %d input issue(s)",
                len(verified.statements), mode, len(verified.omissions),
                len(verified.input_issues))
    return verified


def _with_llm(record: PatientRecord, extractive: list[Statement], settings: Settings,
              backend: ChatBackend | None):
    """The hierarchical LLM summary for the narrative sections, or the extractive one with
    a flag when the backend is down or every patient-level call failed."""
    # Deferred: the LLM summary stack (instructor), only in LLM mode.
    from agent.handoff.hierarchical import NARRATIVE_SECTIONS, HierarchicalSummarizer

    flags: list[str] = []
    try:
        if backend is None:
            backend = make_backend(settings.llm)
        summarizer = HierarchicalSummarizer(
            backend, budget=_budget(settings),
            max_statements=settings.summary.max_statements_per_call,
            max_retries=settings.llm.max_retries, max_tokens=settings.llm.max_tokens,
            layouts=record.layouts)
        narrative = summarizer.summarize(record.notes, record.timeline, extractive)
    except BackendUnavailable as e:
        logger.warning("LLM backend unavailable (%s); the handoff is extractive",
                       type(e).__name__)
        # The error names the URL and the fix, never note text: keep it whole.
        flags.append(f"LLM backend unreachable: extractive summary ({e})")
        return extractive, "extractive", flags, [], "rules", None, None
    calls = summarizer.calls
    failed = sum(1 for c in calls if c.error)
    if failed:
        flags.append(f"{failed} of {len(calls)} LLM call(s) failed after re-asks; their "
                     "units were carried up unsummarized (see llm_calls)")
    if summarizer.unmapped:
        flags.append(f"{summarizer.unmapped} LLM statement(s) cited no known passage or "
                     "fact id; kept without citations for the verifier to flag")
    if not narrative:
        flags.append("LLM patient level produced no statement: narrative sections are "
                     "extractive")
        narrative = [s for s in extractive if s.section in NARRATIVE_SECTIONS]
    structured = [s for s in extractive if s.section not in NARRATIVE_SECTIONS]
    return (narrative + structured, "llm", flags, calls, getattr(backend, "name", None),
            getattr(backend, "model", None), summarizer.prompt_refs)
