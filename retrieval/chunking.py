"""Section- and sentence-aware chunking with offsets into the original note.

The chunker takes the layout of a note as data (section and sentence spans computed by the
caller, e.g. ``agent.indexing`` with the clinical sectionizer), so this package does not
depend on ``verifiers``.

Rules:
- a chunk never crosses a section boundary, so its ``section`` is exact;
- a chunk is whole sentences packed up to ``max_chars``; a sentence longer than that is cut
  at whitespace (the only case a sentence is split);
- in medication sections the units are list items (a bullet or numbered line plus its
  indented continuation lines), never the sentence splitter's output, and an item is never
  split even when it exceeds ``max_chars``: half a medication line (drug without dose, or
  dose without drug) is a wrong answer, not a partial one;
- chunk offsets are trimmed to non-whitespace and ``text == note.text[start:end]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.schemas.notes import Note
from agent.schemas.retrieval import Chunk

# Bump when chunk boundaries change: indexes record it and refuse a mismatch.
CHUNKER_VERSION = "sections-sentences-v1"
DEFAULT_MAX_CHARS = 800

_BULLET_LINE = re.compile(r"^[ \t]*(?:[-*•·▪]|\d{1,2}[.)]|[a-z][.)]|#\d*)\s")


@dataclass(frozen=True)
class SectionSpan:
    """A section of a note: character range and UPPER_SNAKE category (None = no header)."""

    start: int
    end: int
    category: str | None


def chunker_id(max_chars: int) -> str:
    """The chunker version plus its parameters, as recorded in the index manifest."""
    return f"{CHUNKER_VERSION}/max{max_chars}"


def is_medication_section(category: str | None) -> bool:
    """Medication lists (home, admission, discharge) are chunked by list item."""
    return category is not None and "MEDICATION" in category


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _list_items(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Lines of a list section grouped into items (bullet line + indented continuations)."""
    items: list[list[int]] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl == -1 else nl
        line = text[pos:line_end]
        if line.strip():
            continues = (items and not _BULLET_LINE.match(line) and line[:1] in (" ", "\t"))
            if continues:
                items[-1][1] = line_end
            else:
                items.append([pos, line_end])
        pos = line_end + 1
    return [(a, b) for a, b in items]


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at whitespace into pieces of at most ``max_chars``."""
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        if cut == -1:
            cut = text.rfind("\n", start + max_chars // 2, start + max_chars)
        cut = start + max_chars if cut == -1 else cut
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _units(text: str, section: SectionSpan, sentences: Sequence[tuple[int, int]],
           max_chars: int) -> list[tuple[int, int]]:
    if is_medication_section(section.category):
        return _list_items(text, section.start, section.end)
    units: list[tuple[int, int]] = []
    pos = section.start
    for s, e in sentences:
        s, e = max(s, section.start), min(e, section.end)
        if e <= s:
            continue
        if s > pos:  # text the sentence splitter did not cover stays searchable
            units.append((pos, s))
        units.extend(_cut_long(text, s, e, max_chars))
        pos = e
    if pos < section.end:
        units.append((pos, section.end))
    return units


def _cover(text: str, sections: Sequence[SectionSpan]) -> list[SectionSpan]:
    """Sections sorted and clipped, with any uncovered text as a section of its own."""
    out: list[SectionSpan] = []
    pos = 0
    for sec in sorted(sections, key=lambda s: s.start):
        start, end = max(sec.start, pos), min(sec.end, len(text))
        if start > pos:
            out.append(SectionSpan(pos, start, None))
        if end > start:
            out.append(SectionSpan(start, end, sec.category))
            pos = end
    if pos < len(text):
        out.append(SectionSpan(pos, len(text), None))
    return out


def chunk_note(note: Note, sections: Sequence[SectionSpan],
               sentences: Sequence[tuple[int, int]], *,
               max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Cut a note into chunks of whole sentences (or list items) within sections.

    Args:
        note: the note; offsets refer to ``note.text``.
        sections: section spans of the note (gaps and overlaps are tolerated: uncovered text
            becomes a chunk with ``section=None``).
        sentences: sentence character spans, sorted.
        max_chars: soft size limit of a chunk (only a single medication item may exceed it).

    Returns:
        The chunks in text order, with deterministic ids ``note_id:start-end``.
    """
    text = note.text
    sentences = sorted(sentences)
    chunks: list[Chunk] = []
    for section in _cover(text, sections):
        inside = [s for s in sentences if s[1] > section.start and s[0] < section.end]
        current: tuple[int, int] | None = None
        for a, b in _units(text, section, inside, max_chars):
            a, b = _trim(text, a, b)
            if b <= a:
                continue
            if current is not None and b - current[0] <= max_chars:
                current = (current[0], b)
                continue
            if current is not None:
                chunks.append(_make_chunk(note, current, section.category))
            current = (a, b)
        if current is not None:
            chunks.append(_make_chunk(note, current, section.category))
    return chunks


def _make_chunk(note: Note, span: tuple[int, int], category: str | None) -> Chunk:
    start, end = span
    return Chunk(
        chunk_id=f"{note.note_id}:{start}-{end}", note_id=note.note_id,
        patient_id=note.patient_id, start=start, end=end, text=note.text[start:end],
        section=category, note_type=note.note_type, date=note.date,
    )


def embedding_text(chunk: Chunk) -> str:
    """The text embedded for a chunk: its section name in words, then the passage.

    A continuation chunk of a long section ("- lisinopril 10 mg daily") otherwise loses
    the context its header gave ("Discharge medications").
    """
    if chunk.section is None:
        return chunk.text
    return f"{chunk.section.replace('_', ' ').lower()}: {chunk.text}"
