"""clinagent's functions as LangChain ``StructuredTool``s with pydantic arguments.

Five tools, each a thin call of what a CLI command runs, each answering with the same
evidence as the CLI (note id and character offsets into the note) and the provenance
(package version, rules sha256):

- ``clinagent_extract_entities``: :meth:`agent.nlp.entities.EntityExtractor.extract_note`
  (``clinagent extract``);
- ``clinagent_deidentify_text``: :class:`agent.deid.batch.PatientDeidentifier`
  (``clinagent deid``);
- ``clinagent_handoff_summary``: :func:`agent.handoff.build.handoff_for_patient`
  (``clinagent handoff``);
- ``clinagent_verify_summary``: :meth:`agent.patient.PatientRecord.verify`
  (``clinagent verify``);
- ``clinagent_search_notes``: :class:`ClinagentRetriever` over an index
  (``clinagent search``), or BM25 over the patient's chunks without one
  (:func:`agent.chat.retrieve`, as chat ranks them).

A clinagent error reaches the model as the tool's answer (it names the fix and never quotes
a note); anything else propagates. Needs the ``langchain`` extra.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.adapters.optional import import_extra
from agent.adapters.provenance import adapter_provenance
from agent.adapters.settings import resolve_settings
from agent.config import Settings
from agent.errors import ClinicalAgentError, InputError
from agent.notes import read_notes
from agent.patient import PatientRecord
from agent.rules import rules_for
from agent.schemas.notes import Note
from agent.schemas.summary import Citation, HandoffSummary, Statement

import_extra("langchain_core", "langchain")

from langchain_core.tools import BaseTool, StructuredTool, ToolException  # noqa: E402

logger = logging.getLogger(__name__)

PRODUCER = "clinagent.adapters.langchain.tools"


# ---- tool arguments (what the model fills in) --------------------------------------------


class ExtractArgs(BaseModel):
    """Arguments of ``clinagent_extract_entities``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="the clinical note text")
    note_id: str = Field(default="note", min_length=1,
                         description="id the evidence offsets refer to")


class DeidArgs(BaseModel):
    """Arguments of ``clinagent_deidentify_text``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="the text to de-identify")
    mode: Literal["redact", "mask", "surrogate"] = Field(
        default="redact", description="redact ([NAME]), mask (***) or surrogate (fake "
        "values; needs the de-identification secret in the settings)")
    note_id: str = Field(default="note", min_length=1)
    patient_id: str = Field(default="unknown", min_length=1,
                            description="the patient (date shift and surrogates per patient)")
    date: str | None = Field(default=None, description="note date (ISO), for dates "
                             "written without a year")


class PatientArgs(BaseModel):
    """Arguments of ``clinagent_handoff_summary``."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str = Field(min_length=1, description="the patient's id")


class CitedStatement(BaseModel):
    """A statement with the note spans it claims to rest on."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    citations: list[Citation] = Field(default_factory=list, description="note_id, start, "
                                      "end of each cited span; empty = search all notes")


class VerifyArgs(BaseModel):
    """Arguments of ``clinagent_verify_summary``: a summary as text, or statements with
    their citations (one of the two)."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str = Field(min_length=1)
    summary: str | None = Field(default=None, description="a summary written by anyone "
                                "(Markdown or plain text); one statement per sentence")
    statements: list[CitedStatement] | None = Field(
        default=None, description="statements with their citations, e.g. an answer's "
        "sentences")


class SearchArgs(BaseModel):
    """Arguments of ``clinagent_search_notes``."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str = Field(min_length=1)
    query: str = Field(min_length=1, description="free-text query")
    k: int = Field(default=5, ge=1, le=50, description="number of passages")


# ---- the toolkit --------------------------------------------------------------------------


class ClinagentToolkit:
    """The notes, settings and loaded models the tools share.

    Args:
        notes: the notes the patient tools read (a list, or a JSON Lines file, .txt file
            or folder as the CLI reads them).
        settings: clinagent settings (default: ``CLINAGENT_*`` and ``clinagent.env``).
        extractor: the deterministic extractor to reuse (default: built from the settings
            on first use, a few seconds).
        index_dir: a ``clinagent index`` folder for the search tool; None ranks the
            patient's chunks with BM25 (no embedding model needed).
        embedder: the index's embedder to reuse.

    Raises:
        InputError: ``notes`` is a path that does not exist or holds no note.
    """

    def __init__(self, notes: list[Note] | str | Path, *, settings: Settings | None = None,
                 extractor: Any = None, index_dir: str | Path | None = None,
                 embedder: Any = None) -> None:
        self.settings = resolve_settings(settings)
        if isinstance(notes, str | Path):
            notes = read_notes(notes, max_chars=self.settings.max_note_chars).notes
        self.notes: list[Note] = list(notes)
        self.index_dir = str(index_dir) if index_dir is not None else None
        self.embedder = embedder
        self._extractor = extractor
        self._records: dict[str, PatientRecord] = {}
        self._retrievers: dict[tuple[str, int], Any] = {}

    @property
    def extractor(self):
        """The deterministic extractor (built on first use)."""
        if self._extractor is None:
            # Deferred: spaCy/medspaCy and the vocabularies, only when a tool needs them.
            from agent.extract.batch import make_extractor

            self._extractor = make_extractor(self.settings)
        return self._extractor

    def patient_notes(self, patient_id: str) -> list[Note]:
        """The notes of one patient.

        Raises:
            InputError: no note of that patient (the id is not echoed: it may be an MRN).
        """
        mine = [n for n in self.notes if n.patient_id == patient_id]
        if not mine:
            raise InputError("patient_id", f"no notes of the requested patient; the toolkit "
                             f"holds notes of {len({n.patient_id for n in self.notes})} "
                             "patient(s)", fix="Pass a patient_id of the toolkit's notes")
        return mine

    def record(self, patient_id: str) -> PatientRecord:
        """The patient's prepared record (extractions, timeline, evidence), built once."""
        if patient_id not in self._records:
            self._records[patient_id] = PatientRecord.prepare(
                self.patient_notes(patient_id), self.extractor, rules_for(self.settings))
        return self._records[patient_id]

    # -- the tool bodies (plain methods: usable without LangChain's tool wrapper) ------------

    def extract_entities(self, text: str, note_id: str = "note") -> dict[str, Any]:
        """Entities of a text with assertion, section, attributes, codes and offsets."""
        extraction = self.extractor.extract_note(
            Note(patient_id="unknown", note_id=note_id, text=text))
        return extraction.model_dump(mode="json", exclude={"layout", "patient_id"})

    def deidentify_text(self, text: str, mode: str = "redact", note_id: str = "note",
                        patient_id: str = "unknown", date: str | None = None,
                        ) -> dict[str, Any]:
        """The text with its PHI replaced, the replaced spans' offsets and types."""
        # Deferred: Presidio and the de-identification lexicons, only when de-identifying.
        from agent.deid.batch import PatientDeidentifier

        deid = PatientDeidentifier.from_settings(self.settings.deid, mode=mode,
                                                  privacy=self.settings.privacy)
        (result, audit), = deid.run([Note(patient_id=patient_id, note_id=note_id, text=text,
                                          date=date)])
        return {**result.model_dump(mode="json"), "counts": audit.counts,
                "provenance": adapter_provenance(
                    f"{PRODUCER}.deid", rules_sha256=f"recognizers.yaml={audit.pack_sha256}",
                ).model_dump(mode="json")}

    def handoff_summary(self, patient_id: str) -> dict[str, Any]:
        """The patient's verified I-PASS handoff: statements with citations and verdicts."""
        # Deferred: the handoff stack (timeline, renderers), only when a handoff is asked.
        from agent.handoff.build import handoff_for_patient

        summary = handoff_for_patient(self.patient_notes(patient_id), self.settings,
                                      extractor=self.extractor)
        return summary.model_dump(mode="json", exclude={"llm_calls"})

    def verify_summary(self, patient_id: str, summary: str | None = None,
                       statements: list[CitedStatement] | list[dict] | None = None,
                       ) -> dict[str, Any]:
        """Each statement's verdict with its evidence spans, and the omissions."""
        # Deferred: agent.verify lays out notes with the spaCy pipeline.
        from agent.verify import parse_summary

        if (summary is None) == (statements is None):
            raise InputError("arguments", "pass either summary or statements",
                             fix="Give the summary as text, or its statements with citations")
        record = self.record(patient_id)
        note_ids = [n.note_id for n in record.notes]
        if summary is not None:
            parsed = parse_summary(summary, source="summary", is_json=False,
                                   patient_id=patient_id, note_ids=note_ids)
        else:
            items = [s if isinstance(s, CitedStatement) else CitedStatement.model_validate(s)
                     for s in statements or []]
            if not items:
                raise InputError("statements", "no statement was given",
                                 fix="Pass at least one statement")
            parsed = HandoffSummary(
                patient_id=patient_id, mode="external",
                generated_at=datetime.now(UTC).isoformat(timespec="seconds"), note_ids=note_ids,
                statements=[Statement(id=f"x{i}", section="patient_summary", text=s.text,
                                      citations=s.citations, origin="external")
                            for i, s in enumerate(items, start=1)],
                provenance=adapter_provenance(f"{PRODUCER}.verify", record.rules))
        verified = record.verify(parsed)
        return {"patient_id": patient_id,
                "statements": [s.model_dump(mode="json") for s in verified.statements],
                "omissions": [o.model_dump(mode="json") for o in verified.omissions],
                "provenance": adapter_provenance(f"{PRODUCER}.verify", record.rules)
                .model_dump(mode="json")}

    def search_notes(self, patient_id: str, query: str, k: int = 5) -> dict[str, Any]:
        """The patient's best passages for a query, with note id, offsets and scores."""
        notes = self.patient_notes(patient_id)
        if self.index_dir is not None:
            hits = [h.model_dump(mode="json") for h in self._retriever(patient_id, k)
                    .search(query)]
        else:
            # Deferred: the chat module (BM25 over the notes' chunks), only without an index.
            from agent.chat import retrieve

            hits = [p.model_dump(mode="json") for p in
                    retrieve(query, notes, self.settings, extractor=self.extractor, k=k)]
        return {"patient_id": patient_id, "hits": hits,
                "provenance": adapter_provenance(f"{PRODUCER}.search", rules_for(
                    self.settings)).model_dump(mode="json")}

    def _retriever(self, patient_id: str, k: int):
        # Deferred: faiss and the embedder, only when the toolkit searches an index.
        from agent.adapters.langchain_retriever import ClinagentRetriever

        key = (patient_id, k)
        if key not in self._retrievers:
            self._retrievers[key] = ClinagentRetriever(
                index_dir=self.index_dir, patient_id=patient_id, k=k, settings=self.settings,
                embedder=self.embedder)
        return self._retrievers[key]

    # -- LangChain ---------------------------------------------------------------------------

    def get_tools(self) -> list[BaseTool]:
        """The five tools, ready for ``model.bind_tools(...)`` or an agent."""
        specs: list[tuple[str, Callable[..., dict], type[BaseModel], str]] = [
            ("clinagent_extract_entities", self.extract_entities, ExtractArgs,
             "Extract problems, medications (dose, route, frequency), tests, procedures and "
             "allergies from a clinical note, with assertion (negated, historical, family), "
             "section, codes and character offsets."),
            ("clinagent_deidentify_text", self.deidentify_text, DeidArgs,
             "Remove the HIPAA Safe Harbor identifiers from a text (redact, mask or "
             "surrogate); returns the new text and the replaced spans' offsets."),
            ("clinagent_handoff_summary", self.handoff_summary, PatientArgs,
             "Write a patient's verified I-PASS handoff summary from their notes; every "
             "statement cites note id and offsets and carries the verifier's verdict."),
            ("clinagent_verify_summary", self.verify_summary, VerifyArgs,
             "Check each statement of a summary or answer against the patient's notes: "
             "SUPPORTED, CONTRADICTED (with the reason), UNSUPPORTED or NOT_CHECKABLE, with "
             "the evidence spans."),
            ("clinagent_search_notes", self.search_notes, SearchArgs,
             "Search one patient's notes; returns passages with note id, offsets, section, "
             "date and score."),
        ]
        return [StructuredTool.from_function(func=_reporting(fn), name=name,
                                             description=description, args_schema=schema,
                                             handle_tool_error=True)
                for name, fn, schema, description in specs]


def _reporting(fn: Callable[..., dict]) -> Callable[..., dict]:
    """``fn`` with clinagent errors turned into a tool error the model reads (the error
    names the fix and never quotes note text)."""

    def call(**kwargs: Any) -> dict:
        try:
            return fn(**kwargs)
        except ClinicalAgentError as e:
            raise ToolException(str(e)) from e

    call.__name__ = fn.__name__
    call.__doc__ = fn.__doc__
    return call


def clinagent_tools(notes: list[Note] | str | Path, **kwargs: Any) -> list[BaseTool]:
    """The five clinagent tools over ``notes`` (see :class:`ClinagentToolkit`)."""
    return ClinagentToolkit(notes, **kwargs).get_tools()
