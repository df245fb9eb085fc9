"""A note's title and author, as the workspace's note chips and the notes listing show them.

The title is the line near the top that names the kind of document ("ED PROVIDER NOTE",
"Hospital Medicine Progress Note  HD#3", "Fernhollow General Hospital DISCHARGE SUMMARY"),
cut at the separators headers use and stripped of facility names, dates and day counts;
when no such line opens the note, the note type reads as the title ("ed_note" ->
"ED note"). The author is the name after an author phrase ("Electronically signed by",
"Dictated by", ...), else the signature line at the end of the note ("-- J. Smith, MD"),
else the attending named in the header.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.workspace.person_names import person_at

# Words that name a kind of clinical document; a top line holding one is the title.
_DOCUMENT = re.compile(
    r"\b(?:note|notes|summary|report|consult|consultation|h&p|history (?:and|&) physical|"
    r"admission|admit|progress|procedure|record|documentation|follow-?up|flowsheet|"
    r"evaluation|assessment|discharge|operative|"
    r"letter|transfer|handoff|sign-?out)\b", re.IGNORECASE)
# Facility names that headers put before the title ("St. X Regional Hospital ED NOTE").
_FACILITY = re.compile(r"\b(?:hospital|medical cent(?:er|re)|clinic|institute|infirmary|"
                       r"health(?: system)?)\b", re.IGNORECASE)
_SEGMENT_SEP = re.compile(
    r"\s+--+\s+|\s+[-–—]\s+|\s*//\s*|\s*\|\s*| {2,}|\t|,\s+|\s*[=*.~_]{2,}\s*")
# A line that opens with "Label:" is a header field, not a title.
_FIELD_LINE = re.compile(r"^\s*[A-Za-z][\w /&().'#-]{0,40}:\s")
_TITLE_LINES = 3
_MAX_TITLE_CHARS = 60
# Short capitalised words that are words, not acronyms, when a title is recased.
_COMMON = frozenset({
    "of", "to", "in", "on", "at", "by", "an", "or", "and", "the", "for", "with", "from",
    "note", "care", "unit", "day", "left", "right", "head", "neck", "exam", "view", "views",
    "bed", "room", "ward", "team", "stay", "med", "meds", "admit", "post", "pre", "plan",
    "form", "call", "code", "chest", "lab", "labs", "only", "new", "old", "visit", "home",
    "case", "data", "line", "sign", "off", "out", "over", "brief", "full", "final", "page"})
_SIGNATURE_LINES = 3
_HEADER_LINES = 15
_SIGNATURE_SEP = re.compile(r"\s+--+\s+|\s+[–—]\s+|\s*\|\s*| {2,}|\t|(?<=\.)\s+--\s*")


@dataclass(frozen=True)
class NoteHeading:
    """A note's title and author with the spans they were read from (None when the title
    comes from the note type or no author is written)."""

    title: str
    title_span: tuple[int, int] | None
    author: str | None
    author_span: tuple[int, int] | None


def note_heading(text: str, note_type: str, *, author_labels: Sequence[str],
                 header_labels: Sequence[str] = (),
                 attending_labels: Sequence[str] = ()) -> NoteHeading:
    """The title and author of one note.

    Args:
        text: the note text.
        note_type: the note's type (the title when no top line names the document).
        author_labels: phrases before the author's name (``workspace.author_labels``).
        header_labels: header labels of the writer (``workspace.author_header_labels``).
        attending_labels: header labels of the attending (``workspace.banner_labels.
            attending``), the author when nothing else names one.
    """
    title, title_span = note_title(text, note_type)
    author = note_author(text, author_labels=author_labels, header_labels=header_labels,
                         attending_labels=attending_labels)
    return NoteHeading(title, title_span, author[0] if author else None,
                       author[1] if author else None)


def note_title(text: str, note_type: str) -> tuple[str, tuple[int, int] | None]:
    """The note's title and its span, or the note type as a title (span None)."""
    pos, seen = 0, 0
    for raw in text.split("\n"):
        start, pos = pos, pos + len(raw) + 1
        if not raw.strip():
            continue
        seen += 1
        if seen > _TITLE_LINES or _FIELD_LINE.match(raw):
            break
        found = _title_in_line(raw)
        if found is not None:
            a, b = found
            return _recased(raw[a:b]), (start + a, start + b)
    return type_title(note_type), None


def type_title(note_type: str) -> str:
    """A note type as a title: "ed_note" -> "ED note", "discharge_summary" ->
    "Discharge summary"; "unknown" or empty -> "Note"."""
    words = [w for w in re.split(r"[\s_]+", note_type.strip()) if w]
    if not words or [w.lower() for w in words] == ["unknown"]:
        return "Note"
    out = [w.upper() if len(w) <= 2 and w.lower() not in _COMMON else w.lower() for w in words]
    return out[0][:1].upper() + out[0][1:] + "".join(" " + w for w in out[1:])


def _title_in_line(line: str) -> tuple[int, int] | None:
    pos = 0
    for sep in [*_SEGMENT_SEP.finditer(line), None]:
        end = sep.start() if sep else len(line)
        span = _title_in_segment(line, pos, end)
        if span is not None:
            return span
        if sep is not None:
            pos = sep.end()
    return None


def _title_in_segment(line: str, a: int, b: int) -> tuple[int, int] | None:
    a, b = _stripped(line, a, b)
    if b <= a or not _DOCUMENT.search(line, a, b):
        return None
    # "St. X Regional Hospital DISCHARGE SUMMARY": the title follows the facility name
    # (a facility noun opening the segment is a service: "Hospital Medicine Progress Note").
    facility = None
    for m in _FACILITY.finditer(line, a, b):
        if line[a:m.start()].strip() and _DOCUMENT.search(line, m.end(), b):
            facility = m
    if facility is not None:
        a, b = _stripped(line, facility.end(), b)
    # "Fernhollow General DISCHARGE SUMMARY": the run of capitals holding the document word.
    words = list(re.finditer(r"\S+", line[a:b]))
    if words and not line[a:b].isupper():
        caps = _capital_run(line, a, words)
        if caps is not None:
            a, b = caps
    segment = line[a:b]
    if len(segment) > _MAX_TITLE_CHARS or re.search(r"[.?!]\s+\S|[?!]$", segment):
        return None
    return a, b


def _capital_run(line: str, a: int, words: list[re.Match]) -> tuple[int, int] | None:
    runs: list[list[re.Match]] = []
    for w in words:
        if w.group().isupper() and re.search(r"[A-Z]{2}", w.group()):
            if runs and runs[-1][-1].end() == w.start() - 1:
                runs[-1].append(w)
                continue
            runs.append([w])
    for run in runs:
        start, end = a + run[0].start(), a + run[-1].end()
        if _DOCUMENT.search(line, start, end) and (len(run) >= 2 or start > a):
            return start, end
    return None


def _stripped(line: str, a: int, b: int) -> tuple[int, int]:
    """The segment without decoration, a trailing date, time or day count ("HD#3")."""
    while True:
        before = (a, b)
        while a < b and line[a] in " *=#_~:-/":
            a += 1
        while b > a and (line[b - 1] in " *=#_~:-.,/" or (line[b - 1] == ")"
                                                          and "(" not in line[a:b])):
            b -= 1
        words = list(re.finditer(r"\S+", line[a:b]))
        if len(words) > 1 and re.search(r"\d", words[-1].group()):
            b = a + words[-2].end()
        if (a, b) == before:
            return a, b


def _recased(title: str) -> str:
    """A title in capitals in sentence case, acronyms kept ("ED PROVIDER NOTE" ->
    "ED provider note"); a title in mixed case as written."""
    title = " ".join(title.split())
    letters = [c for c in title if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) < 0.8 * len(letters):
        return title
    # After a hyphen a short part ends a word ("FOLLOW-UP"), it is not an acronym.
    text = re.sub(r"[A-Za-z]+", lambda m: m.group().lower() if m.start() and
                  title[m.start() - 1] in "-'’" and len(m.group()) <= 2
                  else _recased_word(m.group()), title)
    return text[:1].upper() + text[1:]


def _recased_word(word: str) -> str:
    if word.lower() in _COMMON:
        return word.lower()
    return word if len(word) <= 4 else word.lower()


def note_author(text: str, *, author_labels: Sequence[str], header_labels: Sequence[str] = (),
                attending_labels: Sequence[str] = ()) -> tuple[str, tuple[int, int]] | None:
    """The note's author and the span of the name, or None when the note names none.

    Args:
        text: the note text.
        author_labels: phrases before the author's name anywhere in the note.
        header_labels: header labels naming the writer ("Provider:", "Consultant:"),
            read in the header when no author phrase or signature line names one.
        attending_labels: the attending's header labels, read with ``header_labels``.
    """
    labelled = _after_label(text, author_labels, whole_note=True)
    if labelled is not None:
        return labelled
    signed = _signature(text)
    if signed is not None:
        return signed
    return _after_label(text, [*header_labels, *attending_labels], whole_note=False)


def _after_label(text: str, labels: Sequence[str], *,
                 whole_note: bool) -> tuple[str, tuple[int, int]] | None:
    if not labels:
        return None
    alternation = "|".join(r"\s+".join(re.escape(w) for w in label.split())
                           for label in sorted(labels, key=len, reverse=True))
    rx = re.compile(rf"(?<![\w])(?:{alternation})\s*:?[ \t]*", re.IGNORECASE)
    # The attending of the header only: an attending named in the body is someone else
    # the note talks about.
    region = text if whole_note else "\n".join(text.split("\n")[:_HEADER_LINES])
    found = []
    for m in rx.finditer(region):
        line_end = text.find("\n", m.end())
        rest = text[m.end():line_end if line_end >= 0 else len(text)]
        span = person_at(rest)
        if span is not None:
            a, b = m.end() + span[0], m.end() + span[1]
            found.append((text[a:b], (a, b)))
            if whole_note:
                break
    return found[0] if found else None


def _signature(text: str) -> tuple[str, tuple[int, int]] | None:
    lines = []
    pos = 0
    for raw in text.split("\n"):
        if raw.strip():
            lines.append((pos, raw))
        pos += len(raw) + 1
    for start, raw in reversed(lines[-_SIGNATURE_LINES:]):
        pos = 0
        for sep in [*_SIGNATURE_SEP.finditer(raw), None]:
            end = sep.start() if sep else len(raw)
            span = person_at(raw[pos:end], needs_credential=True)
            if span is not None:
                a, b = start + pos + span[0], start + pos + span[1]
                return text[a:b], (a, b)
            if sep is None:
                break
            pos = sep.end()
    return None
