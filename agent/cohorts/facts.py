"""Fact rows of one patient: every extracted entity of every note, normalised for cohort
queries, with the medication and problem statuses of the patient timeline.

The extractor's single ``assertion`` is split into the three axes a cohort query filters
on: assertion (present / absent / possible / hypothetical), experiencer (patient / family)
and temporality (current / historical / planned). A problem the timeline reads as resolved
is historical; one it reads as ruled out is absent. Medication statuses come from the
timeline's tracks: ``status`` is what the mention's own note says (active / held /
stopped), ``status_now`` the drug's status at the patient's last note (``not_continued``
for a drug of the stay left off the discharge medication list).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from agent.cohorts.labs import LabCatalog
from agent.handoff.timeline import build_timeline, drug_key
from agent.nlp.layout import note_layout
from agent.rules import Rules
from agent.schemas.extraction import Entity, NoteExtraction
from agent.schemas.notes import Note
from agent.schemas.summary import PatientTimeline

# Entity types stored as facts (anatomy mentions answer no cohort question).
FACT_TYPES = ("PROBLEM", "MEDICATION", "TEST", "PROCEDURE", "ALLERGY")
ICD10CM = "ICD-10-CM"
# The word-final parts of a problem's name, so a query for the head ("retinopathy") finds
# its kinds ("nonproliferative diabetic retinopathy") by equality on an index.
TERM = "TERM"
_EPOCH = date(1970, 1, 1)
_MED_STATUS = {"started": "active", "continued": "active", "dose_changed": "active",
               "resumed": "active", "held": "held", "stopped": "stopped"}
_SPACES = re.compile(r"\s+")


@dataclass
class Fact:
    """One fact row before it is stored (``codes``: (system, code) pairs it matches)."""

    patient_id: str
    note_id: str
    text_sha256: str
    note_date: str | None
    note_day: int | None
    entity_type: str
    concept: str
    code: str | None
    assertion: str
    experiencer: str
    temporality: str
    section: str | None
    value_num: float | None
    unit: str | None
    status: str | None
    status_now: str | None
    span_start: int
    span_end: int
    span_text: str
    codes: list[tuple[str, str]] = field(default_factory=list)

    def row(self) -> dict:
        """The column values (without the codes)."""
        out = dict(self.__dict__)
        out.pop("codes")
        return out


def day_number(iso: str | None) -> int | None:
    """Days since 1970-01-01 of an ISO date (or timestamp); None when absent or unreadable."""
    if not iso:
        return None
    try:
        return (date.fromisoformat(iso[:10]) - _EPOCH).days
    except ValueError:
        return None


def concept_name(text: str) -> str:
    """The comparable form of a concept name: lower case, single spaces."""
    return _SPACES.sub(" ", text).strip().lower()


def name_terms(concept: str) -> list[str]:
    """The word-final parts of a concept name, longest first ("diabetic retinopathy" ->
    "diabetic retinopathy", "retinopathy")."""
    words = concept.split()
    return [" ".join(words[i:])[:100] for i in range(len(words))]


def entity_concept(ent: Entity, labs: LabCatalog) -> str:
    """The concept a fact is filed under: the canonical ingredient of a drug, the lab
    catalog's test name, else the vocabulary's canonical name or the mention."""
    if ent.type in ("MEDICATION", "ALLERGY"):
        return concept_name(drug_key(ent))
    if ent.type == "TEST":
        # The mention first ("A1c"), then the vocabulary's name ("hemoglobin" for "Hgb").
        test = labs.test_for(ent.text) or labs.test_for(str(ent.normalized.get("canonical")
                                                            or ""))
        if test is not None:
            return test.name
    return concept_name(str(ent.normalized.get("canonical") or ent.text))


def icd_ancestors(code: str) -> list[str]:
    """The code and its ancestors in ICD-10-CM (category, block, chapter), when the code is
    in the table; else the code and its dotted prefixes."""
    # Deferred: simple_icd_10_cm parses its table on import (about a second).
    import simple_icd_10_cm as icd

    if icd.is_valid_item(code):
        return [code, *icd.get_ancestors(code)]
    out = [code]
    while "." in code and len(code) > 4:
        code = code[:-1].rstrip(".")
        out.append(code)
    return out


def split_assertion(assertion: str) -> tuple[str, str, str]:
    """``(assertion, experiencer, temporality)`` of an extractor assertion."""
    if assertion == "family":
        return "present", "family", "current"
    if assertion == "historical":
        return "present", "patient", "historical"
    if assertion == "hypothetical":
        return "hypothetical", "patient", "planned"
    return assertion, "patient", "current"


def _timeline_statuses(timeline: PatientTimeline) -> dict[tuple[str, int], tuple[str, str,
                                                                                  str | None]]:
    """``(note id, start) -> (kind, status in that note, status now)`` of every mention the
    timeline read (the event's citation starts at the mention)."""
    out: dict[tuple[str, int], tuple[str, str, str | None]] = {}
    for med in timeline.medications:
        now = med.status
        if med.on_discharge_list is False and now == "active":
            # A record with a discharge medication list: a drug active in the stay but not
            # on the list (a sliding scale, a finished course) is not taken now.
            now = "not_continued"
        for ev in med.events:
            status = "planned" if ev.detail == "planned or conditional" \
                else _MED_STATUS.get(ev.change, "mentioned")
            out[(ev.note_id, ev.citation.start)] = ("MEDICATION", status, now)
    for prob in timeline.problems:
        for ev in prob.events:
            out[(ev.note_id, ev.citation.start)] = ("PROBLEM", ev.change, prob.status)
    return out


def patient_facts(notes: list[Note], extractions: list[NoteExtraction], rules: Rules,
                  labs: LabCatalog, *, text_sha256: dict[str, str]) -> dict[str, list[Fact]]:
    """The fact rows of one patient's notes.

    Args:
        notes: all notes of the patient (the timeline needs every one of them).
        extractions: their extractions (matched by note id).
        rules: the rule set the timeline reads cues with.
        labs: the lab catalog (test names, units).
        text_sha256: note id -> hash of the note version the extraction was made from.

    Returns:
        Note id -> its facts (every note of ``notes`` is a key, with no facts or some).
    """
    by_id = {e.note_id: e for e in extractions}
    timeline = build_timeline(notes, [by_id[n.note_id] for n in notes if n.note_id in by_id],
                              rules)
    statuses = _timeline_statuses(timeline)
    out: dict[str, list[Fact]] = {}
    built: list[tuple[Fact, Entity]] = []
    for note in notes:
        facts: list[Fact] = []
        ext = by_id.get(note.note_id)
        layout = note_layout(note, ext, rules.headers) if ext else None
        problems = sorted((e.start, e.end) for e in (ext.entities if ext else [])
                          if e.type == "PROBLEM")
        for ent in ext.entities if ext else []:
            if ent.type not in FACT_TYPES:
                continue
            fact = _fact(note, ent, statuses, labs, text_sha256[note.note_id])
            if fact.entity_type == "PROBLEM" and fact.status is None and layout is not None:
                _clause_status(fact, ent, note.text, layout.clause_around(ent.start, ent.end),
                               problems, rules)
            facts.append(fact)
            built.append((fact, ent))
        out[note.note_id] = facts
    _type_generic_mentions(built)
    return out


_TITLE_STOP = frozenset({"and", "of", "the", "with", "without", "other", "unspecified", "in",
                         "due", "to", "mellitus", "disease", "disorder", "disorders", "or"})
_WORD = re.compile(r"[a-z0-9]+")


def _category(code: str) -> str:
    return code.split(".", 1)[0]


def _is_specific(fact: Fact, ent: Entity) -> bool:
    """Whether the mention names every word of its code's category title ("type 1
    diabetes mellitus" names E10 "Type 1 diabetes mellitus"; a bare "diabetes" does not
    name E11 "Type 2 diabetes mellitus")."""
    # Deferred: simple_icd_10_cm parses its table on import (about a second).
    import simple_icd_10_cm as icd

    category = _category(fact.code or "")
    if not icd.is_valid_item(category):
        return False
    said = set(_WORD.findall(f"{ent.text} {ent.normalized.get('canonical') or ''}".lower()))
    wanted = set(_WORD.findall(icd.get_description(category).lower())) - _TITLE_STOP
    return wanted <= said


def _type_generic_mentions(built: list[tuple[Fact, Entity]]) -> None:
    """Give a mention that names a condition without its type ("diabetes") the type the
    patient's own present mentions document ("type 1 diabetes"), when the coder listed
    that type among the mention's candidates.

    The ICD-10-CM index defaults an untyped "diabetes" to E11 (type 2); for a patient whose
    notes say "T1DM" that default would file the same disease under two types.
    """
    documented = {_category(f.code) for f, e in built
                  if f.entity_type == "PROBLEM" and f.code and f.assertion == "present"
                  and f.experiencer == "patient" and _is_specific(f, e)}
    for fact, ent in built:
        if fact.entity_type != "PROBLEM" or not fact.code \
                or _category(fact.code) in documented or _is_specific(fact, ent):
            continue
        for cand in ent.codes[1:]:
            if cand.system == ICD10CM and _category(cand.code) in documented:
                fact.code = cand.code
                fact.codes = [(ICD10CM, c) for c in icd_ancestors(cand.code)]
                break


_CAUSE = re.compile(r"\W*(?:from|due to|secondary to|caused by|related to)\s+(?:\w+\s+)?$",
                    re.IGNORECASE)


def _clause_status(fact: Fact, ent: Entity, text: str, clause: tuple[int, int],
                   problems: list[tuple[int, int]], rules: Rules) -> None:
    """The problem status words of the mention's clause, for a mention the timeline does
    not read (outside the diagnostic sections): "neuropathy from B12 deficiency, resolved"
    in an exam is past; "occult AF" is possible; "... ruled out" is absent. The same cue
    rules as the timeline's (``cues.json``, kind ``problem``)."""
    if fact.assertion != "present" or fact.experiencer != "patient":
        return
    start, end = clause
    # Status words after a problem speak of it up to the next problem of the clause, but
    # its cause is part of it ("neuropathy from B12 deficiency, resolved").
    i = bisect_right(problems, (ent.start, ent.end))
    last = ent.end
    while i < len(problems) and problems[i][0] < end and _CAUSE.match(text, last,
                                                                      problems[i][0]):
        last = problems[i][1]
        i += 1
    stop = min(end, problems[i][0]) if i < len(problems) and problems[i][0] >= last else end
    after = {c.label for c in rules.cues.find("problem", text, ent.end, stop)}
    whole = {c.label for c in rules.cues.find("problem", text, start, end)}
    if "possible" in whole:
        fact.assertion = "possible"
    elif "ruled_out" in after:
        fact.assertion = "absent"
    elif "resolved" in after:
        fact.temporality = "historical"
    fact.status = next((lab for lab in ("resolved", "ruled_out", "possible")
                        if lab in after or lab == "possible" and lab in whole), None)


def _fact(note: Note, ent: Entity, statuses: dict, labs: LabCatalog, sha: str) -> Fact:
    assertion, experiencer, temporality = split_assertion(ent.assertion)
    status = status_now = None
    read = statuses.get((note.note_id, ent.start))
    if read is not None and read[0] == ent.type:
        _, status, status_now = read
        if status == "resolved" and experiencer == "patient":
            temporality = "historical"
        elif status == "ruled_out":
            assertion = "absent"
        elif status == "possible" and assertion == "present":
            # "Occult AF: loop recorder placed": the timeline reads the clause's doubt.
            assertion = "possible"
        elif status == "planned":
            temporality = "planned"
    concept = entity_concept(ent, labs)
    code = None
    codes: list[tuple[str, str]] = []
    if ent.type == "PROBLEM":
        icd = [c for c in ent.codes if c.system == ICD10CM]
        if icd:
            code = icd[0].code
            codes = [(ICD10CM, c) for c in icd_ancestors(code)]
        # The name as written too: MeSH files "peripheral neuropathy" under "peripheral
        # nervous system diseases", and a query for "neuropathy" must still find it.
        codes += [(TERM, t) for t in dict.fromkeys(
            name_terms(concept) + name_terms(concept_name(ent.text)))]
    value = unit = None
    if ent.type == "TEST" and "value" in ent.attributes:
        attr = ent.attributes["value"]
        line = note.text[attr.start:attr.end + 16].split("\n", 1)[0]
        value, unit = labs.read_value(concept, line, value_chars=attr.end - attr.start)
    return Fact(
        patient_id=note.patient_id, note_id=note.note_id, text_sha256=sha,
        note_date=note.date, note_day=day_number(note.date), entity_type=ent.type,
        concept=concept[:300], code=code, assertion=assertion, experiencer=experiencer,
        temporality=temporality, section=ent.section, value_num=value, unit=unit,
        status=status, status_now=status_now, span_start=ent.start, span_end=ent.end,
        span_text=ent.text[:500], codes=codes)
