"""Hierarchical LLM handoff summary: section -> note -> patient.

At each level the model sees numbered units (passages of the note, facts of the timeline,
statements of the level below) and returns :class:`LLMStatementList`; it cites unit ids and
code maps them to note offsets, so the model never writes offsets. Facts, not prose, go up:
every statement carries the union of the citations of the units it cites. A level whose
units do not fit one call is split into several calls (and merged again one level up),
never truncated. The structured sections (problems, medications, allergies, pending) stay
the deterministic ones of :mod:`agent.handoff.extractive`; the model writes the narrative sections.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from agent.errors import ExtractionFailed
from agent.handoff.timeline import sort_notes
from agent.llm.base import ChatBackend, GenerationParams
from agent.llm.structured import generate_structured, prompt_schema
from agent.nlp.layout import note_layout
from agent.rules import Rules
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note
from agent.schemas.summary import Citation, LLMCallRecord, PatientTimeline, Statement
from agent.schemas.summary_llm import LLMStatementList

logger = logging.getLogger(__name__)

NARRATIVE_SECTIONS = ("illness_severity", "patient_summary", "action_list",
                      "situation_awareness")
_MAX_REDUCE_DEPTH = 4


@dataclass
class Unit:
    """One numbered thing shown to the model: a passage, a fact or a lower statement."""

    id: str
    text: str
    citations: list[Citation]
    section: str | None = None


def pack(units: list[Unit], budget: int) -> list[list[Unit]]:
    """Consecutive groups of units whose rendered size fits ``budget`` characters.

    A unit is never cut here: passages are cut to the budget before packing
    (:func:`passages`), statements are bounded by the schema.
    """
    groups: list[list[Unit]] = []
    current: list[Unit] = []
    size = 0
    for unit in units:
        n = len(unit.id) + len(unit.text) + 4
        if current and size + n > budget:
            groups.append(current)
            current, size = [], 0
        current.append(unit)
        size += n
    if current:
        groups.append(current)
    return groups


def passages(note: Note, budget: int, layout: NoteLayout) -> list[Unit]:
    """The note's sentences (from its layout) as units; a sentence longer than ``budget``
    is cut at spaces into several units (each cites its own offsets)."""
    out: list[Unit] = []
    for piece in layout.lines:
        for a, b in layout.sentences_in(piece.start, piece.end):
            while b - a > budget:
                cut = note.text.rfind(" ", a + budget // 2, a + budget)
                cut = cut if cut > a else a + budget
                out.append(Unit("", note.text[a:cut], [Citation(note_id=note.note_id,
                                                                start=a, end=cut)],
                                piece.section))
                a = cut
                while a < b and note.text[a] == " ":
                    a += 1
            if b > a:
                out.append(Unit("", note.text[a:b], [Citation(note_id=note.note_id,
                                                              start=a, end=b)],
                                piece.section))
    for i, unit in enumerate(out, 1):
        unit.id = f"p{i}"
    return out


def _render_units(units: list[Unit]) -> str:
    return "\n".join(f"{u.id}: {' '.join(u.text.split())}" for u in units) or "(none)"


class HierarchicalSummarizer:
    """Runs the three levels against one backend and records every call.

    Args:
        backend: any :class:`~agent.llm.base.ChatBackend`.
        budget: characters of units per call (see ``SummarySettings.context_chars``).
        max_statements: most statements per call.
        max_retries: re-asks of the structured loop.
        max_tokens: reply budget per call.
    """

    def __init__(self, backend: ChatBackend, *, budget: int, max_statements: int = 6,
                 max_retries: int = 2, max_tokens: int = 640,
                 layouts: dict[str, NoteLayout] | None = None) -> None:
        # Deferred: jinja2 templates, only in LLM mode.
        from prompts import load_prompt

        self.backend = backend
        self.budget = budget
        self.max_statements = max_statements
        self.max_retries = max_retries
        self.params = GenerationParams(max_tokens=max_tokens)
        self.layouts = layouts or {}
        self.prompts = {n: load_prompt("summary", n) for n in ("section", "note", "patient")}
        self.schema = str(prompt_schema(LLMStatementList)).replace("'", '"')
        self.calls: list[LLMCallRecord] = []
        self.unmapped = 0

    @property
    def prompt_refs(self) -> str:
        """``id@version`` of the three prompts, as recorded in provenance."""
        return ",".join(p.ref for p in self.prompts.values())

    def _call(self, level: str, scope: str, units: list[Unit], **variables) -> list[Unit]:
        """One structured call; returns the statements as units carrying citations.

        Raises:
            BackendUnavailable: the backend is down (the caller falls back to extractive).
        """
        prompt = self.prompts[level]
        messages = prompt.render(max_statements=self.max_statements, schema=self.schema,
                                 **variables)
        record = LLMCallRecord(level=level, scope=scope, prompt=prompt.ref)
        started = time.perf_counter()
        try:
            result = generate_structured(self.backend, messages, LLMStatementList,
                                         max_retries=self.max_retries, params=self.params)
        except ExtractionFailed as e:
            record.error = e.last_error
            record.attempts = e.attempts
            record.prompt_tokens, record.completion_tokens = e.prompt_tokens, \
                e.completion_tokens
            record.seconds = round(time.perf_counter() - started, 3)
            self.calls.append(record)
            logger.warning("%s call for %s failed after %d attempt(s); its units are "
                           "carried up as they are", level, scope, e.attempts)
            return []
        record.attempts = result.attempts
        record.prompt_tokens = sum(c.prompt_tokens for c in result.completions)
        record.completion_tokens = sum(c.completion_tokens for c in result.completions)
        record.seconds = round(time.perf_counter() - started, 3)
        self.calls.append(record)
        by_id = {u.id: u for u in units}
        out = []
        for item in result.value.statements[: self.max_statements]:
            cites: list[Citation] = []
            for ref in item.cites:
                unit = by_id.get(ref.strip())
                if unit is not None:
                    cites.extend(c for c in unit.citations if c not in cites)
            if not cites:
                self.unmapped += 1  # kept with no citation: the verifier flags it
            out.append(Unit("", item.text, cites, item.section))
        return out

    def _note_statements(self, note: Note, facts: list[Unit]) -> list[Unit]:
        """Section level (passages packed into calls), then note level when split."""
        layout = self.layouts.get(note.note_id) or note_layout(note, None, Rules.load().headers)
        units = passages(note, self.budget // 2, layout)
        fact_budget = self.budget // 2
        out: list[Unit] = []
        for k, group in enumerate(pack(units, self.budget - fact_budget)):
            lo, hi = group[0].citations[0].start, group[-1].citations[0].end
            local = [f for f in facts if f.citations and f.citations[0].note_id ==
                     note.note_id and lo <= f.citations[0].start < hi]
            for i, f in enumerate(local, 1):
                f.id = f"f{i}"
            for sub in pack(local, fact_budget) or [[]]:
                out.extend(self._call(
                    "section", f"{note.note_id}:{group[0].section or 'TOP'}-"
                    f"{group[-1].section or 'TOP'}#{k}",
                    group + sub, note_type=note.note_type, date=note.date or "undated",
                    passages=_render_units(group), facts=_render_units(sub)))
        if len(out) <= self.max_statements:
            return out
        merged: list[Unit] = []
        for i, u in enumerate(out, 1):
            u.id = f"s{i}"
        for group in pack(out, self.budget):
            merged.extend(self._call("note", note.note_id, group, note_type=note.note_type,
                                     date=note.date or "undated",
                                     facts=_render_units(group)) or group)
        return merged

    def _patient(self, patient_id: str, units: list[Unit]) -> list[Unit]:
        """Patient level; a level that does not fit one call is split and reduced again."""
        for depth in range(_MAX_REDUCE_DEPTH):
            for i, u in enumerate(units, 1):
                u.id = f"s{i}"
            groups = pack(units, self.budget)
            out: list[Unit] = []
            for k, group in enumerate(groups):
                scope = patient_id if len(groups) == 1 else f"{patient_id}#{depth}.{k}"
                out.extend(self._call("patient", scope, group, patient_id=patient_id,
                                      facts=_render_units(group)))
            if len(groups) == 1 or not out or len(out) >= len(units):
                return out
            units = out
        return units

    def summarize(self, notes: list[Note], timeline: PatientTimeline,
                  extractive: list[Statement]) -> list[Statement]:
        """Narrative I-PASS statements (section -> note -> patient), with citations.

        Args:
            notes: the patient's notes.
            timeline: their timeline (facts of each note are its events).
            extractive: the extractive statements (carried up as timeline facts).

        Returns:
            The patient-level statements of the narrative sections; empty when every
            patient-level call failed (the caller then keeps the extractive ones).

        Raises:
            BackendUnavailable: the backend is down.
        """
        facts = _timeline_facts(timeline)
        lower: list[Unit] = []
        for note in sort_notes(notes):
            lower.extend(self._note_statements(note, [f for f in facts if f.citations
                                                      and f.citations[0].note_id ==
                                                      note.note_id]))
        lower.extend(Unit("", s.text, list(s.citations), s.section) for s in extractive
                     if s.section not in NARRATIVE_SECTIONS)
        final = self._patient(timeline.patient_id, lower)
        return [Statement(id=f"l{i}", section=u.section or "patient_summary", text=u.text,
                          citations=u.citations, origin="llm")
                for i, u in enumerate(final, 1) if u.section in NARRATIVE_SECTIONS]


def _timeline_facts(timeline: PatientTimeline) -> list[Unit]:
    out: list[Unit] = []
    for m in timeline.medications:
        for e in m.events:
            if e.change != "mentioned":
                out.append(Unit("", f"{m.name}: {e.change.replace('_', ' ')}"
                                + (f" ({e.detail})" if e.detail else ""), [e.citation]))
    for p in timeline.problems:
        for e in p.events:
            out.append(Unit("", f"{p.name}: {e.change.replace('_', ' ')}", [e.citation]))
    for item in timeline.items:
        out.append(Unit("", f"{item.kind.replace('_', ' ')}: {item.text}",
                        list(item.citations)))
    out.sort(key=lambda u: (u.citations[0].note_id, u.citations[0].start))
    return out
