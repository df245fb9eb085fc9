"""The layout of a note: its lines with their section, its sentences and its clauses, as
offsets into the note text. Computed once per note (:func:`agent.nlp.layout.layout_note`)
and read by the timeline, the summaries, chat citation narrowing and the verifier, so a
line sits in one section and a cue in one clause for all of them."""

from __future__ import annotations

from bisect import bisect_right
from functools import cached_property

from pydantic import BaseModel, ConfigDict


class LineSpan(BaseModel):
    """A non-blank line (trailing spaces excluded) and the section it belongs to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int
    end: int
    section: str | None = None


class TextSpan(BaseModel):
    """A stretch of the note: ``text[start:end]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int
    end: int


class NoteLayout(BaseModel):
    """Lines (with sections), sentences and clauses of one note, in text order.

    Sentences and clauses never cross a line break: a note's lines are its list items and
    headers, and a cue on one line does not reach the next.
    """

    model_config = ConfigDict(extra="forbid")

    lines: list[LineSpan]
    sentences: list[TextSpan]
    clauses: list[TextSpan]

    # Start offsets, computed once per layout: lookups are bisections, not scans (a note of
    # thousands of mentions asks for thousands of clauses).
    @cached_property
    def line_starts(self) -> list[int]:
        return [s.start for s in self.lines]

    @cached_property
    def sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    @cached_property
    def clause_starts(self) -> list[int]:
        return [s.start for s in self.clauses]

    def sentences_in(self, start: int, end: int) -> list[tuple[int, int]]:
        """Sentences lying inside ``[start, end)`` as ``(start, end)`` pairs."""
        return _inside(self.sentences, self.sentence_starts, start, end)

    def clauses_in(self, start: int, end: int) -> list[tuple[int, int]]:
        """Clauses lying inside ``[start, end)`` as ``(start, end)`` pairs."""
        return _inside(self.clauses, self.clause_starts, start, end)

    def clause_around(self, start: int, end: int) -> tuple[int, int]:
        """The clause holding ``[start, end)`` (or the line when no clause holds it)."""
        for span, starts in ((self.clauses, self.clause_starts),
                             (self.lines, self.line_starts)):
            i = bisect_right(starts, start) - 1
            if i >= 0 and span[i].start <= start and end <= span[i].end:
                return span[i].start, span[i].end
        return start, end

    def section_at(self, offset: int) -> str | None:
        """The section of the line holding ``offset`` (the line above for a blank line)."""
        i = bisect_right(self.line_starts, offset) - 1
        return self.lines[i].section if i >= 0 else None


def _inside(spans: list[TextSpan], starts: list[int], start: int, end: int,
            ) -> list[tuple[int, int]]:
    i = bisect_right(starts, start - 1)
    out = []
    for s in spans[i:]:
        if s.start >= end:
            break
        if s.start >= start and s.end <= end:
            out.append((s.start, s.end))
    return out
