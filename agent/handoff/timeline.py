"""The patient timeline: a patient's notes in date order, entities reconciled across notes.

Medications are tracked by canonical ingredient: every mention becomes an event (started,
continued, dose changed, held, resumed, stopped, or only mentioned), read from the note
section (home list, discharge list and its "NEW:" / "STOP:" sub-headers, plan) and the cue
words around the drug in its clause (``agent/rules/cues.json``), with the note's layout
(lines, sections, clauses) computed once with its extraction. Problems,
allergies, pending results, to-dos, code status and family history are built in
:mod:`agent.handoff.timeline_items`. Every event and item cites the note span it rests on.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from agent.errors import InputError
from agent.handoff.timeline_items import build_items, build_problems
from agent.nlp.layout import note_layout
from agent.relations.reasons import change_reason
from agent.rules import Rules
from agent.schemas.extraction import Entity, NoteExtraction
from agent.schemas.layout import LineSpan
from agent.schemas.notes import Note, sort_notes
from agent.schemas.summary import (
    Citation,
    MedicationTrack,
    NoteRef,
    PatientTimeline,
    TimelineEvent,
)

logger = logging.getLogger(__name__)

# Equivalent frequencies, so "q24h" -> "daily" is not a dose change.
_SAME_FREQUENCY = {"Q24H": "DAILY", "Q12H": "BID", "QD": "DAILY"}
_STATUS_OF = {"started": "active", "continued": "active", "dose_changed": "active",
              "resumed": "active", "held": "held", "stopped": "stopped"}
_TIME_CLAUSE_BEFORE = re.compile(
    r"\b(?:when|after|since|once|as soon as|until|pending)\s+(?:the\s+)?$", re.IGNORECASE)
# What makes a mention an order: its dose or schedule.
_REGIMEN_ATTRS = frozenset({"strength", "dose", "frequency", "route", "duration", "prn"})
_LIST_GAP = re.compile(r"^[\s,/&+]*(?:(?:and|or)\s*)?[\s,/&+]*$", re.IGNORECASE)
_FORM_SUFFIX = re.compile(r"\s+(?:patch|tablets?|tabs?|capsules?|cream|ointment|pen|drip|"
                          r"gtt|infusion|inhaler|hfa|neb|nebs|odt|er|xl)$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# "6.25 mg BID -> 12.5 mg BID", "20 → 40 mg": the amount after the arrow is the new one.
_ARROW_STRENGTH = re.compile(r"(?:->|→|=>)\s*(\d+(?:\.\d+)?\s*(?:mg|mcg|g|units?|mEq|mL)\b)",
                             re.IGNORECASE)


def entities_in(entities: list[Entity], start: int, end: int) -> list[Entity]:
    """Entities lying inside ``[start, end)``, in text order."""
    return sorted((e for e in entities if e.start >= start and e.end <= end),
                  key=lambda e: e.start)


def is_drug(ent: Entity) -> bool:
    """A medication mention naming a drug, not a class ("diuretics", "NSAIDs")."""
    if ent.type != "MEDICATION":
        return False
    # Class terms are coded only in MeSH pharmacological actions (D0...), never DrugBank.
    return not (ent.codes and all(c.system == "MESH" for c in ent.codes))


def drug_key(ent: Entity) -> str:
    """Tracking key of a drug mention: its canonical ingredient, else its lower-case text."""
    canonical = ent.normalized.get("canonical")
    key = str(canonical).lower() if canonical else ent.text.lower()
    # "nicotine patch" and "nicotine" are one drug; the form is an attribute.
    return _FORM_SUFFIX.sub("", key) or key


def regimen(ent: Entity) -> str:
    """The dose, route and frequency stated with a mention, e.g. '40 mg oral DAILY'."""
    parts = []
    for name in ("strength", "dose", "route", "frequency"):
        attr = ent.attributes.get(name)
        if attr is not None:
            value = attr.value or attr.text
            if name == "dose" and "strength" in ent.attributes:
                continue
            parts.append(value)
    return " ".join(parts)


def mention_span(ent: Entity, note_id: str) -> Citation:
    """A citation covering the drug name and its attributes."""
    end = max([ent.end, *(a.end for a in ent.attributes.values())])
    return Citation(note_id=note_id, start=ent.start, end=end)


@dataclass
class _Mention:
    ent: Entity
    change: str
    detail: str | None = None
    # The strength after an arrow on the mention's clause ("6.25 mg BID -> 12.5 mg BID"):
    # the regimen now, where the extractor linked the old one to the drug.
    new_strength: str | None = None


_PASSIVE_AUX = re.compile(r"\b(?:was|were|is|are|been|being|be)\s+$", re.IGNORECASE)
_OBJECT_NEXT = re.compile(r"\s*(?:(?:the|a|an|his|her|their|all|any|home|IV|PO)\s+)?")


def _object_is_other(text: str, at: int, ent: Entity, objects: frozenset[int]) -> bool:
    m = _OBJECT_NEXT.match(text, at)
    return m is not None and m.end() in objects and m.end() != ent.start


def _cue_for(text: str, ent: Entity, before: tuple[int, int], after: tuple[int, int],
             rules: Rules, objects: frozenset[int] = frozenset()) -> str | None:
    """The cue of a mention: the last one after it in its clause, else the nearest before.

    A negated mention ("lisinopril was held and resumed at a reduced dose") takes only
    stop/hold/resume cues: the extractor negates drugs that are held or stopped.
    """
    allowed = {"stopped", "held", "resumed", "continued"} if ent.assertion == "absent" \
        else None
    aside = None  # the cues of the first window that has only parenthesised ones
    for window, position in ((after, "after"), (before, "before")):
        found = [c for c in rules.cues.find("medication", text, *window, position=position)
                 if allowed is None or c.label in allowed]
        # "insulin lispro for the meal, and stop the insulin infusion": a verb whose
        # object is another drug (a class term too) is that drug's, not this one's.
        found = [c for c in found if not _object_is_other(text, c.end, ent, objects)]
        if position == "before":
            # "The infusion was stopped at 18:30, one hour after the first lispro dose": a
            # passive verb's subject stands before it, so it says nothing of a later drug.
            found = [c for c in found if not _PASSIVE_AUX.search(text, max(0, c.start - 12),
                                                                 c.start)]
            # "enoxaparin started 3/5 (apixaban absorption unreliable)": a drug inside
            # parentheses explains the change before them; that change is not its own.
            paren = _open_paren(text, ent.start)
            found = [c for c in found if c.start > paren]
        # "not restarted", "never started": a denied change is no change, and a denied
        # start ("quetiapine discussed -> NOT started") says the drug was not given.
        cues = [c for c in found if not rules.cues.denied_at(text, c.start)]
        # A status in parentheses is an aside on the history ("RESUMED 2/13 (HOLD
        # 2/10-2/12)"): the word outside them is the drug's status, also when it stands
        # before the drug ("RESUME lisinopril 20 mg daily (held 4/6-4/10)").
        outside = [c for c in cues if not _aside(text, c.start, ent)]
        if outside:
            return "avoid" if _is_avoid(text, outside[-1]) else outside[-1].label
        if cues:
            aside = aside or cues
            continue
        if aside is None and any(c.label == "started" for c in found):
            return "not_given"
    if aside:
        return "avoid" if _is_avoid(text, aside[-1]) else aside[-1].label
    return None


def _open_paren(text: str, at: int) -> int:
    """The offset of the parenthesis still open at ``at`` on its line, else -1."""
    line_start = text.rfind("\n", 0, at) + 1
    open_ = text.rfind("(", line_start, at)
    if open_ == -1 or text.rfind(")", open_, at) != -1:
        return -1
    return open_


def _aside(text: str, at: int, ent: Entity) -> bool:
    """Whether offset ``at`` lies inside parentheses that do not also hold the mention."""
    open_ = text.rfind("(", text.rfind("\n", 0, at) + 1, at)
    if open_ == -1 or text.rfind(")", open_, at) != -1:
        return False
    close = text.find(")", at)
    close = len(text) if close == -1 else close
    return not (open_ < ent.start and ent.end <= close)


# The words that name what a stopped drug was replaced by ("replaced by", "switched to",
# "changed to", "->"), right before the replacement.
_REPLACEMENT_BEFORE = re.compile(r"(?:\b(?:replaced|substituted)\s+(?:by|with)|"
                                 r"\b(?:switched|changed|converted|transitioned)\s+to|->|→)"
                                 r"\s*(?:(?:oral|PO|IV|po|iv)\s+)?$", re.IGNORECASE)


def _is_avoid(text: str, cue) -> bool:
    return text[cue.start:cue.end].lower().startswith("avoid")


def _clause_mentions(note: Note, piece: LineSpan, start: int, end: int, drugs: list[Entity],
                     list_label: str | None, rules: Rules, *,
                     inline: bool = False, objects: frozenset[int] = frozenset(),
                     ) -> list[_Mention]:
    """Read the change of each drug of one clause from the cues around it. A sub-header's
    label is its item's first drug's; a label opening the line ("Stopped in hospital:
    continuous albuterol, IV methylprednisolone") is every drug's of the line without a
    cue of its own."""
    text = note.text
    out: list[_Mention] = []
    prev_cue: str | None = None
    for i, ent in enumerate(drugs):
        lo = drugs[i - 1].end if i else start
        hi = drugs[i + 1].start if i + 1 < len(drugs) else end
        after = hi
        if (i == 0 or inline) and list_label is not None:
            # "RESUMED: amlodipine 5 mg daily (held 7/7-7/9)": the line's label is the
            # status; its parenthesis tells the history.
            paren = text.find("(", ent.end, hi)
            after = paren if paren != -1 else hi
        cue = _cue_for(text, ent, (lo, ent.start), (ent.end, after), rules, objects)
        if cue is None and i and _LIST_GAP.match(text[lo:ent.start]):
            cue = prev_cue  # "Holding warfarin, aspirin, naproxen"
        if cue is None and i + 1 < len(drugs) and _list_gap(text, ent.end, hi, objects):
            # "Cytarabine and daunorubicin - induction completed 3/9", "Hydrocortisone,
            # insulin and heparin stopped at d/c": a status after a list of drugs is each
            # one's, however long the list.
            j = i + 1
            while j + 1 < len(drugs) and _list_gap(text, drugs[j].end, drugs[j + 1].start,
                                                   objects):
                j += 1
            nxt = drugs[j]
            cue = _cue_for(text, nxt, (nxt.start, nxt.start),
                           (nxt.end, drugs[j + 1].start if j + 1 < len(drugs) else end),
                           rules, objects)
        # A switch: in "switched X (IV) to Y" X is left and Y, after 'to', is taken.
        switches = rules.cues.find("switch", text, start, hi)
        to = rules.cues.regex("switch_target")
        to_after = to.search(text, ent.end, hi) if to and i + 1 < len(drugs) else None
        # ... unless the drug after 'to' is only planned ("consolidate to X when stable").
        if switches and to_after and switches[0].start < to_after.start() and \
                drugs[i + 1].assertion not in ("hypothetical", "possible"):
            cue = "switch_from"
        elif any(s.end <= ent.start for s in switches) and to and \
                to.search(text, lo, ent.start):
            # "Switch to apixaban discussed -> deferred": a switch not made.
            later = rules.cues.find("medication", text, ent.end, hi, position="after")
            cue = "planned" if any(c.label == "planned" for c in later) else "switch_to"
        if i and _TIME_CLAUSE_BEFORE.search(text, max(lo, ent.start - 16), ent.start):
            # "Fluconazole - d/c'd 3/14 when voriconazole started": the clause dates the
            # other drug's change; it is no event of this one.
            cue = "time_anchor"
        if list_label == "stopped" and cue is None and \
                _REPLACEMENT_BEFORE.search(text, max(lo, ent.start - 40), ent.start):
            # "Stopped: letermovir (replaced by valganciclovir)": the drug the stopped one
            # was replaced by is the one taken now, not a second stop; also when a ";" in
            # the aside makes it the first drug of its clause ("TMP-SMX (hyperkalemia;
            # replaced by atovaquone)").
            cue = "switch_to"
        if (i == 0 or inline) and list_label is not None and cue is None:
            cue = list_label
        if cue is None and not ent.attributes.keys() & _REGIMEN_ATTRS and \
                rules.cues.find("condition", text, ent.end, end):
            # "baclofen an option if gabapentin fails": a bare drug name with no change
            # word and a condition after it is a contingency, not an order (an order
            # carries its dose or schedule: "acetaminophen 650 mg q6h if fever").
            cue = "planned"
        # A change stated with a condition ("resume amlodipine tomorrow if SBP > 130",
        # "if >= 160/110 x2 -> labetalol IV") has not happened yet.
        if cue not in ("continued", "switch_from", "not_given", "single_dose") and (
                rules.cues.find("condition", text, start, end) if cue is not None
                else rules.cues.find("condition", text, start, ent.start)):
            cue = "planned"
        prev_cue = cue
        arrow = _ARROW_STRENGTH.search(text, ent.end, hi)
        out.append(_Mention(ent, *_change(ent, cue, piece.section, text, hi, rules),
                            new_strength=" ".join(arrow.group(1).split()) if arrow else None))
    # "Switch from furosemide IV to furosemide PO": one drug, one dose/route change.
    taken = {drug_key(m.ent) for m in out if m.detail == "switched to"}
    merged = []
    for m in out:
        if m.detail == "switched" and drug_key(m.ent) in taken:
            continue
        if m.detail == "switched to" and any(
                x.detail == "switched" and drug_key(x.ent) == drug_key(m.ent) for x in out):
            m = _Mention(m.ent, "dose_changed", "switched")
        merged.append(m)
    return merged


def _change(ent: Entity, cue: str | None, section: str | None, text: str, hi: int,
            rules: Rules) -> tuple[str, str | None]:
    """The change a mention states, before reconciliation with the drug's history."""
    if ent.assertion in ("hypothetical", "possible"):
        return "mentioned", "planned or conditional"
    if ent.assertion == "historical":
        return "mentioned", "history"
    # Follow-up lines and instructions talk about later ("timing of adalimumab restart").
    if rules.roles.has(section, "future"):
        return "mentioned", "instruction or follow-up"
    if cue == "time_anchor":
        return "mentioned", "dates another change"
    if cue == "switch_from":
        return "stopped", "switched"
    if cue == "switch_to":
        return "started", "switched to"
    if cue == "avoid":
        return "stopped", "avoid"
    if cue == "planned":
        return "mentioned", "planned or conditional"
    if cue == "not_given":
        # Said in words ("NOT started", "Not started: ..."), unlike a negated mention.
        return "mentioned", "not started"
    if cue == "single_dose":
        return "mentioned", "single dose"
    if ent.assertion == "absent":
        if cue in ("stopped", "held", "resumed", "continued"):
            return cue, None
        return "mentioned", "not given"
    # "x1" after the drug, or "the single haloperidol dose" around it.
    single = (ent.attributes.get("frequency") is not None
              and ent.attributes["frequency"].value == "ONCE") or bool(
        rules.cues.find("single_dose", text, ent.end, hi)) or bool(
        _SINGLE_BEFORE.search(text, max(0, ent.start - 20), ent.start))
    if cue is not None:
        if cue in ("started", "continued") and single:
            return "mentioned", "single dose"
        return cue, None
    # A single dose in a list ("Olanzapine - single dose 4/2") is not a medication taken.
    if single:
        return "mentioned", "single dose"
    if section == "MEDICATIONS":
        return "continued", "home/admission medication"
    if section == "DISCHARGE_MEDICATIONS":
        return "new_or_continued", "discharge medication"
    # History, course and findings narrate: without a cue word a drug there is no change.
    if rules.roles.has(section, "narrative"):
        return "mentioned", None
    # A consultant's "GDMT: empagliflozin as in the table" advises; the primary team's
    # orders (or a later note) say whether it was started.
    if rules.roles.has(section, "recommends"):
        return "mentioned", "planned or conditional"
    return "new_or_continued", None


def note_mentions(note: Note, extraction: NoteExtraction, rules: Rules) -> list[_Mention]:
    """Every drug mention of one note with the change it states."""
    drugs = [e for e in extraction.entities if is_drug(e) and e.assertion != "family"
             and not rules.roles.has(e.section, "skip_medications")]
    if not drugs:
        return []
    out: list[_Mention] = []
    list_label: str | None = None
    layout = note_layout(note, extraction, rules.headers)
    # Where every medication word starts, class terms included: the object of a verb cue.
    objects = frozenset(e.start for e in extraction.entities if e.type == "MEDICATION")
    loose = False  # the list label came from a header line outside the medication lists
    carried: str | None = None  # an inline label whose list wraps onto the next line
    for piece in layout.lines:
        item = _LIST_ITEM.match(note.text, piece.start, piece.end) is not None
        if piece.section != "DISCHARGE_MEDICATIONS" and not (loose and item):
            list_label, loose = None, False
        header = rules.cues.find("medication_list", note.text, piece.start, piece.end)
        if header and (piece.section in ("DISCHARGE_MEDICATIONS", "MEDICATIONS")
                       or _whole_line(note.text, piece, header[0])):
            # "STOP TAKING:" on a line of its own heads the bullets under it, whatever
            # section a patient-worded list ("Your medicines") was put in.
            list_label = header[0].label
            loose = piece.section not in ("DISCHARGE_MEDICATIONS", "MEDICATIONS")
            carried = None
            continue
        last: _Mention | None = None
        inline = _inline_label(note.text, piece.start, piece.end, drugs, rules)
        if inline is None and carried is not None and _WRAPPED.match(
                note.text, piece.start, piece.end):
            # "Inpatient only, stopped before discharge: heparin drip, ertapenem (one
            # dose,\n4/6), cefazolin 2 g IV q8h": the wrapped line is the same list.
            inline = carried
        carried = inline if inline is not None and _OPEN_END.search(
            note.text, piece.start, piece.end) else None
        for k, (a, b) in enumerate(layout.clauses_in(piece.start, piece.end)):
            in_clause = entities_in(drugs, a, b)
            if k:
                # A sentence may open a list of its own ("... ondansetron PRN. Single
                # doses in the ED: calcium gluconate, ..."): its label holds from there.
                inline = _inline_label(note.text, a, b, drugs, rules) or inline
            if in_clause:
                # The sub-header applies to the item's drug (first of the line) only; an
                # inline label ("- STOPPED: phenytoin; pantoprazole, insulin") to the item.
                label = inline or (list_label if k == 0 else None)
                found = _clause_mentions(note, piece, a, b, in_clause, label, rules,
                                         inline=inline is not None, objects=objects)
                out.extend(found)
                last = found[-1] if found else last
            elif last is not None:
                # A clause of the same list item with a status word and no drug goes on
                # about the item's drug: "Rivaroxaban - held 4/1-4/4; RESUMED 4/4".
                later = _continued(note.text, a, b, last, piece, rules)
                if later is not None:
                    out.append(later)
                    last = later
    return out


# A list item line ("- Oxycodone: ...", "2. Lisinopril ...").
_LIST_ITEM = re.compile(r"\s*(?:[-*•]|\d{1,2}[.)])\s")
# A line that goes on from the one before: it starts in lower case or with a number, not
# with a list marker or a label.
_WRAPPED = re.compile(r"\s*(?![-*•])(?:[a-z0-9(])")
# A line whose list is not finished: it ends on a comma, an open parenthesis or a word.
_OPEN_END = re.compile(r"(?:,|\(|[A-Za-z0-9])\s*$")


_BRACKET_TAG = re.compile(r"[ \t\-*•]*\[([A-Za-z][A-Za-z /-]{1,30})\]")
_HOSPITAL_ONLY = re.compile(r"\bonly (?:in|at|during) (?:the )?(?:hospital|stay|admission)\b|"
                            r"\b(?:hospital|inpatient|in-hospital) only\b", re.IGNORECASE)


def _list_gap(text: str, start: int, end: int, objects: frozenset[int]) -> bool:
    """Whether only commas, "and" / "or" and other medication words ("insulin", a class
    term the timeline does not track) stand between two drugs of one list."""
    gap = text[start:end]
    for at in sorted((o for o in objects if start <= o < end), reverse=True):
        word = re.match(r"[\w-]+", text[at:end])
        if word is not None:
            k = at - start
            gap = gap[:k] + " " + gap[k + word.end():]
    return _LIST_GAP.match(gap) is not None


def _whole_line(text: str, piece: LineSpan, cue) -> bool:
    """Whether a list-label cue is the whole line ("STOP TAKING:"), not a word of it."""
    return not text[piece.start:cue.start].strip(" \t-*•") and \
        not text[cue.end:piece.end].strip(" \t:")


def _inline_label(text: str, start: int, end: int, drugs: list[Entity],
                  rules: Rules) -> str | None:
    """The list label a line or sentence opens with before a colon ("- STOPPED: ...",
    "HOLD: ...", "Inpatient only, stopped before discharge: ...", "Single doses in the ED
    on 8/3: ..."): a sub-header's words, else a status word or a single-dose word of a
    short label naming no drug."""
    tag = _BRACKET_TAG.match(text, start, end)
    if tag is not None:
        # "[INPATIENT ONLY] oxycodone 5 mg PRN; ondansetron PRN", "[STOPPED] methimazole":
        # a bracketed tag opening the line is its list label, as "STOPPED:" would be.
        # Only the tags that end or withhold a drug: "[DOSE CHANGED] X 10 mg (was 20 mg)"
        # and "[NEW]" are read from the item's own words, as before.
        found = [c for c in rules.cues.find("medication_list", text[:tag.end(1)],
                                            tag.start(1), tag.end(1))
                 if c.label in ("stopped", "held", "single_dose", "not_given")]
        if found:
            return found[0].label
    colon = text.find(":", start, end)
    if colon == -1 or colon - start > 60 or entities_in(drugs, start, colon):
        return None
    while start < colon and text[start] in " \t-*•":
        start += 1
    found = rules.cues.find("medication_list", text[:colon], start, colon)
    if found and found[0].start == start:
        return found[0].label
    if rules.cues.find("single_dose", text, start, colon):
        return "single_dose"
    words = [c for c in rules.cues.find("medication", text, start, colon)
             if c.label in ("stopped", "held", "resumed")]
    if words:
        return words[-1].label
    # "Medicines you got only in the hospital:": given during the stay, not taken home.
    return "stopped" if _HOSPITAL_ONLY.search(text, start, colon) else None


def _continued(text: str, start: int, end: int, last: _Mention, piece: LineSpan,
               rules: Rules) -> _Mention | None:
    """The change a drug-less clause states about the drug of the clause before it."""
    if rules.cues.find("condition", text, start, end):
        return None  # "...; hold if SBP < 100": not a change yet
    # "...; do not hold for ACS": a denied change is no change here either.
    cues = [c for c in rules.cues.find("medication", text, start, end)
            if c.label in ("stopped", "held", "resumed", "dose_changed")
            and not rules.cues.denied_at(text, c.start)]
    if not cues:
        return None
    change, detail = _change(last.ent, cues[-1].label, piece.section, text, end, rules)
    if change == "mentioned":
        return None
    return _Mention(last.ent, change, detail, last.new_strength)


def _regimen_parts(ent: Entity) -> dict[str, str]:
    out = {name: (ent.attributes[name].value or ent.attributes[name].text)
           for name in ("strength", "route", "frequency") if name in ent.attributes}
    if "frequency" in out:
        out["frequency"] = _SAME_FREQUENCY.get(out["frequency"].upper(), out["frequency"])
    return out


def _differs(before: dict[str, str], now: dict[str, str]) -> bool:
    """A regimen differs when a part stated in both differs (a mention that omits the
    route does not change the route; "250/50 mcg" and "250/50" are one strength)."""
    def norm(key: str, value: str) -> str:
        return "/".join(_NUMBER.findall(value)) if key == "strength" else value

    return "strength" in now and any(
        before.get(k) is not None and norm(k, before[k]) != norm(k, v) for k, v in now.items())


def _reconcile(track: dict, mention: _Mention, note: Note) -> TimelineEvent:
    """Turn a stated change into an event given the drug's history, update the track."""
    ent, change, detail = mention.ent, mention.change, mention.detail
    status = track["status"]
    now = _regimen_parts(ent)
    if mention.new_strength:
        now["strength"] = mention.new_strength
    before = track["regimen"]
    if detail == "home/admission medication" and status in ("held", "stopped"):
        # A home list restated after the drug was held does not restart it.
        change, detail = "mentioned", detail
    if change == "new_or_continued":
        # Without a cue word a held or stopped drug is only mentioned, not restarted...
        # except on a discharge medication list, which lists what the patient goes home
        # on ("furosemide gtt stopped 2/11" ... discharge list "Furosemide 40 mg PO daily").
        restart = {"stopped": "started", "held": "resumed"} \
            if detail == "discharge medication" else {}
        change = {"unknown": "started", "active": "continued", **restart}.get(status,
                                                                           "mentioned")
    if change in ("started", "continued") and status == "held":
        change = "resumed"
    if change == "started" and status == "active":
        change = "continued"
    if change == "continued" and status in ("unknown", "stopped") and detail is None:
        change = "started"
    if change == "stopped" and detail == "avoid" and status not in ("active", "held"):
        change, detail = "mentioned", "avoid"
    if change == "stopped" and status == "active" and _other_route_now(track, now, ent, note):
        # "NEW: pantoprazole 40 mg PO daily ... Inpatient only, d/c'd: IV pantoprazole":
        # the note that set the drug's new route stops only the old one.
        change, detail = "mentioned", f"{now.get('route', 'IV')} form stopped"
    changed = _differs(before, now)
    if change in ("continued", "started", "resumed") and status == "active" and changed:
        change = "dose_changed"
    if change == "dose_changed" and changed:
        detail = f"{' '.join(before.values())} -> {' '.join(now.values())}"
    event = TimelineEvent(note_id=note.note_id, date=note.date, change=change,
                          detail=detail or regimen(ent) or None,
                          citation=mention_span(ent, note.note_id))
    if change in _STATUS_OF:
        track["status"] = _STATUS_OF[change]
        track["last_change"] = change
        if "strength" in now:
            track["regimen"] = now
            track["ent"] = ent
        elif track["ent"] is None:
            track["ent"] = ent
    return event


# An infusion word in the mention or right after it ("pantoprazole infusion").
_INFUSION = re.compile(r"\s*\b(?:infusion|drip|gtt)\b", re.IGNORECASE)


def _other_route_now(track: dict, now: dict[str, str], ent: Entity, note: Note) -> bool:
    """Whether this note already set the drug active by a route other than the stopped
    mention's own (an infusion, drip or gtt is intravenous)."""
    infusion = _INFUSION.search(ent.text) or _INFUSION.match(note.text, ent.end)
    route = now.get("route") or ("IV" if infusion else None)
    current = track["regimen"].get("route")
    return route is not None and current is not None and route.lower() != current.lower() \
        and any(e.note_id == note.note_id and _STATUS_OF.get(e.change) == "active"
                for e in track["events"])


_SINGLE_BEFORE = re.compile(r"\b(?:single|one[- ]time|once-only)\s+$", re.IGNORECASE)
_NOT_TAKEN = {"not given", "not started", "single dose", "planned or conditional",
              "instruction or follow-up"}


def _not_taken_at_discharge(track: dict, note_id: str) -> None:
    """A drug the discharge summary names only as not given, a single dose, planned or for
    follow-up ("Not started: quetiapine", "Single doses only: vitamin K") is not taken at
    discharge, whatever an earlier note started."""
    # A narrative mention of the drug in the same note ("haloperidol 0.5 mg IV" in the
    # course) changes nothing; any change of status does.
    here = [e for e in track["events"] if e.note_id == note_id]
    if track["status"] != "active" or not here or any(
            e.change != "mentioned" for e in here) or not any(
            e.detail in _NOT_TAKEN for e in here):
        return
    if not any(e.detail in ("not started", "single dose") for e in here):
        return
    given = any(e.change in _STATUS_OF for e in track["events"])
    track["status"] = "stopped" if given else "unknown"
    track["last_change"] = "stopped" if given else "mentioned"


def with_reason(event: TimelineEvent, extraction: NoteExtraction,
                drug: Entity) -> TimelineEvent:
    """The event with the reason its note gives for the change ("stopped 2026-03-15:
    angioedema"), read from the note's relations (:mod:`agent.relations.reasons`)."""
    found = change_reason(extraction, drug, event.change)
    if found is None:
        return event
    return event.model_copy(update={
        "reason": found.text,
        "reason_citation": Citation(note_id=event.note_id, start=found.start, end=found.end)})


def build_medications(notes: list[Note], extractions: dict[str, NoteExtraction],
                      rules: Rules) -> list[MedicationTrack]:
    """Medication tracks, one per canonical drug, in order of first mention."""
    tracks: dict[str, dict] = {}
    for note in notes:
        ext = extractions.get(note.note_id)
        if ext is None:
            continue
        for mention in note_mentions(note, ext, rules):
            key = drug_key(mention.ent)
            track = tracks.setdefault(key, {"status": "unknown", "regimen": {}, "ent": None,
                                            "last_change": "mentioned", "events": []})
            track["events"].append(with_reason(_reconcile(track, mention, note), ext,
                                               mention.ent))
        if "discharge" in (note.note_type or ""):
            for track in tracks.values():
                _not_taken_at_discharge(track, note.note_id)
            listed = {drug_key(e) for e in ext.entities
                      if is_drug(e) and e.section == "DISCHARGE_MEDICATIONS"
                      and e.assertion != "absent"}
            for key, track in tracks.items():
                track["discharge"] = track["status"]
                # With a discharge medication list, a drug absent from it is not taken
                # at home (an inpatient PRN, a finished course).
                track["on_list"] = (key in listed and track["status"] != "stopped") \
                    if listed else None
    out = []
    for key, t in tracks.items():
        ent: Entity | None = t["ent"]
        attrs = ent.attributes if ent is not None else {}
        dose = attrs.get("strength") or attrs.get("dose")
        # The regimen's strength (an arrow's new amount included) over the mention's.
        amount = t["regimen"].get("strength") or ((dose.value or dose.text) if dose else None)
        out.append(MedicationTrack(
            name=key, status=t["status"], dose=amount,
            route=(attrs["route"].value or attrs["route"].text) if "route" in attrs else None,
            frequency=(attrs["frequency"].value or attrs["frequency"].text)
            if "frequency" in attrs else None,
            prn="prn" in attrs,
            indication=(attrs["indication"].text if "indication" in attrs else None),
            last_change=t["last_change"], events=t["events"],
            discharge_status=t.get("discharge"), on_discharge_list=t.get("on_list")))
    return out


def build_timeline(notes: list[Note], extractions: list[NoteExtraction],
                   rules: Rules | None = None) -> PatientTimeline:
    """Reconcile one patient's notes into medication and problem tracks and items.

    Args:
        notes: all notes of one patient (any order; put in :func:`sort_notes` order here).
        extractions: the deterministic extraction of each note (matched by note id).
        rules: the rule set (None = packaged).

    Returns:
        The timeline; every event and item cites note id + offsets.

    Raises:
        InputError: no notes, notes of several patients, or an extraction whose note id
            is not among the notes.
    """
    rules = rules or Rules.load()
    if not notes:
        raise InputError("notes", "no notes were given", fix="Pass the patient's notes")
    patients = sorted({n.patient_id for n in notes})
    if len(patients) > 1:
        raise InputError("notes", f"notes of {len(patients)} patients were given",
                         fix="Pass one patient's notes")
    ids = {n.note_id for n in notes}
    by_id = {}
    for ext in extractions:
        if ext.note_id not in ids:
            raise InputError("extractions", f"extraction of note {ext.note_id!r} has no "
                             "matching note", fix="Pass the extractions of these notes")
        by_id[ext.note_id] = ext
    ordered = sort_notes(notes)
    timeline = PatientTimeline(
        patient_id=patients[0],
        notes=[NoteRef(note_id=n.note_id, note_type=n.note_type, date=n.date)
               for n in ordered],
        medications=build_medications(ordered, by_id, rules),
        problems=build_problems(ordered, by_id, rules),
        items=build_items(ordered, by_id, rules),
    )
    logger.info("timeline: %d notes, %d medications, %d problems, %d items",
                len(ordered), len(timeline.medications),
                len(timeline.problems), len(timeline.items))
    return timeline
