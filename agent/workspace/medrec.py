"""Medication reconciliation: one row per drug of the stay with its home, inpatient and
discharge state, the change between them and the reason the notes give, every cell cited.

Read from the patient's prepared record (timeline tracks, layouts, extractions), never
from the notes again:

- home: the drug on a pre-admission list, i.e. a ``MEDICATIONS`` section whose header
  names the past (the ``past_medication`` cues of ``cues.json``: "Home meds", "Medications
  on admission", "PTA") or that sits in a note telling the presentation (it has an HPI);
  a progress note's "Meds:" is the inpatient list, not the home one;
- inpatient: the latest event that acts on the drug (started, held, dose changed...)
  before the discharge summary (in it, when no earlier note acts on the drug);
- discharge: the drug on the last discharge summary's medication list, with the status
  the timeline reconciled; a listed drug whose restart waits for a condition ("resume
  3/20 if labs OK") is held;
- reason: the phrase after a connective ("held for AKI", "stopped due to cough", "given
  remote PCI") or the parenthesis after the drug ("Aspirin 81 mg (now on apixaban)") in
  the clause of a stop, hold or change; None when the notes give none.

Drugs never taken (only named as avoided, planned or not given) and allergens are not rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.handoff.conditional_plans import conditional_plans
from agent.patient import PatientRecord
from agent.schemas.extraction import Entity, Provenance
from agent.schemas.medrec import (
    ConditionalPlanOut,
    MedrecCell,
    MedrecReason,
    MedrecResponse,
    MedrecRow,
)
from agent.schemas.notes import Note
from agent.schemas.summary import Citation, MedicationTrack, TimelineEvent
from agent.version import package_version

PRODUCER = "clinagent.agent.workspace.medrec"
_STATUS_OF = {"started": "active", "continued": "active", "dose_changed": "active",
              "resumed": "active", "held": "held", "stopped": "stopped"}
# The change words a reason may follow, per row change (medication cue labels).
_REASON_CUES = {"stopped": {"stopped"}, "held": {"held"}, "changed": {"dose_changed"}}
# A reason follows a connective; "for" is no reason before a duration ("held for 24 h").
_REASON = re.compile(r"\b(?:due to|because of|because|secondary to|given|2/2|d/t|while|"
                     r"in (?:the )?setting of|in light of|"
                     r"for(?!\s+(?:\d|now\b|the next\b|another\b|a few\b|one\b|two\b)))"
                     r"\s+(?=[A-Za-z])", re.IGNORECASE)
_PAREN = re.compile(r"\(([^()\n]{2,60})\)")
# A problem-oriented plan item: "2. AKI on CKD - Cr 1.9 ... Continue to hold lisinopril",
# "#3 Hypokalemia: ...". Its head (up to the first dash, colon or period) names the
# problem every order of the item answers.
_ITEM_HEAD = re.compile(r"[ \t]*(?:#\s*\d{0,2}|\d{1,2}[.)])[ \t]*([^\n]*?)"
                        r"(?:\s[-\u2013\u2014]+\s|:|\.\s|$)", re.MULTILINE)
_PLAN_ROLES = ("plan", "recommends")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SAME_FREQUENCY = {"Q24H": "DAILY", "Q12H": "BID", "QD": "DAILY"}
_UNTIL_DISCHARGE = "planned or conditional"


@dataclass
class _Record:
    """What every row reads: notes by id, their order, the entity at each drug citation."""

    record: PatientRecord
    order: dict[str, int]
    by_id: dict[str, Note]
    entities: dict[tuple[str, int], Entity]
    home: dict[str, list[tuple[int, int]]]
    discharge_id: str | None
    problems: dict[str, list[Entity]]

    def text(self, c: Citation) -> str:
        return " ".join(self.by_id[c.note_id].text[c.start:c.end].split())

    def section(self, c: Citation) -> str | None:
        return self.record.layouts[c.note_id].section_at(c.start)

    def is_home(self, c: Citation) -> bool:
        return any(a <= c.start < z for a, z in self.home.get(c.note_id, []))

    def on_discharge_list(self, e: TimelineEvent) -> bool:
        return e.note_id == self.discharge_id and \
            self.section(e.citation) == "DISCHARGE_MEDICATIONS"


def _home_ranges(note: Note, record: PatientRecord) -> list[tuple[int, int]]:
    """The stretches of the note that are a pre-admission medication list."""
    layout = record.layouts[note.note_id]
    cues = record.rules.cues
    tells_presentation = any(p.section == "HPI" for p in layout.lines)
    out: list[tuple[int, int]] = []
    lines = layout.lines
    i = 0
    while i < len(lines):
        if lines[i].section != "MEDICATIONS":
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and lines[j + 1].section == "MEDICATIONS":
            j += 1
        # The header: the run's first line up to its colon, and a label line just above
        # it that the sectionizer left in the section before ("Home meds (pt's list):").
        first = note.text[lines[i].start:lines[i].end].split(":", 1)[0]
        above = note.text[lines[i - 1].start:lines[i - 1].end] if i else ""
        header = first + ("\n" + above if above.rstrip().endswith(":") else "")
        if tells_presentation or cues.says("past_medication", header, label="past"):
            out.append((lines[i].start, lines[j].end))
        i = j + 1
    return out


def _regimen(ent: Entity | None) -> dict[str, str]:
    if ent is None:
        return {}
    out = {name: str(ent.attributes[name].value or ent.attributes[name].text)
           for name in ("strength", "route", "frequency") if name in ent.attributes}
    if "frequency" in out:
        out["frequency"] = _SAME_FREQUENCY.get(out["frequency"].upper(), out["frequency"])
    return out


def _differs(before: dict[str, str], after: dict[str, str]) -> bool:
    """A part stated on both sides differs ("250/50 mcg" and "250/50" are one strength)."""
    def norm(key: str, value: str) -> str:
        return "/".join(_NUMBER.findall(value)) if key == "strength" else value.upper()

    return any(k in before and norm(k, before[k]) != norm(k, v) for k, v in after.items())


def _cell(ctx: _Record, events: list[TimelineEvent], status: str) -> MedrecCell:
    """A cell from the events of one stage: the fullest mention of the latest one."""
    last = events[-1]
    shown = max((e for e in events if e.note_id == last.note_id),
                key=lambda e: e.citation.end - e.citation.start)
    cites = list(dict.fromkeys((e.citation.note_id, e.citation.start, e.citation.end)
                               for e in events))
    return MedrecCell(text=ctx.text(shown.citation), status=status, date=shown.date,
                      citations=[Citation(note_id=n, start=a, end=b) for n, a, b in cites])


def _reason(ctx: _Record, m: MedicationTrack, change: str) -> MedrecReason | None:
    """The cited phrase the notes give for the row's change (latest first), or None."""
    wanted = _REASON_CUES.get(change)
    if not wanted:
        return None
    cues = ctx.record.rules.cues
    acted: list[Citation] = []
    for e in reversed(m.events):
        c = e.citation
        note = ctx.by_id[c.note_id]
        a, z = ctx.record.layouts[c.note_id].clause_around(c.start, c.end)
        said = [k for k in cues.find("medication", note.text, a, z) if k.label in wanted]
        on_list = ctx.on_discharge_list(e) and change == "stopped"
        if not (said or on_list or e.change in wanted):
            continue
        after = max([c.end, *(k.end for k in said)])
        found = _REASON.search(note.text, after, z)
        if found is not None:
            end = z
            while end > found.start() and note.text[end - 1] in " .;,":
                end -= 1
            return MedrecReason(text=" ".join(note.text[found.start():end].split()),
                                citation=Citation(note_id=c.note_id, start=found.start(),
                                                  end=end))
        for p in _PAREN.finditer(note.text, c.end, z):
            inner = p.group(1)
            # "(INCREASED from 20 mg)", "(held 7/7-7/9)": the history, not a reason;
            # "(ibuprofen, naproxen)": the drugs a class word meant.
            if cues.find("medication", inner, 0, len(inner)) or not re.search(
                    "[A-Za-z]{2}", inner) or any(
                    (c.note_id, at) in ctx.entities for at in range(p.start(1), p.end(1))):
                continue
            return MedrecReason(text=" ".join(inner.split()),
                                citation=Citation(note_id=c.note_id, start=p.start(1),
                                                  end=p.end(1)))
        acted.append(c)
    # Without a stated reason, the problem a hold or a dose change is filed under ("AKI -
    # hold metformin"). A stop is the end of a course as often as a decision: the item's
    # problem is then the drug's indication, not why it stopped.
    if change != "stopped":
        for c in acted:
            problem = _item_problem(ctx, c)
            if problem is not None:
                return problem
    return None


def _item_problem(ctx: _Record, c: Citation) -> MedrecReason | None:
    """The problem heading the plan item that holds the change ("2. AKI on CKD - ...
    Continue to hold lisinopril" -> "AKI on CKD"), when the item's head is a problem the
    extractor found present; None outside a plan or without a problem-headed item."""
    layout = ctx.record.layouts[c.note_id]
    section = layout.section_at(c.start)
    roles = ctx.record.rules.roles
    if not any(roles.has(section, r) for r in _PLAN_ROLES):
        return None
    text = ctx.by_id[c.note_id].text
    # The item: the nearest line at or above the change, in the same section, that opens
    # with an item marker.
    for line in reversed([ln for ln in layout.lines if ln.start <= c.start]):
        if line.section != section:
            return None
        head = _ITEM_HEAD.match(text, line.start, line.end)
        if head is None:
            continue
        a, z = head.span(1)
        problems = [e for e in ctx.problems.get(c.note_id, ())
                    if a <= e.start and e.end <= z and e.assertion == "present"]
        if not problems or a <= c.start < z:
            return None
        return MedrecReason(text=" ".join(text[a:z].split()),
                            citation=Citation(note_id=c.note_id, start=a, end=z))
    return None


def _is_allergen_only(m: MedicationTrack, allergy: list[Citation]) -> bool:
    """Every event of the drug lies in an allergy item: the drug is an allergen here."""
    return all(any(e.citation.note_id == c.note_id and c.start <= e.citation.start < c.end
                   for c in allergy) for e in m.events)


def _row(ctx: _Record, m: MedicationTrack, has_discharge: bool) -> MedrecRow:
    discharge_index = ctx.order.get(ctx.discharge_id, len(ctx.order)) \
        if ctx.discharge_id else len(ctx.order)
    home = [e for e in m.events if ctx.is_home(e.citation)]
    listed = [e for e in m.events if ctx.on_discharge_list(e)]
    acted = [e for e in m.events if e.change in _STATUS_OF and not ctx.is_home(e.citation)
             and not ctx.on_discharge_list(e)]
    inpatient = [e for e in acted if ctx.order[e.note_id] < discharge_index] or \
        [e for e in acted if e.note_id == ctx.discharge_id]
    home_cell = _cell(ctx, home, "active") if home else None
    in_cell = (_cell(ctx, inpatient, _STATUS_OF[inpatient[-1].change])
               if inpatient else None)
    dis_cell = None
    if has_discharge and listed:
        status = m.discharge_status or "unknown"
        if status == "active" and any(e.detail == _UNTIL_DISCHARGE for e in listed) and \
                any(e.change == "held" for e in m.events):
            status = "held"  # "resume 3/20 if repeat labs OK": not taken until then
        if m.on_discharge_list is False and status == "active":
            status = "stopped"
        dis_cell = _cell(ctx, listed, status)
    home_ent = ctx.entities.get((home[-1].note_id, home[-1].citation.start)) if home else None
    change, change_text = "unknown", None
    final = dis_cell.status if dis_cell else (
        ("stopped" if m.on_discharge_list is False or m.discharge_status == "stopped"
         else m.discharge_status) if has_discharge else (in_cell.status if in_cell else None))
    final_events = listed or inpatient
    final_ent = ctx.entities.get((final_events[-1].note_id, final_events[-1].citation.start)) \
        if final_events else None
    if final == "held":
        change = "held"
    elif final == "stopped":
        change = "stopped"
        if home_cell is None:
            change_text = "inpatient only"
    elif final == "active":
        before, after = _regimen(home_ent), _regimen(final_ent)
        if home_cell is None:
            change = "new"
        elif _differs(before, after):
            change = "changed"
            change_text = f"{' '.join(before.values())} -> {' '.join(after.values())}"
        elif has_discharge or inpatient:
            change = "continued"
    return MedrecRow(drug=m.name, home=home_cell, inpatient=in_cell, discharge=dis_cell,
                     change=change, change_text=change_text, reason=_reason(ctx, m, change))


def medication_reconciliation(record: PatientRecord) -> MedrecResponse:
    """The med-rec view of a prepared patient record.

    Args:
        record: the patient's prepared record (``agent.api.patient_records``).

    Returns:
        One row per drug taken at some point (home, inpatient or discharge), in the
        timeline's order, and the record's current conditional plans.
    """
    notes = record.notes
    discharges = [n for n in notes if "discharge" in (n.note_type or "")]
    ctx = _Record(
        record=record, order={n.note_id: i for i, n in enumerate(notes)},
        by_id={n.note_id: n for n in notes},
        entities={(x.note_id, e.start): e for x in record.extractions for e in x.entities
                  if e.type == "MEDICATION"},
        home={n.note_id: _home_ranges(n, record) for n in notes},
        discharge_id=discharges[-1].note_id if discharges else None,
        problems={x.note_id: [e for e in x.entities if e.type == "PROBLEM"]
                  for x in record.extractions})
    has_discharge = ctx.discharge_id is not None
    allergy = [c for i in record.timeline.items if i.kind == "allergy" for c in i.citations]
    rows = [_row(ctx, m, has_discharge) for m in record.timeline.medications
            if any(e.change in _STATUS_OF for e in m.events)
            and not _is_allergen_only(m, allergy)]
    rows = [r for r in rows if r.home or r.inpatient or r.discharge]
    plans = [ConditionalPlanOut(text=ctx.text(p.citation), drug=p.drug, citation=p.citation)
             for p in conditional_plans(notes, record.layouts, record.timeline, record.rules)]
    vocabularies = record.extractions[0].provenance.vocabularies if record.extractions else {}
    return MedrecResponse(
        patient_id=record.patient_id, has_home_list=any(ctx.home.values()),
        has_discharge=has_discharge, rows=rows, conditional_plans=plans,
        provenance=Provenance(producer=PRODUCER, package_version=package_version(),
                              rules_sha256=record.rules.provenance(),
                              vocabularies=vocabularies))
