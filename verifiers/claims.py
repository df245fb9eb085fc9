"""Claims and source mentions for the verifier (:mod:`verifiers.crosscheck`).

A *claim* is one entity the deterministic extractor finds in a statement (a problem with its
assertion, a drug with its strength/route/frequency, a test with its value). A *mention* is
an entity of a source note, with the context cues the extractor does not record: whether the
drug is stopped, held or active at that point, whether the problem is said to be ruled out,
resolved/past or new. Both sides are compared by concept (:func:`same_concept`) and by
normalised attributes (:func:`parse_amount`).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, replace

from agent.schemas.extraction import Attribute, Entity
from agent.schemas.layout import NoteLayout
from agent.schemas.summary_rules import CueSet

CHECKED_TYPES = frozenset({"PROBLEM", "MEDICATION", "TEST", "ALLERGY", "PROCEDURE"})
DRUG_TYPES = frozenset({"MEDICATION", "ALLERGY"})

# Drug status, ruled-out, past and new cues, switches and list headings are data: kinds
# drug_status, stop_condition, negation_before, switch_phrase, medication_list,
# problem_ruled_out, problem_past, problem_new, says_current of agent/rules/cues.json, the
# same file the timeline reads (handed in as a CueSet).
_BULLET_LINE = re.compile(r"\s*(?:[-*•]|\d+[.)])")
# Between items of one list: separators and conjunctions only (a shape, not a cue).
_LIST_SEPARATORS = re.compile(r"(?:[\s,/&+]|\band\b|\bor\b|\bnor\b)*", re.IGNORECASE)

_UNIT_FACTORS = {
    "mg": ("mg", 1.0), "milligram": ("mg", 1.0), "milligrams": ("mg", 1.0),
    "g": ("mg", 1000.0), "gm": ("mg", 1000.0), "gram": ("mg", 1000.0), "grams": ("mg", 1000.0),
    "mcg": ("mg", 0.001), "ug": ("mg", 0.001), "µg": ("mg", 0.001),
    "microgram": ("mg", 0.001), "micrograms": ("mg", 0.001),
    "unit": ("unit", 1.0), "units": ("unit", 1.0), "u": ("unit", 1.0), "iu": ("unit", 1.0),
    "meq": ("meq", 1.0), "ml": ("ml", 1.0), "l": ("ml", 1000.0), "%": ("%", 1.0),
}
_AMOUNT = re.compile(r"(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>[a-zA-Zµ%]+)?")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
FREQUENCY_SYNONYMS = {"QD": "DAILY", "Q24H": "DAILY", "QDAY": "DAILY", "NIGHTLY": "QHS",
                       "Q12H": "BID", "Q8H": "TID", "EVERY 12 HOURS": "BID"}


@dataclass(frozen=True)
class Mention:
    """An entity of a source note with the context cues around it.

    Attributes:
        note_id: the note.
        date: the note's date (ISO) or None.
        order: position of the note in the patient's notes (date order), for "latest".
        entity: the extracted entity (offsets into the note).
        status: for drugs: "stopped", "held", "active" or None (no cue).
        is_ruled_out: the problem is said to be ruled out / excluded.
        temporal: "past" (resolved, h/o, s/p), "new" (new onset) or None.
        is_planned: its clause plans, recommends, discusses or defers it ("outpatient TIPS
            evaluation", "digoxin was discussed"): named, not done.
        is_removed: a procedure or device its clause says was taken out ("JP removed 4/11").
        is_pending: a test its clause gives as pending or awaited.
        is_resulted: a test its clause gives a result for ("no growth (final)", "negative",
            a value), not as pending.
    """

    note_id: str
    date: str | None
    order: int
    entity: Entity
    status: str | None = None
    is_ruled_out: bool = False
    temporal: str | None = None
    is_planned: bool = False
    is_removed: bool = False
    is_pending: bool = False
    is_resulted: bool = False
    relative: str | None = None
    anchors: frozenset[str] = frozenset()
    is_repeat: bool = False
    repeat_done: bool = False


Clause = tuple[int, int]

# When in a life a fact is placed: "at age 2", "age 2", "in 2019", "as a child". A
# statement's anchor tells which of several same-named facts it means (the sister's
# Kawasaki disease "at age 2", not the patient's this week).
_ANCHOR = re.compile(r"\b(?:at (?:the )?age (?:of )?|aged? )(?P<age>\d{1,3})\b|"
                     r"\b(?P<year>(?:19|20)\d\d)\b(?!\s*(?:mg|mcg|units?|ml|mL))|"
                     r"\bas an? (?P<life>child|kid|teen(?:ager)?|toddler|infant|baby|"
                     r"adolescent|youth)\b", re.IGNORECASE)
_LIFE_SAME = {"kid": "child", "teenager": "teen", "adolescent": "teen", "youth": "teen",
              "baby": "infant"}


def anchors(text: str, lo: int, hi: int) -> frozenset[str]:
    """The life anchors written in ``text[lo:hi]`` ("age:2", "year:2019", "life:child")."""
    out = set()
    for m in _ANCHOR.finditer(text, lo, hi):
        if m.group("age"):
            out.add(f"age:{int(m.group('age'))}")
        elif m.group("year"):
            out.add(f"year:{m.group('year')}")
        else:
            life = m.group("life").lower()
            out.add(f"life:{_LIFE_SAME.get(life, life)}")
    return frozenset(out)


_REPEAT_RESULT = re.compile(r"\s*(?:\(?(?:on\s+)?\d{1,2}/\d{1,2}(?:/\d{2,4})?\)?\s*)?"
                            r"(?::\s*\w|-\s*(?:normal|negative|unremarkable|resolved|no\b)|"
                            r"(?:showed|shows|revealed|was|were|is now|normal|negative|"
                            r"unremarkable)\b)", re.IGNORECASE)

# "repeat echocardiogram", "follow-up CT", "the 2-week echo": a later instance of a test,
# not the one already done.
REPEAT_BEFORE = re.compile(r"\b(?:repeat(?:ed)?|follow-?up|f/u|serial|interval|surveillance|"
                           r"next|second|2nd|third|3rd|\d+[- ]?(?:day|week|wk|month|mo)s?)\s+"
                           r"(?:[\w/-]+\s+){0,1}$", re.IGNORECASE)


def _near(cues: CueSet, kind: str, text: str, start: int, end: int, clause: Clause,
          blockers: list[tuple[int, int]], where: str = "both",
          label: str | None = None) -> re.Match[str] | None:
    """The cue of ``kind`` nearest the entity within its clause, not behind another entity.

    ``where`` is "before", "after" or "both": on which side of the entity the cue may be
    (and, for "before"/"after", only the rules written for that side). The rules' window
    (characters) bounds the distance.
    """
    rx = cues.regex(kind, label=label, position=None if where == "both" else where)
    if rx is None:
        return None
    left, right = clause
    window = cues.window(kind) or (right - left)
    best: tuple[int, re.Match[str]] | None = None
    for m in rx.finditer(text, left, right):
        if start <= m.start() < end:
            continue
        if (where == "before" and m.end() > start) or (where == "after" and m.start() < end):
            continue
        gap = start - m.end() if m.end() <= start else m.start() - end
        if gap > window:
            continue
        lo, hi = (m.end(), start) if m.end() <= start else (end, m.start())
        between = [(b0, b1) for b0, b1 in blockers if lo <= b0 and b1 <= hi]
        # "Leak and abscess were ruled out", "PE and endocarditis were considered but not
        # supported": the entity heads a list the cue follows, so the cue is the list's.
        span = (lo, max(b1 for _, b1 in between)) if between and m.start() >= end else (
            (min(b0 for b0, _ in between), hi) if between else (lo, hi))
        if between and _is_list(text, *span, between):
            between = []
        if between:
            continue
        if m.start() >= end and _SUBORDINATE.search(text, max(left, start - 30), start) \
                and _BUT.search(text, end, m.start()):
            # "suspected when he spiked a fever on 7/8 but was ruled out", "HAP was
            # suspected with the 11/6 fever but ruled out": the temporal clause or the
            # prepositional phrase ends before "but"; the cue after it is the main clause's.
            continue
        # A cue closer to another entity belongs to that one ("aspirin was stopped once
        # apixaban was started"), unless they stand in one list with this entity.
        # ... but not an entity of an aside opened after the cue ("HE has resolved
        # (oriented, no asterixis)": the parenthesis tells how, it has no cue of its own).
        near = [(b0, b1) for b0, b1 in blockers
                if min(abs(m.start() - b1), abs(b0 - m.end())) < gap
                and not (b0 >= m.end() and "(" in text[m.end():b0]
                         and ")" not in text[text.rfind("(", m.end(), b0):b0])]
        if near and not all(_is_list(text, *((end, b0) if b0 >= end else (b1, start)), [])
                            for b0, b1 in near):
            continue
        if best is None or gap < best[0]:
            best = (gap, m)
    return best[1] if best else None


_SUBORDINATE = re.compile(r"\b(?:when|while|after|since|once|because|with|during|amid|despite)\b",
                          re.IGNORECASE)
_BUT = re.compile(r"\bbut\b", re.IGNORECASE)


def _is_list(text: str, lo: int, hi: int, items: list[tuple[int, int]]) -> bool:
    """Whether ``text[lo:hi]`` holds only list items and separators ("A, B and C")."""
    gap = text[lo:hi]
    for b0, b1 in sorted(items, reverse=True):
        gap = gap[:b0 - lo] + " " + gap[b1 - lo:]
    return _LIST_SEPARATORS.fullmatch(gap) is not None


def _list_heading(text: str, start: int, cues: CueSet) -> str | None:
    """The heading label of the medication list the line at ``start`` belongs to, if any."""
    line_start = text.rfind("\n", 0, start) + 1
    pos = line_start
    for _ in range(30):
        if pos <= 0:
            return None
        prev_start = text.rfind("\n", 0, pos - 1) + 1
        line = text[prev_start:pos - 1]
        found = cues.find("medication_list", text, prev_start, pos - 1)
        if found:
            return found[0].label
        if not line.strip() or not _BULLET_LINE.match(line):
            return None
        pos = prev_start
    return None


def _anchored(cues: CueSet, kind: str, label: str, position: str, text: str) -> bool:
    """Whether a rule anchored at a mention's edge ("^ ... to", "... from $") matches the
    text right after (or before) it."""
    rx = cues.regex(kind, label=label, position=position)
    return rx is not None and (rx.match(text) if position == "after" else rx.search(text)) \
        is not None


# The object of an active "replaced" ("X replaced Y", "X replaces Y") or of "in place of"
# is the drug given up; "replaced by / with Y" (a passive) names the one taken instead.
_REPLACED_BEFORE = re.compile(r"\b(?:replaced|replaces|replacing|in place of|instead of)\s+"
                              r"(?:(?:the|his|her|their|home|oral|IV)\s+)?$", re.IGNORECASE)


def drug_status(text: str, ent: Entity, blockers: list[tuple[int, int]], cues: CueSet,
                clause: Clause) -> str | None:
    """Whether the note says this drug is stopped, held or active at this mention.

    Args:
        text: the note text.
        ent: a MEDICATION entity of the note.
        blockers: spans of the note's other drug mentions (a cue behind another drug
            belongs to that drug: "apixaban started; aspirin was stopped").
        cues: the cue rules.
        clause: the clause holding the mention (from the note's layout).

    Returns:
        "stopped", "held", "active" or None when the note gives no cue.
    """
    line_end = text.find("\n", ent.end)
    line_start = text.rfind("\n", 0, ent.start) + 1
    line_stop = line_end if line_end != -1 else len(text)
    # A list heading governs the item's own drug, not one named in passing on its line
    # ("STOP: - Aspirin 81 mg (now on apixaban)").
    is_first = not any(line_start <= b0 < ent.start for b0, _ in blockers)
    heading = _list_heading(text, ent.start, cues) if is_first else None
    stop = _near(cues, "drug_status", text, ent.start, ent.end, clause, blockers,
                 label="stopped")
    is_planned = False
    if stop is not None and stop.group().lower() in ("stop", "stops"):
        after = text[stop.end():stop.end() + 12]
        before = text[max(0, stop.start() - 8):stop.start()]
        if cues.says("stop_condition", after) or cues.says("stop_condition", before):
            # "STOP after 7/12", "then stop": current until the planned stop.
            stop, is_planned = None, True
    before_text = text[max(0, ent.start - 40):ent.start]
    after_text = text[ent.end:ent.end + 40]
    # "from furosemide 40 mg IV BID to ...": the drug's own regimen stands between it and
    # the "to" of the switch.
    regimen_end = max([ent.end, *(a.end for a in ent.attributes.values()
                                  if ent.end <= a.start and a.end <= ent.end + 40)])
    after_regimen = text[regimen_end:regimen_end + 40]
    if stop is None and _REPLACED_BEFORE.search(before_text):
        # "Gabapentin replaced carbamazepine", "apixaban in place of warfarin": the drug
        # after an active "replaced" is the one left.
        return "stopped"
    if stop is None and (
            (_anchored(cues, "switch_phrase", "from", "before", before_text)
             and (_anchored(cues, "switch_phrase", "to_next", "after", after_text)
                  or _anchored(cues, "switch_phrase", "to_next", "after", after_regimen)))
            or _anchored(cues, "switch_phrase", "from", "after", after_text)):
        return "stopped"
    held = _near(cues, "drug_status", text, ent.start, ent.end, clause, blockers,
                 label="held")
    if stop is not None and (held is None or abs(stop.start() - ent.start)
                             <= abs(held.start() - ent.start)):
        return "stopped"
    if held is not None and not cues.says("drug_status", text[line_start:line_stop],
                                          label="hold_parameters"):
        return "held"
    if heading is not None:
        if heading == "stopped":
            return "stopped"
        if heading == "held":
            return "held"
        return "active"
    if is_planned:
        return "active"
    active = _near(cues, "drug_status", text, ent.start, ent.end, clause, blockers,
                   label="active")
    if active is not None and cues.denied_at(text, active.start()):
        active = None
    if active is not None:
        return "active"
    if ent.assertion == "absent":
        # "alteplase NOT given": a negated drug has no status, it was never given.
        return None
    if ent.section == "DISCHARGE_MEDICATIONS" and is_first:
        return "active"
    return None


def problem_cues(text: str, ent: Entity, blockers: list[tuple[int, int]], cues: CueSet,
                 clause: Clause) -> tuple[bool, str | None]:
    """(is_ruled_out, temporal) of a problem mention from the words of its clause."""
    def near(kind: str, where: str) -> bool:
        return _near(cues, kind, text, ent.start, ent.end, clause, blockers, where) is not None

    # "DVT excluded by duplex" is ruled out even where ConText left it present.
    # "DVT excluded by duplex", "a normal CK excluded rhabdomyolysis".
    ruled_out = near("problem_ruled_out", "after") or near("problem_ruled_out", "before")
    temporal = None
    if near("problem_past", "before") or near("problem_past", "after"):
        temporal = "past"
    elif near("problem_new", "before") or _anchored(cues, "problem_new", "new", "after",
                                                    text[ent.end:ent.end + 40]):
        temporal = "new"
    return ruled_out, temporal


# A conjunct with a verb of its own says its own status ("and a DVT developed").
_OWN_VERB = re.compile(r"\b(?:is|was|were|are|has|have|had|been|be|remains?|shows?|"
                       r"\w{3,}(?:ed|ing))\b", re.IGNORECASE)
_COORDINATOR = re.compile(r"\s*(?:,\s*)?(?:and|or|,)\s+(?:(?:a|an|the|any)\s+)?",
                          re.IGNORECASE)
_CONJUNCT_START = re.compile(r"(?:,\s*(?:and|or)?|\band|\bor)\s+(?:(?:a|an|the)\s+)?",
                             re.IGNORECASE)


def gapped_ruled_out(text: str, ent: Entity, problems: list[Entity], cues: CueSet,
                     clause: Clause) -> bool:
    """Whether a problem shares a ruled-out verb with the problem it is coordinated with:
    named in a verbless conjunct after it ("ACS was excluded by troponins, and aortic
    stenosis by echo") or listed before it ("tamponade and a pneumothorax were both
    excluded")."""
    after = [p for p in problems if p.start >= ent.end and p.end <= clause[1]]
    if after:
        nxt = min(after, key=lambda p: p.start)
        others = [(p.start, p.end) for p in problems if p is not nxt and p is not ent]
        # Only a subject listed before its verb: "he developed X and Y was excluded"
        # gives X its own verb.
        if _COORDINATOR.fullmatch(text, ent.end, nxt.start) and \
                not _OWN_VERB.search(text, clause[0], ent.start) and \
                problem_cues(text, nxt, others, cues, clause)[0]:
            return True
    before = [p for p in problems if p.end <= ent.start and clause[0] <= p.start]
    if not before:
        return False
    prev = max(before, key=lambda p: p.end)
    joins = list(_CONJUNCT_START.finditer(text, prev.end, ent.start))
    if not joins or text[joins[-1].end():ent.start].strip():
        return False
    rest = text[joins[-1].start():ent.start] + text[ent.end:clause[1]]
    if _OWN_VERB.search(rest):
        return False
    others = [(p.start, p.end) for p in problems if p is not prev and p is not ent]
    return problem_cues(text, prev, others, cues, clause)[0]


# "X was considered for <reason>": the work-up verb after the subject, then the words up to
# the reason.
_CONSIDERED_VERB = re.compile(r"\s+(?:was|were|had been)\s+(?:\w+\s+)?(?:considered|suspected|"
                              r"entertained|evaluated|worked up|raised)\b", re.IGNORECASE)
_WORKUP_FOR = re.compile(r"\s+(?:for|because of|given|due to|with)\s+(?:[\w'/-]+\s+){0,3}",
                         re.IGNORECASE)


def work_up_reason(text: str, ent: Entity, entities: list[Entity]) -> bool:
    """Whether a problem is the reason of a work-up another problem names ("DVT was
    considered for left calf swelling and excluded"): the cue after it is the subject's."""
    for subject in entities:
        if subject.type != "PROBLEM" or subject.end > ent.start:
            continue
        verb = _CONSIDERED_VERB.match(text, subject.end)
        if verb is not None and verb.end() <= ent.start and \
                _WORKUP_FOR.fullmatch(text, verb.end(), ent.start) is not None:
            return True
    return False


def said_past_after(text: str, ent: Entity, blockers: list[tuple[int, int]], cues: CueSet,
                    clause: Clause) -> bool:
    """Whether a past word follows the problem ("hypokalemia, resolved"), as opposed to one
    before it ("no prior stroke": a denied history, not a past problem)."""
    return _near(cues, "problem_past", text, ent.start, ent.end, clause, blockers,
                 "after") is not None


def make_mentions(note_id: str, date: str | None, order: int, text: str,
                  entities: list[Entity], cues: CueSet, layout: NoteLayout,
                  future_sections: frozenset[str] = frozenset()) -> list[Mention]:
    """The checkable entities of one note as :class:`Mention` objects with their cues.

    ``future_sections`` (the ``future`` section role: follow-up, instructions) hold what is
    still to come: a mention there is planned, not done."""
    drugs = sorted((e.start, e.end) for e in entities if e.type in DRUG_TYPES)
    problems = sorted((e.start, e.end) for e in entities if e.type == "PROBLEM")
    windows = [cues.window(k) for k in ("drug_status", "problem_ruled_out", "problem_past",
                                        "problem_new")]
    out = []
    for e in entities:
        if e.type not in CHECKED_TYPES or e.end > len(text):
            continue
        if e.assertion == "absent" and cues.says(
                "negation_before", text[max(0, e.start - 40):e.start], label="no_more"):
            # "no further antibiotics": none beyond those given, not that none were.
            e = e.model_copy(update={"assertion": "present"})
        status, ruled_out, temporal = None, False, None
        clause = layout.clause_around(e.start, e.end)
        if e.type in ("PROCEDURE", "TEST") and e.assertion == "present" and \
                _dated_before(text, e.end, min(clause[1], e.end + 30), date):
            # "Last colonoscopy 2023" in a 2026 note: done before this stay, not during it.
            e = e.model_copy(update={"assertion": "historical"})
        # Only entities near the mention's line and clause can block or own its cues: a cue
        # lies in the clause and counts within its window of the mention.
        line_start = text.rfind("\n", 0, e.start) + 1
        line_end = text.find("\n", e.end)
        lo = min(clause[0], line_start)
        hi = max(clause[1], line_end if line_end != -1 else len(text))
        margin = max((w if w is not None else hi - lo) for w in windows)
        if e.type == "MEDICATION":
            status = drug_status(text, e, _nearby(drugs, e, lo - margin, hi + margin), cues,
                                 clause)
        elif e.type == "PROBLEM":
            ruled_out, temporal = problem_cues(
                text, e, _nearby(problems, e, lo - margin, hi + margin), cues, clause)
            # "Considered and excluded: acute coronary syndrome (troponin negative x2),
            # aortic stenosis": a label opening the line rules out every item of it.
            ruled_out = ruled_out or any(c.label == "ruled_out" for c in
                                         cues.in_line_label("problem", text, e.start))
            # "X was considered for <this> and excluded": the exclusion is X's.
            ruled_out = ruled_out and not work_up_reason(
                text, e, [p for p in entities if p.type == "PROBLEM"
                          and clause[0] <= p.start < e.start])
            if temporal is None and _back_in_sinus(text, e, line_start, line_end):
                temporal = "past"
            if (ruled_out or e.assertion == "absent") and evidence_aside(text, e, entities):
                # "Ruled out: urinary tract infection (sterile pyuria)": the aside is why
                # the item was excluded, a finding of the patient, not a second exclusion.
                ruled_out = False
                e = e.model_copy(update={"assertion": "present"})
        is_asked = asked(text, e, layout)
        if e.type == "PROBLEM" and e.assertion == "present" and \
                _WEIGHED_AFTER.match(text, e.end, clause[1]):
            # "sarcoidosis considered, no adenopathy", "PE suspected": weighed, not found
            # (a ruled-out cue after it still makes it ruled out below).
            e = e.model_copy(update={"assertion": "possible"})
        if e.type == "ALLERGY" and e.assertion == "present":
            e = allergy_certainty(text, e, clause)
        if e.type in ("MEDICATION", "PROCEDURE") and e.assertion == "present" and \
                _RELATIVE_CLAUSE_BEFORE.search(text, max(line_start, e.start - 60), e.start):
            # "caregiver for his wife, who is on home oxygen": the wife's oxygen, not his.
            e = e.model_copy(update={"assertion": "family"})
        if e.type == "PROBLEM" and e.assertion == "present":
            before = text[max(clause[0], e.start - 60):e.start]
            if _DONOR_BEFORE.search(before) or _RELATIVE_CLAUSE_BEFORE.search(
                    text, max(line_start, e.start - 60), e.start):
                # "Donor had hepatitis C", "kidney donor: CMV IgG+": the donor's, not the
                # recipient's (compared as another person's, like a relative's).
                e = e.model_copy(update={"assertion": "family"})
            elif _OPEN_BEFORE.search(before):
                # "May have pneumonia", "Working diagnosis: lymphoma", "PE favored over
                # pneumonia": a name given as a guess or as the less favored alternative.
                e = e.model_copy(update={"assertion": "possible"})
        if e.type == "PROBLEM" and e.assertion == "present" and \
                _HEDGE_AFTER.match(text, e.end, clause[1]):
            e = e.model_copy(update={"assertion": "possible"})
        if e.type == "PROBLEM" and e.assertion in ("present", "absent") and \
                _UNSETTLED_AFTER.match(text, e.end, clause[1]) and (
                    e.assertion == "present"
                    or not DENIAL_BEFORE.search(
                        text, max(clause[0], text.rfind(":", clause[0], e.start) + 1),
                        e.start)):
            # "dengue co-infection indeterminate (NS1 negative, IgM equivocal)", "Lynch
            # syndrome not excluded": the name is left open; a negative test in the aside
            # after it is evidence, not a denial of the diagnosis.
            e = e.model_copy(update={"assertion": "possible"})
        if e.type == "PROBLEM" and e.assertion == "present":
            frame = _FRAME_AFTER.match(text, e.end, clause[1])
            if frame is not None:
                # "stroke symptoms", "cirrhosis workup", "DVT prophylaxis": the name frames
                # a work-up or a precaution; it is not the patient's diagnosis.
                e = e.model_copy(update={"assertion": "hypothetical" if frame.group(1)
                                         else "possible"})
        if is_asked and e.type == "PROBLEM" and e.assertion == "present":
            # "Reason for consultation: ? PE", "Is this lupus?": asked about, not found.
            e = e.model_copy(update={"assertion": "possible"})
        planned = (e.section in future_sections
                   or is_asked
                   or any(c.label == "planned"
                          for c in cues.find("claim_event", text, *clause))
                   or bool(cues.find("todo", text, *clause))
                   or bool(cues.find("condition", text, *clause)))
        removed = e.type == "PROCEDURE" and (any(
            c.label == "removed" for c in cues.find("claim_event", text, *clause))
            or _stop_label_before(text, line_start, e.start, cues)
            or _stopped_after(text, e, clause, entities, cues))
        pending = resulted = False
        if e.type in ("TEST", "PROCEDURE"):
            pending = bool(cues.find("pending", text, *clause)) or any(
                c.label == "pending" for c in cues.find("claim_event", text, *clause))
            resulted = not pending and (
                e.attributes.get("value") is not None
                or RESULT_WORDS.search(text, e.end, clause[1]) is not None)
        relative = relative_before(text, line_start, e.start) \
            if e.assertion == "family" else None
        line_hi = line_end if line_end != -1 else len(text)
        repeat = e.type in ("TEST", "PROCEDURE") and REPEAT_BEFORE.search(
            text, max(line_start, e.start - 30), e.start) is not None
        # "Repeat renal ultrasound 3/6: resolved": a repeat written with its result, which
        # a plan cue ("repeat" reads as an order) does not make a plan.
        done = repeat and _REPEAT_RESULT.match(text, e.end, line_hi) is not None
        out.append(Mention(note_id, date, order, e, status, ruled_out, temporal, planned,
                           removed, pending, resulted, relative,
                           anchors(text, line_start, line_hi), repeat, done))
    return _heading_takes_its_line(text, out)


# The people a statement or a note may name instead of the patient.
RELATIVE_WORDS = (r"mother|mom|father|dad|sister|brother|daughter|son|aunt|uncle|cousin|"
                  r"grand(?:mother|father|son|daughter)|niece|nephew|wife|husband|spouse|"
                  r"partner")
KIN_WORD = re.compile(rf"\b(?:{RELATIVE_WORDS})s?\b", re.IGNORECASE)
_KIN_SAME = {"mom": "mother", "dad": "father", "spouse": "partner", "wife": "partner",
             "husband": "partner"}
_SENTENCE_BREAK = re.compile(r"[.;](?:\s|$)")


def kin(word: str) -> str:
    """One spelling per relative ("Mom" and "mothers" are the mother)."""
    w = word.lower()
    w = w[:-1] if w.endswith("s") and w[:-1] in {"mother", "father", "sister", "brother",
                                                  "daughter", "son", "aunt", "uncle",
                                                  "cousin", "niece", "nephew"} else w
    return _KIN_SAME.get(w, w)


def relative_before(text: str, line_start: int, start: int) -> str | None:
    """The relative a family-history item belongs to: the nearest relative word before it
    in its sentence ("father - MI at 52. Brother (55) - HCM": the HCM is the brother's);
    None when its sentence names none."""
    lo = line_start
    for brk in _SENTENCE_BREAK.finditer(text, line_start, start):
        lo = brk.end()
    found = list(KIN_WORD.finditer(text, lo, start))
    return kin(found[-1].group(0)) if found else None


# A problem heading opening its line: "# Pneumonia:", "2. PE -", "Sepsis:".
_HEADING_START = re.compile(r"[ \t]*(?:#+|\d+[.)]|[-*\u2022])?[ \t]*$")
_HEADING_END = re.compile(r"[ \t]*[:\-\u2013]")


def _heading_takes_its_line(text: str, mentions: list[Mention]) -> list[Mention]:
    """A problem heading whose own line denies or excludes the same problem ("# Pneumonia:
    CXR clear, not pneumonia") names the problem worked on, not a finding: it takes the
    line's verdict."""
    out = list(mentions)
    for i, m in enumerate(mentions):
        e = m.entity
        if e.type != "PROBLEM" or e.assertion != "present" or m.is_ruled_out:
            continue
        line_start = text.rfind("\n", 0, e.start) + 1
        line_end = text.find("\n", e.end)
        line_end = len(text) if line_end == -1 else line_end
        if not (_HEADING_START.fullmatch(text, line_start, e.start)
                and _HEADING_END.match(text, e.end)):
            continue
        verdict = next((o for o in mentions if o is not m and o.entity.type == "PROBLEM"
                        and e.end <= o.entity.start < line_end
                        and o.entity.text.lower() == e.text.lower()
                        and (o.is_ruled_out or o.entity.assertion == "absent")), None)
        if verdict is not None:
            out[i] = replace(m, entity=e.model_copy(update={"assertion": "absent"}),
                             is_ruled_out=verdict.is_ruled_out)
    return out


# What a test's clause says when it has come back ("Blood cultures no growth (final)",
# "Legionella antigen negative", "TTE: EF 55%", "biopsy showed ...").
RESULT_WORDS = re.compile(r"\b(?:no growth|negative|positive|normal|abnormal|unremarkable|"
                           r"final(?:ized)?|resulted|returned|came back|showed|shows|grew|"
                           r"growing|revealed|consistent with|detected|not detected|"
                           r"EF \d+)", re.IGNORECASE)

# A diagnosis named and then weighed: "X considered", "X was suspected", "X in the
# differential", "X (possible)".
# An adjective ("possible", "likely") only when nothing follows it in the clause: in "left
# arm weakness (likely Todd paresis)" it hedges the next name, not this one.
# "X vs Y": the first name of a differential is no more certain than the second.
_WEIGHED_AFTER = re.compile(r"[\s,(:\-\u2013]*(?:(?:was|were|is|are|to be|also|initially|first|"
                            r"\w+ly)\s+)*"
                            r"(?:(?:considered|suspected|entertained|questioned|raised|"
                            r"in the differential|on the differential|a consideration|"
                            r"r/o|rule[- ]out|to rule out)\b|"
                            r"(?:vs\.?|versus)\s|"
                            r"(?:possible|likely|favou?red|a concern)\s*(?:[,.;:)]|but\b|$))",
                            re.IGNORECASE | re.MULTILINE)

# A diagnosis named and then left open: "X indeterminate", "X equivocal", "X not excluded",
# "X not confirmed" (one more word of the name may come between: "dengue co-infection
# indeterminate"). Unlike "possible" these words may be followed by the evidence.
_UNSETTLED_AFTER = re.compile(r"(?:\s+[\w-]+){0,2}?[\s,:\-\u2013]*(?:(?:was|were|is|are|remains?|"
                              r"still)\s+)*(?:indeterminate|equivocal|unconfirmed|"
                              r"not (?:yet )?(?:been )?(?:confirmed|excluded|ruled out|"
                              r"established)|"
                              r"(?:cannot|can't|could not) be (?:excluded|ruled out))\b",
                              re.IGNORECASE)
# A hedge word right after the name, ending the item ("Community-acquired pneumonia,
# probable (CXR equivocal)", "cellulitis of the left hand, probable"): the name is given as
# possible (its site phrase may come between). A hedge
# followed by a word is that word's ("pneumonia, probable aspiration").
_HEDGE_AFTER = re.compile(r"(?:\s+(?:of|in|on|at)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?[\w-]+)?"
                          r"[\s,:\-\u2013]*(?:probable|probably|possible|possibly|presumed|"
                          r"presumptive|suspected|questionable)\b(?!\s*[\w-])",
                          re.IGNORECASE)
# A denial before the name in its clause ("no dengue, indeterminate film") keeps it absent;
# a label before a colon ("Not settled: dengue ...") is not one.
# (Also the crosscheck's denial test before a name.)
DENIAL_BEFORE = re.compile(r"\b(?:no|not|without|negative for|denies|denied|free of)\b",
                           re.IGNORECASE)

# Right before a name: a modal guess ("may have", "could represent"), a provisional label
# ("working diagnosis:"), or the alternative a differential ranks lower ("favored over",
# "rather than").
_OPEN_BEFORE = re.compile(r"(?:\b(?:may|might|could)\s+(?:have|be|represent|reflect|indicate)|"
                          r"\b(?:working|provisional|presumptive|tentative)\s+(?:diagnosis|dx)"
                          r"(?:\s+(?:is|of))?\s*:?|"
                          r"\b(?:favou?red|preferred|more likely)\s+over|\brather than)"
                          r"\s+(?:(?:a|an|the)\s+)?(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
# An arrhythmia its line says has ended in sinus rhythm ("post-op AF - sinus since 10/8",
# "AF, converted to sinus on amiodarone"): past at that note. A chronic rhythm disease
# ("paroxysmal AF, in sinus today") is still the patient's.
_RHYTHM = re.compile(r"fibrillation|flutter|\bA-?fib\b|\bAF\b|\bSVT\b|tachycardia|"
                     r"arrhythmia", re.IGNORECASE)
_SINUS_AFTER = re.compile(r"[^.;]{0,60}?\b(?:(?:now|back|currently|remains?|remained|"
                          r"converted|restored|returned|reverted)\s+(?:in|to)\s+(?:normal\s+)?"
                          r"sinus|sinus rhythm since|in sinus since|NSR since|"
                          r"(?:converted|reverted) to NSR|now (?:in )?NSR)\b", re.IGNORECASE)
_CHRONIC_RHYTHM = re.compile(r"\b(?:paroxysmal|persistent|permanent|chronic|longstanding|"
                             r"long-standing|h/o|history of|known)\b", re.IGNORECASE)


def _back_in_sinus(text: str, e: Entity, line_start: int, line_end: int) -> bool:
    """Whether the arrhythmia mention's line says the rhythm is back to sinus (above)."""
    hi = line_end if line_end != -1 else len(text)
    return (_RHYTHM.search(e.text) is not None
            and _SINUS_AFTER.match(text, e.end, hi) is not None
            and _CHRONIC_RHYTHM.search(text, max(line_start, e.start - 30), e.end) is None)


_ASIDE_OPEN = re.compile(r"\s*\(\s*(?P<lead>[^()\n]{0,30}?)$")
_ASIDE_CLOSE = re.compile(r"(?P<tail>[^()\n]{0,30}?)\)")


def evidence_aside(text: str, e: Entity, entities: list[Entity]) -> bool:
    """Whether a problem stands in the parenthesis right after another problem, with words
    of its own beside it ("urinary tract infection (sterile pyuria)", "takotsubo (MRI
    pattern of myocarditis)"): the other item's evidence. A bare synonym ("(UTI)") is the
    item itself."""
    before = [p for p in entities if p.type == "PROBLEM" and p.end <= e.start
              and e.start - p.end <= 32]
    if not before:
        return False
    item = max(before, key=lambda p: p.end)
    opened = _ASIDE_OPEN.fullmatch(text, item.end, e.start)
    closed = _ASIDE_CLOSE.match(text, e.end)
    if opened is None or closed is None:
        return False
    if same_concept(item, e):
        return False
    return bool((opened.group("lead") + closed.group("tail")).strip())


# An allergy a note only wonders about ("? amoxicillin reaction vs rash of KD", "possible
# sulfa allergy") or says was not borne out ("amoxicillin allergy not established",
# "penicillin allergy ruled out by challenge"): not an allergy the patient has.
_ALLERGY_DOUBT_BEFORE = re.compile(r"(?:\?\s*|\b(?:possible|possibly|probable|questionable|"
                                   r"query|suspected|presumed|unconfirmed|reported)\s+)$",
                                   re.IGNORECASE)
_ALLERGY_DOUBT_AFTER = re.compile(r"\s*(?:(?:allergy|reaction|intolerance|sensitivity)\s*)?"
                                  r"(?:(?:was|is|has|been|remains?|felt|thought|initially)\s+)*"
                                  r"(?P<word>\?|vs\.?|versus|possible|suspected|unlikely|"
                                  r"considered|questioned|raised|doubted|"
                                  r"doubtful|not (?:established|confirmed|proven|true|"
                                  r"recorded|an allergy)|ruled out|excluded|de-?labell?ed|"
                                  r"removed)", re.IGNORECASE)
_ALLERGY_NOT = re.compile(r"not |ruled|excluded|de-?label|removed", re.IGNORECASE)


def allergy_certainty(text: str, e: Entity, clause: Clause) -> Entity:
    """An allergy mention's certainty from the words around it (see above)."""
    after = _ALLERGY_DOUBT_AFTER.match(text, e.end, clause[1])
    if after is not None:
        absent = _ALLERGY_NOT.match(after.group("word")) is not None
        return e.model_copy(update={"assertion": "absent" if absent else "possible"})
    if _ALLERGY_DOUBT_BEFORE.search(text, max(clause[0], e.start - 20), e.start):
        return e.model_copy(update={"assertion": "possible"})
    return e


# An organ or blood donor named as the subject before the name ("Donor had ...",
# "kidney donor: CMV+"); "donor-derived" infections are the recipient's.
_DONOR_BEFORE = re.compile(r"\bdonor(?:'s)?(?!-)\s*(?:had|has|was|is|with|w/|:|-)?\s+"
                           r"(?:[\w/+]+\s+){0,3}$", re.IGNORECASE)

# A relative clause about another person right before the name ("lives with his wife,
# who has COPD"): hers, not the patient's. The comma may end the layout's clause, so this
# is searched in the line.
_RELATIVE_CLAUSE_BEFORE = re.compile(
    r"\b(?:wife|husband|partner|spouse|mother|mom|father|dad|sister|brother|son|daughter|"
    r"aunt|uncle|grandmother|grandfather|cousin|roommate|donor)\s*,?\s*who\s+"
    r"(?:also\s+)?(?:has|had|is|was|suffers from|suffered from|developed|uses|used|"
    r"takes|took|needs|needed|receives|received|gets)\s+"
    r"(?:(?:a|an|the)\s+)?(?:[\w-]+\s+){0,2}$", re.IGNORECASE)

# A diagnosis name used as a modifier of a work-up or a precaution ("stroke symptoms",
# "sepsis workup", "fall risk", "seizure precautions", "DVT prophylaxis"); group 1: the
# precautions, which say it is absent now.
_FRAME_AFTER = re.compile(r"\s+(?:(prophylaxis|ppx|precautions)|symptoms?|work-?up|"
                          r"evaluation|eval|rule[- ]out|risk|risk factors?|protocol|alert|"
                          r"screen(?:ing)?|pathway|assessment)\b", re.IGNORECASE)

# "? VATS decortication", "?PE": a question mark right before a name asks about it.
_ASKED_BEFORE = re.compile(r"\?\s*$")
# "pneumonia?", "PE (?)": a question mark right after a name.
_ASKED_AFTER = re.compile(r"\s*\(?\?")


def asked(text: str, e: Entity, layout: NoteLayout) -> bool:
    """Whether a mention stands in a question ("Does he need VATS decortication now?",
    "Reason for consultation: loculated empyema, ? VATS"): asked about, not done."""
    if _ASKED_BEFORE.search(text, max(0, e.start - 3), e.start) or \
            _ASKED_AFTER.match(text, e.end):
        return True
    i = bisect_right(layout.sentence_starts, e.start) - 1
    if i < 0 or not layout.sentences[i].start <= e.start < layout.sentences[i].end:
        return False
    return text[layout.sentences[i].start:layout.sentences[i].end].rstrip().endswith("?")


def _stopped_after(text: str, e: Entity, clause: Clause, entities: list[Entity],
                   cues: CueSet) -> bool:
    """Whether a stop word follows a device or infusion in its clause before any other
    entity ("The wound VAC came off 2/11", "tube feeds stopped 3/6"): it ended there."""
    nxt = min((x.start for x in entities if e.end <= x.start < clause[1]), default=clause[1])
    return any(c.label == "stopped" and not cues.denied_at(text, c.start)
               for c in cues.find("claim_event", text, e.end, nxt))


def _stop_label_before(text: str, line_start: int, start: int, cues: CueSet) -> bool:
    """Whether the line opens with a short label that stops or removes what it lists
    ("Stopped before discharge: insulin infusion, IV fluids with potassium", "Given in
    hospital only: ..., IV fluids")."""
    colon = text.find(":", line_start, start)
    if colon == -1 or colon - line_start > 60:
        return False
    lo = line_start
    while lo < colon and text[lo] in " \t-*•":
        lo += 1
    # "Given in hospital only:", "Inpatient only, stopped before discharge:" (a list label).
    label = cues.find("medication_list", text[:colon], lo, colon)
    if label and label[0].start == lo and label[0].label == "stopped":
        return True
    return any(c.label in ("stopped", "removed")
               for c in cues.find("claim_event", text, line_start, colon))


_YEAR = re.compile(r"(?<![\d/.-])(?:19|20)\d{2}(?![\d/.-])")


def _dated_before(text: str, start: int, end: int, note_date: str | None) -> bool:
    """Whether a bare year right after a mention is earlier than the note's year."""
    if not note_date or end <= start:
        return False
    m = _YEAR.search(text, start, end)
    return m is not None and m.group() < note_date[:4]


def _nearby(spans: list[tuple[int, int]], ent: Entity, lo: int, hi: int,
            ) -> list[tuple[int, int]]:
    """The spans (sorted by start) other than ``ent`` that reach into ``[lo, hi)``."""
    # Entity names are short: a span starting 200 characters before lo cannot reach it.
    i = bisect_left(spans, (lo - 200, 0))
    out = []
    for b in spans[i:]:
        if b[0] >= hi:
            break
        if b[1] > lo and b != (ent.start, ent.end):
            out.append(b)
    return out


def names(ent: Entity) -> set[str]:
    """Lower-case names a concept may be matched by: mention text and canonical name."""
    out = {ent.text.lower().strip()}
    canonical = ent.normalized.get("canonical")
    if isinstance(canonical, str) and canonical:
        out.add(canonical.lower().strip())
    return out


def _contains_words(a: str, b: str) -> bool:
    return len(a) >= 4 and re.search(rf"(?<!\w){re.escape(a)}(?!\w)", b) is not None


def same_concept(claim: Entity, source: Entity) -> bool:
    """Whether a statement entity and a source entity name the same thing.

    Drugs match by canonical ingredient (a drug named as an allergen still matches, so a
    statement can be compared with the allergy list); problems by name, by one name
    containing the other as whole words ("heart failure" in "acute on chronic heart
    failure ..."), or by the same top ICD-10-CM code; tests and procedures by name.
    """
    if claim.type in DRUG_TYPES:
        if source.type not in DRUG_TYPES:
            return False
        return bool(names(claim) & names(source))
    if claim.type != source.type:
        return False
    a, b = names(claim), names(source)
    if a & b:
        return True
    # "JP" and "JP drain", "Foley" and "Foley catheter": a device named with or without
    # its head noun ("amputation" is no "below-knee amputation").
    # Only an abbreviation names a device without its head ("JP"); "dialysis" is a
    # procedure, not the "dialysis catheter".
    if claim.type == "PROCEDURE" and (
            (claim.text.isupper() and any(_device_head_only(x, y) for x in a for y in b))
            or (source.text.isupper() and any(_device_head_only(y, x)
                                              for x in a for y in b))):
        return True
    if claim.type == "PROBLEM":
        # The claim's name inside the source's ("heart failure" in "acute on chronic heart
        # failure"), not the other way: "arthritis" says nothing of "crystal arthritis".
        if any(_contains_words(x, y) for x in a for y in b):
            return True
        if claim.codes and source.codes and claim.codes[0].code == source.codes[0].code \
                and claim.codes[0].score >= 0.8 and source.codes[0].score >= 0.8:
            return True
    return False


_DEVICE_WORDS = frozenset({"drain", "drains", "tube", "tubes", "catheter", "catheters", "line",
                           "lines", "device", "placement", "insertion", "cath"})


def _device_head_only(short: str, long: str) -> bool:
    """Whether ``long`` is ``short`` with a device head noun added ("jp" -> "jp drain")."""
    extra = long.split()
    words = short.split()
    if len(extra) <= len(words) or extra[:len(words)] != words:
        return False
    return all(w in _DEVICE_WORDS for w in extra[len(words):])


def parse_amount(value: str | None) -> tuple[float, str] | None:
    """A strength or dose as (number, base unit): "1 g" -> (1000.0, "mg"), "20 units"."""
    if not value:
        return None
    m = _AMOUNT.search(value.replace(",", ""))
    if not m:
        return None
    num = float(m.group("num"))
    unit = (m.group("unit") or "").lower()
    base, factor = _UNIT_FACTORS.get(unit, (unit, 1.0))
    return round(num * factor, 6), base


# "1,000 mg": a thousands separator is part of the number, never its start.
_DOSE_AMOUNT = (r"(?<![\d,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*"
                r"(?:mg|g|mcg|micrograms?|milligrams?|units?|mEq)\b")
_DOSE = re.compile(rf"\b{_DOSE_AMOUNT}", re.IGNORECASE)


def with_clause_dose(claims: list[Entity], text: str,
                     clause_of: Callable[[int, int], Clause]) -> list[Entity]:
    """A statement's drug claims, each given the dose its clause states away from the
    drug's name ("metoprolol succinate was resumed at his home dose of 50 mg daily"): the
    extractor links a dose written next to the drug only, and an unlinked dose is a part
    of the claim the checks must weigh. Only a clause with one drug and one dose; a dose
    after a change verb replaces the one next to the name."""
    out = []
    linked = [(a.start, a.end) for c in claims for a in c.attributes.values()]
    respective = _respective_doses(claims, text, clause_of)
    for claim in claims:
        if id(claim) in respective:
            m = respective[id(claim)]
            strength = Attribute(start=m.start(), end=m.end(), text=m.group(), value=m.group())
            out.append(claim.model_copy(update={"attributes": {
                **{k: v for k, v in claim.attributes.items() if k not in ("strength", "dose")},
                "strength": strength}}))
            continue
        if claim.type == "MEDICATION" and _cumulative(claim, text):
            # "phenobarbital 520 mg IV in total": a sum over doses, not one dose; no
            # per-dose check applies (the coverage gate still looks for the number).
            out.append(claim.model_copy(update={"attributes": {
                k: v for k, v in claim.attributes.items() if k not in ("strength", "dose")}}))
            continue
        if claim.type == "MEDICATION" and claim.attributes.keys() & {"strength", "dose"}:
            out.append(_event_dose(claim, text, clause_of, claims))
            continue
        if claim.type != "MEDICATION":
            out.append(claim)
            continue
        lo, hi = clause_of(claim.start, claim.end)
        drugs = [c for c in claims if c.type in DRUG_TYPES and lo <= c.start < hi]
        doses = [m for m in _DOSE.finditer(text, lo, hi)
                 if not any(a <= m.start() < b for a, b in linked)
                 and not any(c.start <= m.start() < c.end for c in claims)]
        if len(drugs) != 1 or len(doses) != 1:
            out.append(claim)
            continue
        m = doses[0]
        strength = Attribute(start=m.start(), end=m.end(), text=m.group(), value=m.group())
        out.append(claim.model_copy(update={"attributes": {**claim.attributes,
                                                           "strength": strength}}))
    return out


_DOSE_LIST_GAP = re.compile(r"(?:\s*(?:daily|bid|tid|qid|nightly|each|,|and|/))*\s*",
                            re.IGNORECASE)


def _respective_doses(claims: list[Entity], text: str,
                      clause_of: Callable[[int, int], Clause]) -> dict[int, re.Match[str]]:
    """Drugs named together and then as many doses in a row ("metoprolol and lisinopril
    were both halved, to 25 mg and 10 mg daily"): the doses go to the drugs in order."""
    out: dict[int, re.Match[str]] = {}
    drugs = sorted((c for c in claims if c.type == "MEDICATION"), key=lambda c: c.start)
    by_clause: dict[Clause, list[Entity]] = {}
    for d in drugs:
        by_clause.setdefault(clause_of(d.start, d.end), []).append(d)
    for (_lo, hi), group in by_clause.items():
        if len(group) < 2:
            continue
        doses = list(_DOSE.finditer(text, group[-1].end, hi))
        if len(doses) != len(group) or any(
                _DOSE_LIST_GAP.fullmatch(text[a.end():b.start()]) is None
                for a, b in zip(doses, doses[1:], strict=False)):
            continue
        out.update({id(d): m for d, m in zip(group, doses, strict=True)})
    return out


_CUMULATIVE_AFTER = re.compile(r"\s*(?:\w+\s+){0,2}?(?:in\s+total|total|cumulative|combined|"
                               r"over\s+\d+\s+(?:doses|days|hours))\b", re.IGNORECASE)
_CUMULATIVE_BEFORE = re.compile(r"\b(?:a\s+)?(?:total|cumulative)\s+(?:dose\s+)?(?:of\s+)?$",
                                re.IGNORECASE)


def _cumulative(claim: Entity, text: str) -> bool:
    """Whether the dose a statement gives a drug is a total ("520 mg IV in total", "a
    total of 520 mg")."""
    dose = claim.attributes.get("strength") or claim.attributes.get("dose")
    if dose is None:
        return False
    return bool(_CUMULATIVE_AFTER.match(text, dose.end)
                or _CUMULATIVE_BEFORE.search(text[max(0, dose.start - 30):dose.start]))


# "resumed on 9/24 at a reduced 50 mg", "increased to 40 mg": the dose a change verb
# binds, after the verb.
_CHANGE_VERB = (r"\b(?:resum|restart|start|initiat|increas|decreas|reduc|chang|titrat|"
                r"uptitrat)ed\b")
# The gap may not hold another change verb: in "started on 5/11 and reduced to 60 mg" the
# 60 mg is the reduction's, not the start's.
_EVENT_DOSE = re.compile(
    _CHANGE_VERB + rf"(?:(?!{_CHANGE_VERB})[^.;,]){{0,40}}?\b(?:at|to)\s+"
    r"(?:(?:a|an|the|his|her|reduced|lower|higher|new|home)\s+)*"
    rf"(?P<dose>{_DOSE_AMOUNT})",
    re.IGNORECASE)
_FIRST_CHANGE_VERB = re.compile(_CHANGE_VERB, re.IGNORECASE)


def _event_dose(claim: Entity, text: str, clause_of: Callable[[int, int], Clause],
                claims: list[Entity]) -> Entity:
    """"Home sertraline 100 mg was held and resumed at a reduced 50 mg": the dose written
    after the change verb (a past form: "an increase to 50 mg planned" is no change), not
    the home dose next to the name, is what the change claims; only when no other drug
    stands between the name and the verb ("vitamin K, and warfarin was restarted at 3 mg")."""
    lo, hi = clause_of(claim.start, claim.end)
    # The first change verb after the name binds its dose; a later verb's dose is another
    # event's ("started ... and reduced to 60 mg": the start keeps the dose by the name).
    verb = _FIRST_CHANGE_VERB.search(text, claim.end, hi)
    m = _EVENT_DOSE.match(text, verb.start(), hi) if verb is not None else None
    if m is None or any(c is not claim and c.type in DRUG_TYPES and claim.end <= c.start < m.start()
                        for c in claims):
        return claim
    strength = Attribute(start=m.start("dose"), end=m.end("dose"), text=m.group("dose"),
                         value=m.group("dose"))
    return claim.model_copy(update={"attributes": {**claim.attributes, "strength": strength}})


def amount_of(ent: Entity) -> tuple[float, str] | None:
    """The amount given of a drug mention: its strength, else dose + unit."""
    strength = ent.attributes.get("strength")
    dose = ent.attributes.get("dose")
    # A concentration ("100 units/mL") is the product, not the amount given.
    is_concentration = strength is not None and "/ml" in (strength.value or "").lower()
    if strength is not None and not (is_concentration and dose is not None):
        return parse_amount(strength.value or strength.text)
    if dose is not None:
        unit = ent.attributes.get("unit")
        return parse_amount(f"{dose.value or dose.text} {unit.value if unit else ''}".strip())
    return None


def attr_value(ent: Entity, name: str) -> str | None:
    """A normalised attribute value for comparison (frequency synonyms folded)."""
    a = ent.attributes.get(name)
    if a is None:
        return None
    value = (a.value or a.text).strip().upper()
    if name == "frequency":
        value = FREQUENCY_SYNONYMS.get(value, value)
    return value


def test_value(ent: Entity) -> float | None:
    """The first number of a test result, or None."""
    a = ent.attributes.get("value")
    if a is None:
        return None
    m = _NUMBER.search((a.value or a.text).replace(",", ""))
    return float(m.group()) if m else None


def assertion_class(ent: Entity, is_ruled_out: bool = False) -> str:
    """The assertion compared between statement and source (a ruled-out one is absent)."""
    return "absent" if is_ruled_out else ent.assertion


def statement_cues(text: str, cues: CueSet) -> dict[str, bool]:
    """Statement-level cues: does it say a drug is stopped/held, a problem is past?"""
    return {
        "says_stopped": (cues.says("drug_status", text, label="stopped")
                         and not cues.says("stop_condition", text)),
        "says_held": cues.says("drug_status", text, label="held"),
        "says_past": cues.says("problem_past", text),
        "says_current": cues.says("says_current", text),
        "says_ruled_out": cues.says("problem_ruled_out", text),
    }
