"""Conditional plans: sentences that make a drug or a plan depend on a condition or a date
("resume lisinopril 3/20 if creatinine stable", "restart apixaban in 48 h if no bleeding",
"if K < 3.5, replete").

Read from shapes, not from strings: a clause with a ``condition`` cue (``cues.json``: if,
unless, a "when" that is not past, "once/until" followed by a state) that also holds a plan
verb (a ``medication`` change cue, a ``contingency`` or ``todo`` cue, or one of
:data:`PLAN_VERBS`) or a drug, in a section that plans (the ``plan`` / ``recommends`` /
``future`` roles, or a medication list) or in a sentence that names a time ahead of the
note. The handoff's action list and the medication reconciliation view read the same list.

A plan about a drug is dropped once a later note changes or restates that drug (the plan
was acted on or replaced); a plan without a drug is kept only from the latest note that
has plans, as the situation awareness section does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from agent.rules import Rules
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note
from agent.schemas.summary import Citation, PatientTimeline

# Verbs of a plan the cue file has no kind for (electrolyte and titration orders). A plan
# verb is otherwise any medication change, contingency or to-do cue of ``cues.json``.
PLAN_VERBS = re.compile(r"\b(?:replete|supplement|titrate|wean|taper|transfuse|redose|"
                        r"re-?dose|bolus|uptitrate|downtitrate)\b", re.IGNORECASE)
# A time ahead of the note: "tomorrow", "in 48 h", "in 2 days", "next week", "after
# discharge"; dates ("3/20") are compared with the note's date instead.
_FUTURE_WORDS = re.compile(r"\b(?:tomorrow|tonight|next (?:week|month|visit)|"
                           r"in \d+(?:\s*-\s*\d+)?\s*(?:h|hrs?|hours?|d|days?|wks?|weeks?)\b|"
                           r"(?:after|at|upon) discharge)", re.IGNORECASE)
_SHORT_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b")
# Changes that act on a drug: a later one supersedes a plan about it.
_ACTED = frozenset({"started", "continued", "dose_changed", "held", "resumed", "stopped"})
_LIST_SECTIONS = frozenset({"MEDICATIONS", "DISCHARGE_MEDICATIONS"})
_PLAN_ROLES = ("plan", "recommends", "future")


@dataclass(frozen=True)
class ConditionalPlan:
    """One conditional plan: its text span, the drug it is about (the timeline's drug key)
    and the index of its note in the record's note order."""

    note_id: str
    start: int
    end: int
    drug: str | None
    note_index: int

    @property
    def citation(self) -> Citation:
        return Citation(note_id=self.note_id, start=self.start, end=self.end)


def _note_date(note: Note) -> date | None:
    try:
        return date.fromisoformat((note.date or "")[:10])
    except ValueError:
        return None


def _names_future(note: Note, a: int, e: int) -> bool:
    """Whether ``text[a:e]`` names a time after the note ("tomorrow", "in 48 h", "3/20"
    in a note of 3/18)."""
    text = note.text
    if _FUTURE_WORDS.search(text, a, e):
        return True
    written = _note_date(note)
    if written is None:
        return False
    for m in _SHORT_DATE.finditer(text, a, e):
        year = int(m[3]) if m[3] else written.year
        year += 2000 if year < 100 else 0
        try:
            when = date(year, int(m[1]), int(m[2]))
        except ValueError:
            continue  # "1/2" tablets, ratios: not a date
        if when > written:
            return True
    return False


def _changes(text: str, a: int, e: int, rules: Rules):
    # "planned" cues ("will hold", "may resume") are changes ahead: what a plan states;
    # "contraindicated" / "advised against" (not_given) say a drug is never given, no change.
    return [c for c in rules.cues.find("medication", text, a, e) if c.label != "not_given"]


def _has_plan_verb(text: str, a: int, e: int, rules: Rules) -> bool:
    cues = rules.cues
    return bool(_changes(text, a, e, rules) or cues.find("contingency", text, a, e)
                or cues.find("todo", text, a, e) or PLAN_VERBS.search(text, a, e))


def drug_mentions(timeline: PatientTimeline) -> dict[str, list[tuple[int, int, str]]]:
    """Note id -> ``(start, end, drug key)`` of every drug mention the timeline read (its
    events cite them), so plans name drugs with the timeline's own keys."""
    out: dict[str, list[tuple[int, int, str]]] = {}
    for m in timeline.medications:
        for e in m.events:
            out.setdefault(e.note_id, []).append((e.citation.start, e.citation.end, m.name))
    for spans in out.values():
        spans.sort()
    return out


def _plan_drug(text: str, a: int, e: int, drugs: list[tuple[int, int, str]],
               rules: Rules) -> str | None:
    """The drug a plan acts on: the one nearest the change word closest to the condition
    ("carvedilol 3.125 mg BID -- hold if SBP < 90"). A plan with no change word ("return
    to the ED if ... while on apixaban") acts on no drug."""
    inside = [d for d in drugs if a <= d[0] and d[1] <= e]
    changes = _changes(text, a, e, rules)
    condition = rules.cues.find("condition", text, a, e)
    if not inside or not changes or not condition:
        return None
    cue = min(changes, key=lambda c: abs(c.start - condition[0].start))

    def gap(d: tuple[int, int, str]) -> int:
        return max(d[0] - cue.end, cue.start - d[1], 0)

    return min(inside, key=gap)[2]


def _plan_span(text: str, layout: NoteLayout, a: int, e: int, rules: Rules,
               ) -> tuple[int, int] | None:
    """The clause of sentence ``[a, e)`` that states a condition, widened to the clause
    before it when the condition alone names no action ("resume lisinopril; if Cr stable"),
    or None when the sentence states no condition."""
    clauses = layout.clauses_in(a, e) or [(a, e)]
    for k, (ca, ce) in enumerate(clauses):
        if not rules.cues.find("condition", text, ca, ce):
            continue
        if k and not _has_plan_verb(text, ca, ce, rules):
            ca = clauses[k - 1][0]
        return ca, ce
    return None


def _is_planning(section: str | None, rules: Rules) -> bool:
    return section in _LIST_SECTIONS or any(rules.roles.has(section, r) for r in _PLAN_ROLES)


def note_plans(note: Note, layout: NoteLayout, rules: Rules,
               drugs: list[tuple[int, int, str]], note_index: int = 0,
               ) -> list[ConditionalPlan]:
    """The conditional plans one note states, in text order.

    Args:
        note: the note.
        layout: its layout (sections, sentences, clauses).
        rules: the rule set (cues, section roles).
        drugs: the note's drug mentions (:func:`drug_mentions`).
        note_index: the note's place in the record's note order.
    """
    text = note.text
    out: list[ConditionalPlan] = []
    for piece in layout.lines:
        for a, e in layout.sentences_in(piece.start, piece.end) or [(piece.start, piece.end)]:
            span = _plan_span(text, layout, a, e, rules)
            if span is None:
                continue
            ca, ce = span
            named = any(ca <= d[0] and d[1] <= ce for d in drugs)
            if not (named or _has_plan_verb(text, ca, ce, rules)):
                continue
            if not (_is_planning(piece.section, rules) or _names_future(note, ca, ce)):
                continue
            # Trim the list marker and spaces so the citation is the plan's words.
            while ca < ce and text[ca] in " \t-*•":
                ca += 1
            out.append(ConditionalPlan(note.note_id, ca, ce,
                                       _plan_drug(text, ca, ce, drugs, rules), note_index))
    return out


def conditional_plans(notes: list[Note], layouts: dict[str, NoteLayout],
                      timeline: PatientTimeline, rules: Rules) -> list[ConditionalPlan]:
    """The patient's current conditional plans (see the module doc), in note order.

    Args:
        notes: the notes in the record's order (:func:`agent.schemas.notes.sort_notes`).
        layouts: note id -> layout.
        timeline: the reconciled timeline: its drug mentions name the plans' drugs, and a
            later change of a drug supersedes its plan.
        rules: the rule set.
    """
    index = {n.note_id: i for i, n in enumerate(notes)}
    mentions = drug_mentions(timeline)
    found: list[ConditionalPlan] = []
    for i, note in enumerate(notes):
        layout = layouts.get(note.note_id)
        if layout is not None:
            found += note_plans(note, layout, rules, mentions.get(note.note_id, []), i)
    last_acted = {m.name: max(index.get(e.note_id, -1) for e in m.events
                              if e.change in _ACTED)
                  for m in timeline.medications if any(e.change in _ACTED for e in m.events)}
    latest = max((p.note_index for p in found if p.drug is None), default=None)
    kept = []
    for plan in found:
        if plan.drug is None:
            if plan.note_index == latest:
                kept.append(plan)
            continue
        # Superseded by a later note that changed or restated the drug, or by a later plan.
        if last_acted.get(plan.drug, -1) > plan.note_index or any(
                p.drug == plan.drug and p.note_index > plan.note_index for p in found):
            continue
        kept.append(plan)
    return kept
