"""The timeline of the stay: one readable list of what happened, day by day.

Built from what the patient record already holds: the notes (each note is an event; the
first admission-type note, or the first that says the patient was admitted, is the
admission; a discharge summary is the discharge), the reconciled timeline's tracks (one
event per medication change and per problem status change, not one per mention),
procedures the notes say were done (one per procedure and day) and the results of the labs
table grouped by the line that states them. Every event read from a note cites its span.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from agent.schemas.extraction import NoteExtraction
from agent.schemas.notes import Note
from agent.schemas.summary import Citation, MedicationTrack, PatientTimeline, ProblemTrack
from agent.schemas.workspace import NoteSummary, StayEvent, StayTimeline
from agent.workspace.labs import ReadValue, test_values
from agent.workspace.note_titles import NoteHeading

# Medication changes worth an event; "continued" and "mentioned" are no change.
_MED_CHANGES = {"started": "started", "dose_changed": "dose changed", "held": "held",
                "resumed": "resumed", "stopped": "stopped"}
# Problem statuses that are news whenever a problem reaches them.
_PROBLEM_CHANGES = {"resolved": "resolved", "ruled_out": "ruled out", "revised": "revised"}
_ADMIT_TYPE = re.compile(r"\b(?:ed|er|emergency|admission|admit|h&p|hp|history and physical)\b")
_DISCHARGE_TYPE = re.compile(r"\b(?:discharge|d/c)\b")
_ADMITTED = re.compile(r"\b(?:admitted|admit(?:ting)?|admission)\b", re.IGNORECASE)
_DISCHARGED = re.compile(r"\b(?:discharged?|d/c)\b", re.IGNORECASE)
# Order of a note's events on its day: the admission opens it, the discharge closes it.
_KIND_ORDER = {"admission": 0, "note": 1, "procedure": 2, "medication": 2, "problem": 2,
               "result": 2, "discharge": 3}
_SKIPPED_PROCEDURES = ("absent", "possible", "hypothetical", "historical", "family")


def stay_timeline(patient_id: str, notes: Sequence[Note],
                  extractions: Sequence[NoteExtraction], timeline: PatientTimeline,
                  headings: Mapping[str, NoteHeading]) -> StayTimeline:
    """The timeline of one patient's stay.

    Args:
        patient_id: the patient.
        notes: the notes in :func:`agent.schemas.notes.sort_notes` order.
        extractions: their extractions, same order.
        timeline: the record's reconciled timeline.
        headings: note id -> title and author (:func:`agent.workspace.note_titles.
            note_heading`).
    """
    order = {n.note_id: i for i, n in enumerate(notes)}
    by_id = {n.note_id: n for n in notes}
    events = _note_events(notes, headings)
    events += _admission(notes, headings)
    events += _discharges(notes, headings)
    for track in timeline.medications:
        events += _medication_events(track)
    first_day = next((n.date for n in notes if n.date), None)
    for problem in timeline.problems:
        events += _problem_events(problem, first_day)
    events += _procedures(notes, extractions)
    events += _results(notes, extractions)
    events = [e for e in events if e.note_id in by_id]
    events.sort(key=lambda e: (e.date is None, e.date or "", order[e.note_id],
                               _KIND_ORDER[e.kind], e.citation.start if e.citation else -1))
    return StayTimeline(
        patient_id=patient_id,
        notes=[NoteSummary(note_id=n.note_id, note_type=n.note_type, date=n.date,
                           title=headings[n.note_id].title, author=headings[n.note_id].author)
               for n in notes],
        events=events)


def _cite(note_id: str, span: tuple[int, int] | None) -> Citation | None:
    return Citation(note_id=note_id, start=span[0], end=span[1]) if span else None


def _note_events(notes: Sequence[Note], headings: Mapping[str, NoteHeading]) -> list[StayEvent]:
    out = []
    for note in notes:
        heading = headings[note.note_id]
        text = heading.title + (f" ({heading.author})" if heading.author else "")
        out.append(StayEvent(date=note.date, note_id=note.note_id, kind="note", text=text,
                             citation=_cite(note.note_id, heading.title_span)))
    return out


def _kind_words(note: Note, heading: NoteHeading) -> str:
    return f"{note.note_type.replace('_', ' ')} {heading.title}".lower()


def _admission(notes: Sequence[Note], headings: Mapping[str, NoteHeading]) -> list[StayEvent]:
    """The admission: the first admission-type note (ED note, H&P, admission note), else
    the first note saying the patient was admitted, else the first note."""
    note = next((n for n in notes if _ADMIT_TYPE.search(_kind_words(n, headings[n.note_id]))
                 and not _DISCHARGE_TYPE.search(_kind_words(n, headings[n.note_id]))), None)
    if note is None:
        note = next((n for n in notes if _ADMITTED.search(n.text)), None)
    if note is None:
        if not notes:
            return []
        note = notes[0]
    m = _ADMITTED.search(note.text)
    span = _line_around(note.text, m.start(), m.end()) if m else headings[note.note_id].title_span
    return [StayEvent(date=note.date, note_id=note.note_id, kind="admission",
                      text=f"Admitted ({headings[note.note_id].title})",
                      citation=_cite(note.note_id, span))]


def _discharges(notes: Sequence[Note], headings: Mapping[str, NoteHeading]) -> list[StayEvent]:
    out = []
    for note in notes:
        heading = headings[note.note_id]
        if not _DISCHARGE_TYPE.search(_kind_words(note, heading)):
            continue
        span = heading.title_span
        if span is None:
            m = _DISCHARGED.search(note.text)
            span = _line_around(note.text, m.start(), m.end()) if m else None
        out.append(StayEvent(date=note.date, note_id=note.note_id, kind="discharge",
                             text=f"Discharged ({heading.title})",
                             citation=_cite(note.note_id, span)))
    return out


def _line_around(text: str, start: int, end: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    b = len(text) if b < 0 else b
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _medication_events(track: MedicationTrack) -> list[StayEvent]:
    """One event per change of the drug's course; a change repeated by later notes (held
    on day 1, still held on day 3) is the same change."""
    out: list[StayEvent] = []
    last: tuple[str, str | None] | None = None
    for event in track.events:
        if event.change not in _MED_CHANGES:
            continue
        detail = event.detail if event.detail and any(c.isdigit() for c in event.detail) \
            else None
        is_move = detail is not None and "->" in detail
        if event.change == "dose_changed" and not is_move and last is not None and \
                last[0] == "dose_changed":
            continue  # "switched", or the new dose told again
        key = (event.change, detail if is_move else None)
        if key == last:
            continue
        last = key
        text = f"{track.name} {_MED_CHANGES[event.change]}" + (f" {detail}" if detail else "")
        out.append(StayEvent(date=event.date, note_id=event.note_id, kind="medication",
                             text=text, citation=event.citation))
    return out


def _problem_events(track: ProblemTrack, first_day: str | None) -> list[StayEvent]:
    """A problem first noted after the admission day, and each move to resolved, ruled
    out or revised (problems known on admission are the admission's, not events)."""
    out: list[StayEvent] = []
    first = track.events[0]
    # A problem only considered ("possible") is a differential, not an event of the stay.
    if first.date and first_day and first.date > first_day and first.change == "active":
        out.append(StayEvent(date=first.date, note_id=first.note_id, kind="problem",
                             text=f"new problem: {track.name}", citation=first.citation))
    state = None
    for event in track.events:
        change = "ruled_out" if event.change == "absent" else event.change
        if change in _PROBLEM_CHANGES and change != state:
            out.append(StayEvent(date=event.date, note_id=event.note_id, kind="problem",
                                 text=f"{track.name} {_PROBLEM_CHANGES[change]}",
                                 citation=event.citation))
        state = change
    return out


def _procedures(notes: Sequence[Note],
                extractions: Sequence[NoteExtraction]) -> list[StayEvent]:
    """Procedures the notes say were done: not negated, planned, possible or past; one per
    procedure and day (the ED note and the H&P of one morning tell the same procedure)."""
    out, seen = [], set()
    for note, ext in zip(notes, extractions, strict=True):
        for ent in ext.entities:
            if ent.type != "PROCEDURE" or ent.assertion in _SKIPPED_PROCEDURES:
                continue
            canonical = ent.normalized.get("canonical") if ent.normalized else None
            name = canonical if isinstance(canonical, str) and canonical else ent.text
            key = (name.casefold(), note.date or note.note_id)
            if key in seen:
                continue
            seen.add(key)
            out.append(StayEvent(date=note.date, note_id=note.note_id, kind="procedure",
                                 text=f"procedure: {ent.text}",
                                 citation=Citation(note_id=note.note_id, start=ent.start,
                                                   end=ent.end)))
    return out


def _results(notes: Sequence[Note], extractions: Sequence[NoteExtraction]) -> list[StayEvent]:
    """The note's stated results, one event per line that states them ("Labs: Cr 1.9,
    BUN 48, K 3.4"), citing the line from the first test to the last value."""
    out = []
    for note, ext in zip(notes, extractions, strict=True):
        by_line: dict[int, list[ReadValue]] = {}
        for value in test_values(note, ext):
            if value.is_listed:
                by_line.setdefault(note.text.rfind("\n", 0, value.start), []).append(value)
        for values in by_line.values():
            spans: list[list[int]] = []
            for v in values:  # a trend's values share their test name: one span
                if spans and v.start <= spans[-1][1]:
                    spans[-1][1] = max(spans[-1][1], v.end)
                else:
                    spans.append([v.start, v.end])
            text = ", ".join(note.text[a:b] for a, b in spans)
            start, end = min(v.start for v in values), max(v.end for v in values)
            out.append(StayEvent(date=note.date, note_id=note.note_id, kind="result",
                                 text=" ".join(text.split()),
                                 citation=Citation(note_id=note.note_id, start=start,
                                                   end=end)))
    return out
