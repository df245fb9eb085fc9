"""The extractive I-PASS handoff: every section filled from the reconciled timeline and
verbatim sentences of the notes, so ``clinagent handoff`` works offline with no LLM.

The hierarchical LLM summary (:mod:`agent.handoff.hierarchical`) reuses these statements for the
structured sections (problems, medications, allergies, pending) and as its fallback.
Every statement cites the note span it rests on. The action list adds the patient's
conditional plans (:mod:`agent.handoff.conditional_plans`) that no to-do or contingency of
the situation awareness already states.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from agent.handoff.conditional_plans import conditional_plans
from agent.nlp.layout import header_end
from agent.rules import Rules
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note, sort_notes
from agent.schemas.summary import (
    Citation,
    MedicationTrack,
    PatientTimeline,
    ProblemTrack,
    Statement,
    TimelineItem,
)
from agent.schemas.summary_rules import SectionRoles

logger = logging.getLogger(__name__)

_SEVERITY_ORDER = ("unstable", "watcher", "stable")
_STATUS_TEXT = {"active": "current", "held": "HELD", "stopped": "STOPPED"}
_REASON_CHANGES = frozenset({"stopped", "held", "dose_changed"})
_CHANGE_TEXT = {"started": "started", "dose_changed": "dose changed", "held": "held",
                "resumed": "resumed", "stopped": "stopped"}


@dataclass
class _Builder:
    """Collects statements with sequential ids."""

    statements: list[Statement] = field(default_factory=list)

    def add(self, section: str, text: str, citations: list[Citation]) -> None:
        cites = _dedupe(citations)
        self.statements.append(Statement(id=f"s{len(self.statements) + 1}", section=section,
                                         text=" ".join(text.split()), citations=cites,
                                         origin="extractive"))


def _dedupe(citations: list[Citation]) -> list[Citation]:
    seen, out = set(), []
    for c in citations:
        key = (c.note_id, c.start, c.end)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _cite(note: Note, a: int, b: int) -> Citation:
    return Citation(note_id=note.note_id, start=a, end=b)


@dataclass
class _Context:
    """What every section builder reads: the notes' layouts and the rule set."""

    layouts: dict[str, NoteLayout]
    rules: Rules


def _severity(b: _Builder, notes: list[Note], ctx: _Context) -> None:
    """I-PASS illness severity from the latest note that states a cue."""
    for note in reversed(notes):
        found: dict[str, tuple[int, int]] = {}
        for piece in ctx.layouts[note.note_id].lines:
            # Words of the past or of other people say nothing of how ill the patient is.
            if ctx.rules.roles.has(piece.section, "not_severity"):
                continue
            for cue in ctx.rules.cues.find("severity", note.text, piece.start, piece.end):
                # An explicit "stable" beats a discharge header as the stable evidence.
                if cue.label not in found or (
                        "stable" in note.text[cue.start:cue.end].lower()
                        and "stable" not in note.text[slice(*found[cue.label])].lower()):
                    found[cue.label] = (piece.start, piece.end)
        if not found:
            continue
        # A discharge summary that calls the patient stable wins over the course it retells.
        if "stable" in found and "discharge" in note.note_type.lower():
            level = "stable"
        else:
            level = next(x for x in _SEVERITY_ORDER if x in found)
        a, e = found[level]
        said = note.text[a:e]
        if "stable" not in said.lower() and "discharge summary" in said.lower():
            # The only cue is the title of a discharge summary: say what it means rather
            # than repeat a header (which often names the hospital).
            said = f"discharged ({note.note_type.replace('_', ' ')}, {note.date or 'undated'})"
        b.add("illness_severity", f"{level.capitalize()}: {said}", [_cite(note, a, e)])
        return


def _first_sentence(note: Note, section: str, ctx: _Context,
                    count: int = 1) -> list[tuple[int, int]]:
    out = []
    layout = ctx.layouts[note.note_id]
    for piece in layout.lines:
        if piece.section != section:
            continue
        for a, e in layout.sentences_in(piece.start, piece.end):
            text = note.text[a:e]
            # Skip bare headers ("HPI:", "Assessment and Plan:") and very short fragments.
            if len(text.split(":", 1)[-1].strip()) < 20:
                continue
            out.append((a, e))
            if len(out) >= count:
                return out
    return out


def _patient_summary(b: _Builder, notes: list[Note], ctx: _Context) -> None:
    """The HPI's opening sentence (who, with what) and the latest assessment or course."""
    headers = ctx.rules.headers
    for note in notes:
        spans = _first_sentence(note, "HPI", ctx)
        if spans:
            a, e = spans[0]
            a = header_end(note.text, a, e, headers)
            b.add("patient_summary", note.text[a:e], [_cite(note, a, e)])
            break
    latest = notes[-1]
    for section, count in (("HOSPITAL_COURSE", 2), ("ASSESSMENT_PLAN", 1)):
        spans = _first_sentence(latest, section, ctx, count)
        for a, e in spans:
            if section == "HOSPITAL_COURSE":
                a = header_end(latest.text, a, e, headers)
            b.add("patient_summary", latest.text[a:e], [_cite(latest, a, e)])
        if spans:
            return


def _problems(b: _Builder, tl: PatientTimeline, limit: int, roles: SectionRoles) -> None:
    # A problem enters the list when a plan or the discharge diagnoses name it, not when it
    # is only a symptom of the HPI. Symptoms and signs (ICD-10-CM chapter R) are evidence,
    # not problems of the list.
    listed = [p for p in tl.problems if p.status == "active" and any(
        e.change == "active" and roles.has(e.detail, "diagnosis_list") for e in p.events)
        and not (p.codes and p.codes[0].startswith("R"))]
    listed.sort(key=lambda p: -_latest_index(p, tl))
    for p in listed[:limit]:
        b.add("active_problems", f"{p.name}: active", _problem_cites(p, "active"))
    for p in tl.problems:
        if p.status == "possible" and any(e.change == "possible" and e.detail ==
                                          "DISCHARGE_DIAGNOSES" for e in p.events):
            # Left open on the discharge diagnosis list ("not excluded; monitor pending"):
            # the next team has to know it is still a question.
            b.add("active_problems", f"{p.name}: possible, not settled",
                  _problem_cites(p, "possible"))
            continue
        # Listed only when a work-up ruled it out, not for every "no X" of a report.
        if p.status == "resolved" or (p.status == "ruled_out" and any(
                e.change == "ruled_out" for e in p.events)):
            word = "ruled out" if p.status == "ruled_out" else "resolved"
            b.add("active_problems", f"{p.name}: {word}", _problem_cites(p, p.status))


def _latest_index(p: ProblemTrack, tl: PatientTimeline) -> int:
    order = {n.note_id: i for i, n in enumerate(tl.notes)}
    return max(order.get(e.note_id, 0) for e in p.events)


def _problem_cites(p: ProblemTrack, status: str) -> list[Citation]:
    matching = [e.citation for e in p.events if e.change == status]
    return matching[-2:] or [p.events[-1].citation]


def _with_regimen(head: str, m: MedicationTrack) -> str:
    """A drug's name followed by the regimen the timeline holds for it."""
    return " ".join(x for x in (head, m.dose, m.route, m.frequency) if x)


def _medication_text(m: MedicationTrack, notes: dict[str, Note]) -> tuple[str, list[Citation]]:
    taken = [e for e in m.events if e.change != "mentioned"] or m.events
    last_note = taken[-1].note_id
    # The fullest mention of the latest note that states the drug (name + dose + route);
    # one that carries a regimen first: the course's "losartan added for proteinuria" is
    # longer than the list's "Losartan 25 mg PO daily" but states no dose.
    latest = max((e for e in taken if e.note_id == last_note),
                 key=lambda e: (any(ch.isdigit() for ch in e.detail or ""),
                                e.citation.end - e.citation.start))
    c = latest.citation
    name = notes[c.note_id].text[c.start:c.end] if c.note_id in notes else m.name
    text = notes[c.note_id].text if c.note_id in notes else ""
    line_end = text.find("\n", c.end)
    rest = text[c.end:line_end if line_end != -1 else len(text)]
    changed_here = any(e.change == "dose_changed" and "->" in (e.detail or "")
                       and e.note_id == last_note for e in m.events)
    if m.dose and m.dose.split()[0] not in name and (
            changed_here or any(a in rest for a in ("->", "→", "=>"))):
        # The cited mention carries the old amount ("6.25 mg BID -> 12.5 mg BID", or the
        # home list of the note that changed the dose): state the regimen the timeline
        # holds now.
        drug = name.split()[0] if name.split() else m.name
        name = _with_regimen(drug, m)
    dose_cite = []
    if m.status in ("stopped", "held") and m.dose and len(name.split()) <= 3 and not any(
            ch.isdigit() for ch in name) and not any(e.change == "dose_changed"
                                                     for e in m.events):
        # "Stopped: doxycycline" names no regimen; which one was stopped is the one the
        # notes stated (cited there; a drug whose dose changed on the way is left as
        # named: its last regimen and its first would read as one).
        number = m.dose.split()[0]
        src = [e for e in m.events if e.detail and number in e.detail.split()]
        if src:
            name = _with_regimen(name, m)
            dose_cite = [src[-1].citation]
    changes = []
    # Several changes read in one note are one step: the last one says where it ended
    # ("stopped; started" on one discharge day reads as its final state).
    last_of_note = {e.note_id: e for e in m.events if e.change in _CHANGE_TEXT}
    for e in m.events:
        if e.change in _CHANGE_TEXT and last_of_note.get(e.note_id) is not e:
            continue
        # A run of the same change restated in later notes is one change.
        repeat = changes and changes[-1].change == e.change and not (
            e.change == "dose_changed" and "->" in (e.detail or ""))
        if e.change in _CHANGE_TEXT and not repeat:
            changes.append(e)
        elif repeat and e.reason and not changes[-1].reason:
            # The restatement that gives the reason lends it to the change it repeats.
            changes[-1] = changes[-1].model_copy(update={
                "reason": e.reason, "reason_citation": e.reason_citation})
    parts = [f"{' '.join(name.split())}: {_STATUS_TEXT.get(m.status, m.status)}"]
    history = []
    for e in changes[-4:]:
        word = _CHANGE_TEXT[e.change]
        if e.change == "dose_changed" and e.detail and "->" in e.detail:
            word += f" ({e.detail})"
        # The reason the note gives for a stop, hold or dose change ("stopped 2026-03-15;
        # due to angioedema"), in a clause of its own: the verifier binds a change word
        # to the claims of its clause, and a reason is no drug that was stopped. A start's
        # indication is the drug's, said elsewhere.
        reason = f"; due to {e.reason}" if e.reason and e.change in _REASON_CHANGES else ""
        history.append(f"{word} {e.date or e.note_id}{reason}")
    if history:
        parts.append("; ".join(history))
    return " - ".join(parts), [c, *dose_cite, *(e.citation for e in changes[-4:]),
                               *(e.reason_citation for e in changes[-4:]
                                 if e.reason_citation and e.change in _REASON_CHANGES)]


def _list_ranges(note_id: str | None, ctx: _Context) -> list[tuple[int, int]]:
    if note_id is None or note_id not in ctx.layouts:
        return []
    return [(p.start, p.end) for p in ctx.layouts[note_id].lines
            if p.section == "DISCHARGE_MEDICATIONS"]


def _medications(b: _Builder, tl: PatientTimeline, notes: dict[str, Note], limit: int,
                 ctx: _Context) -> None:
    latest = tl.notes[-1].note_id if tl.notes else None
    ranges = _list_ranges(latest, ctx)

    def on_list(m: MedicationTrack) -> bool:
        return any(e.note_id == latest and any(a <= e.citation.start < z for a, z in ranges)
                   for e in m.events)

    order = {"active": 0, "held": 1, "stopped": 2}
    tracks = [m for m in tl.medications if m.status in order
              and any(e.change in _CHANGE_TEXT or e.change == "continued" for e in m.events)]
    tracks.sort(key=lambda m: order[m.status])
    inpatient_only = []
    shown = 0
    for m in tracks:
        # With a discharge medication list, a drug still running in hospital but absent
        # from the list is not a current medication.
        if ranges and m.status == "active" and not on_list(m):
            inpatient_only.append(m)
            continue
        if m.status == "stopped" and not any(e.change == "stopped" for e in m.events):
            continue
        if shown >= limit and m.status == "active":
            inpatient_only.append(m)
            continue
        text, cites = _medication_text(m, notes)
        b.add("medications", text, cites)
        shown += 1
    if inpatient_only:
        names = ", ".join(m.name for m in inpatient_only)
        b.add("medications",
              f"Medications of the hospital stay not on the latest medication list: {names}",
              [m.events[-1].citation for m in inpatient_only])


def _items(tl: PatientTimeline, kind: str) -> list[TimelineItem]:
    return [i for i in tl.items if i.kind == kind]


def _latest_items(tl: PatientTimeline, kind: str) -> list[TimelineItem]:
    """The items of ``kind`` from the latest note that has any."""
    order = [n.note_id for n in tl.notes]
    items = _items(tl, kind)
    for note_id in reversed(order):
        found = [i for i in items if i.citations[0].note_id == note_id]
        if found:
            return found
    return []


def _allergies(b: _Builder, tl: PatientTimeline) -> None:
    for item in _items(tl, "allergy"):
        if item.text.lower().startswith("no known"):
            b.add("allergies", item.text, item.citations)
            continue
        text = item.text if item.detail is None else f"{item.text} ({item.detail})"
        b.add("allergies", f"Allergy: {text}", item.citations)


def _pending_and_actions(b: _Builder, tl: PatientTimeline, limit: int) -> None:
    for item in _latest_items(tl, "pending")[:limit]:
        b.add("pending", item.text, item.citations)
    for item in _latest_items(tl, "todo")[:limit]:
        if item.text.rstrip().endswith(":"):
            continue
        b.add("action_list", item.text, item.citations)


def _contingencies(notes: list[Note], limit: int, ctx: _Context,
                   ) -> tuple[Note | None, list[tuple[int, int]]]:
    """The contingency sentences of the plan sections of the latest note that has any."""
    for note in reversed(notes):
        found = []
        layout = ctx.layouts[note.note_id]
        for piece in layout.lines:
            if not ctx.rules.roles.has(piece.section, "plan"):
                continue
            for a, e in layout.sentences_in(piece.start, piece.end):
                if ctx.rules.cues.find("contingency", note.text, a, e):
                    found.append((a, e))
        if found:
            return note, found[:limit]
    return None, []


def _situation(b: _Builder, tl: PatientTimeline, note: Note | None,
               spans: list[tuple[int, int]]) -> None:
    codes = _items(tl, "code_status")
    if codes:
        last = codes[-1]
        b.add("situation_awareness", f"Code status: {last.text}", last.citations)
    for a, e in spans:
        b.add("situation_awareness", note.text[a:e], [_cite(note, a, e)])


def _conditional_actions(b: _Builder, notes: list[Note], tl: PatientTimeline, ctx: _Context,
                         said: list[Citation], limit: int) -> None:
    """Conditional plans ("resume metformin 3/20 if labs OK") as action-list items, unless
    a statement already cites their words (a to-do, a contingency of the situation)."""
    by_id = {n.note_id: n for n in notes}
    added = 0
    for plan in conditional_plans(notes, ctx.layouts, tl, ctx.rules):
        if added >= limit:
            return
        if any(c.note_id == plan.note_id and c.start < plan.end and plan.start < c.end
               for c in said):
            continue
        note = by_id[plan.note_id]
        b.add("action_list", note.text[plan.start:plan.end], [plan.citation])
        added += 1


def extractive_statements(notes: list[Note], timeline: PatientTimeline,
                          layouts: dict[str, NoteLayout], *, max_items: int = 12,
                          rules: Rules | None = None) -> list[Statement]:
    """Fill every I-PASS section from the timeline and the notes' own sentences.

    Args:
        notes: the patient's notes (any order).
        timeline: their reconciled timeline (:func:`agent.handoff.timeline.build_timeline`).
        layouts: each note's layout (note id -> layout), as the timeline read it.
        max_items: most statements per list section (problems, medications, to-dos).
        rules: the rule set (None = packaged).

    Returns:
        Statements in I-PASS order, each with at least one citation.
    """
    ordered = sort_notes(notes)
    by_id = {n.note_id: n for n in ordered}
    b = _Builder()
    ctx = _Context(layouts, rules or Rules.load())
    _severity(b, ordered, ctx)
    _patient_summary(b, ordered, ctx)
    _problems(b, timeline, max_items, ctx.rules.roles)
    _medications(b, timeline, by_id, max_items, ctx)
    _allergies(b, timeline)
    _pending_and_actions(b, timeline, max_items)
    note, contingencies = _contingencies(ordered, max_items // 2, ctx)
    said = [c for s in b.statements if s.section in ("action_list", "pending")
            for c in s.citations]
    if note is not None:
        said += [_cite(note, a, e) for a, e in contingencies]
    _conditional_actions(b, ordered, timeline, ctx, said, max_items // 2)
    _situation(b, timeline, note, contingencies)
    logger.info("extractive handoff: %d statements", len(b.statements))
    return b.statements
