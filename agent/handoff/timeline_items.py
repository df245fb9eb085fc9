"""Problems, allergies, pending results, to-dos, code status and family history of the
patient timeline (:func:`agent.handoff.timeline.build_timeline`)."""

from __future__ import annotations

import re

from agent.handoff.lab_resolution import lab_problem_rules, lab_values, settle_by_labs
from agent.handoff.newborn import is_birth_parent, said_of_newborn
from agent.nlp.layout import note_layout
from agent.rules import Rules
from agent.schemas.extraction import Entity, NoteExtraction
from agent.schemas.notes import Note
from agent.schemas.summary import Citation, ProblemTrack, TimelineEvent, TimelineItem
from verifiers.claims import allergy_certainty, evidence_aside

_CODE_STATUS_TEXT = {"full_code": "Full code", "dnr": "DNR", "dnr_dni": "DNR/DNI",
                     "comfort": "Comfort care"}
_REACTION = re.compile(r"\s*(?:\(([^)\n]{1,40})\)|(?:->|--|-)\s*([A-Za-z][A-Za-z ]{1,30}))")
# Allergen spellings that name one substance class ("PCN" and "penicillin").
_ALLERGEN_KEY = {"pcn": "penicillin", "sulfonamides": "sulfa", "sulfonamide": "sulfa"}
# States a later event may not override: a possible diagnosis does not undo a confirmed
# or ruled-out one; a history mention does not undo anything.
_WEAK = {"possible": {"active", "ruled_out", "resolved"},
         "absent": {"active", "ruled_out", "resolved"},
         "historical": {"active", "ruled_out", "resolved", "possible"}}


def problem_key(ent: Entity) -> str:
    """Problems group by ICD-10-CM category (I50.23 and I50.9 are one heart failure),
    else by lower-case canonical text."""
    icd = [c for c in ent.codes if c.system == "ICD-10-CM"]
    if icd:
        return icd[0].code[:3]
    return str(ent.normalized.get("canonical") or ent.text).lower()


# A resolution word outranks an activity word said of the same problem ("status
# epilepticus, new onset -- resolved": "new" dates the onset, "resolved" is the state).
_WORKUP_FOR = re.compile(r"\b(?:considered|suspected|evaluated|work-?up|worked up|r/o|rule out)"
                         r"\s+for\s+(?:\S+\s+){0,2}$", re.IGNORECASE)
_STATUS_RANK = {"ruled_out": 0, "resolved": 1, "possible": 2, "active": 3}


# A status after a dash closing a list item ("Septic shock from RLL pneumonia with
# bacteremia -- resolved") is the whole item's, its head problem included.
_ITEM_TAIL = re.compile(r"(?:\s--?\s|\s[—–]\s)(?P<tail>[^\n]*)$")


# Open words right after a problem's name: it is neither confirmed nor excluded.
_LEFT_OPEN = re.compile(r"\s*[,:-]?\s*(?:(?:is|was|remains?|remained|still|felt|deemed)\s+)*"
                        r"(?:indeterminate|equivocal|uncertain|unclear|inconclusive|"
                        r"not (?:yet )?(?:been )?(?:excluded|ruled out|confirmed|established)|"
                        r"cannot be (?:excluded|ruled out))\b", re.IGNORECASE)


_CHANGED_FROM = re.compile(r"\b(?:from|was|previously|formerly)\s+$", re.IGNORECASE)


def _line_label_status(ent: Entity, text: str, rules: Rules) -> str | None:
    """The status a label opening the problem's line gives every problem of the line
    ("Excluded: acute coronary syndrome (flat troponin), pneumonia", "Considered and
    excluded: UTI, stroke / ICH", "Resolved: AKI")."""
    cues = rules.cues.in_line_label("problem", text, ent.start)
    found = {c.label for c in cues} & {"ruled_out", "resolved"}
    return min(found, key=lambda x: _STATUS_RANK[x]) if found else None


def _problem_status(ent: Entity, text: str, clause: tuple[int, int],
                    rules: Rules, next_problem: int | None = None,
                    last_problem_end: int | None = None) -> str | None:
    """The status one mention gives its problem (None: the mention says nothing of the
    patient's problem list, e.g. a pertinent negative or a relative's diagnosis)."""
    start, end = clause
    if ent.assertion in ("present", "absent", "possible") and _LEFT_OPEN.match(text, ent.end):
        # "dengue co-infection indeterminate (NS1 negative, IgM equivocal)": the name is
        # left open; the negative test in the aside is evidence, not an exclusion.
        return "possible"
    label = _line_label_status(ent, text, rules)
    if label is not None and ent.assertion in ("present", "absent"):
        return label
    if _WORKUP_FOR.search(text, max(start, ent.start - 40), ent.start):
        # "Cerebral edema: considered for hr-6 headache -> excluded": the headache is what
        # the work-up was for, not what it excluded.
        return "active" if ent.assertion == "present" else None
    # The status words after a problem speak of it up to the next problem of the clause
    # ("AKI resolved, new effusion": "new" is the effusion's).
    stop = min(end, next_problem) if next_problem is not None and next_problem > ent.end \
        else end
    cues = rules.cues.find("problem", text, ent.end, stop)
    if not cues and last_problem_end is not None and stop < end:
        tail = _ITEM_TAIL.search(text, last_problem_end, end)
        if tail is not None:
            cues = rules.cues.find("problem", text, tail.start("tail"), end)
    label = min((c.label for c in cues), key=lambda x: _STATUS_RANK.get(x, 9)) \
        if cues else None
    if ent.assertion == "present":
        # An open word before the problem or in its own stretch is its own; one after the
        # next problem of the clause is that problem's ("Hypernatremia with polyuria --
        # suspected nephrogenic DI, NOT confirmed": the DI is left open, the sodium is not),
        # unless it closes the whole item after a dash (the tail cues above).
        whole = rules.cues.find("problem", text, start, stop)
        if any(c.label == "possible" for c in [*whole, *cues]):
            return "possible"
        if label is None and rules.cues.find("problem_settled", text, ent.end, stop):
            # "UTI, treated", "coagulopathy, reversed", "volume overload - diuresed back
            # to pre-op weight": the episode is over (build_problems decides whether the
            # problem was the patient's before admission, which these words cannot settle).
            return "settled"
        return {"resolved": "resolved", "ruled_out": "ruled_out"}.get(label, "active")
    if ent.assertion == "absent":
        if label == "resolved":
            return "resolved"
        if any(c.label == "ruled_out" for c in rules.cues.find("problem", text, start, end)):
            return "ruled_out"
        # "No obstruction" in an impression: absent, but not a work-up that ruled it out
        # ("CTA negative for PE" in an assessment rules it out; "denies chest pain" in the
        # HPI is only a pertinent negative).
        return "absent" if rules.roles.has(ent.section, "rule_out") else None
    if ent.assertion == "possible":
        return "possible"
    if ent.assertion == "historical":
        return "historical"
    return None  # hypothetical ("monitor for gout flare") and family are not problems


def build_problems(notes: list[Note], extractions: dict[str, NoteExtraction],
                   rules: Rules) -> list[ProblemTrack]:
    """Problem tracks (patient's own), in order of first mention."""
    tracks: dict[str, dict] = {}
    last = notes[-1].note_id if notes else None
    parent = is_birth_parent(notes)
    for note in notes:
        ext = extractions.get(note.note_id)
        layout = note_layout(note, ext, rules.headers)
        problems = [e for e in (ext.entities if ext else []) if e.type == "PROBLEM"]
        for i, ent in enumerate(problems):
            # Exam findings, ROS, labs and imaging findings are evidence, not problems of
            # the list: only diagnostic sections name diagnoses of this stay.
            if not rules.roles.has(ent.section, "diagnostic"):
                continue
            if parent and said_of_newborn(note.text, ent.start, layout):
                continue  # the newborn's problem, told in the mother's note
            following = _end_of_list(note.text, ent, problems[i + 1:])
            clause = layout.clause_around(ent.start, ent.end)
            last_end = max(e.end for e in problems if clause[0] <= e.start < clause[1])
            status = _problem_status(ent, note.text, clause, rules, following, last_end)
            if status == "settled":
                # Treated, reversed or back to baseline ends an episode of the stay; a
                # problem the patient had before admission (a history mention) is only
                # back at its usual state ("HTN: BP back to baseline -- resume amlodipine").
                before = tracks.get(problem_key(ent), {}).get("events", [])
                status = "active" if any(e.change == "historical" for e in before) \
                    else "resolved"
            if status in ("ruled_out", "absent") and evidence_aside(note.text, ent, problems):
                # "Ruled out: urinary tract infection (sterile pyuria)": the aside is why
                # the item was excluded; it says nothing of its own place on the list.
                continue
            if status is None:
                continue
            if status in ("ruled_out", "absent", "resolved") and _modifies_next(
                    note.text, ent, problems[i + 1:]):
                # "Excluded: DRESS myocarditis": the negative finding is the compound's
                # (the myocarditis of DRESS), not the modifier's own diagnosis.
                continue
            key = problem_key(ent)
            if key in tracks and not _same_problem(ent, tracks[key]) and (
                    status in ("ruled_out", "absent")
                    or not _content_words(ent) & tracks[key]["words"]):
                # "HELLP syndrome -- excluded" (O14.2) does not exclude the preeclampsia
                # (O14.1) of its category: a negative finding speaks of its own code only.
                # Nor is "hepatorenal syndrome" (K76.7) the "hepatic encephalopathy"
                # (K76.82) of its category: names sharing no word are two problems.
                key = _full_key(ent)
            if key in tracks and status in ("ruled_out", "absent") and \
                    tracks[key]["status"] == "active" and _sibling(ent, note.text, tracks[key]):
                # "Ruled out: left-sided endocarditis" after a TEE-proven tricuspid valve
                # endocarditis: another form of the diagnosis was excluded, not the
                # established one (an exclusion of the same or a more general name still
                # rules it out: "aspiration pneumonia excluded").
                key = f"{_full_key(ent)}:{ent.text.lower()}"
                tracks.setdefault(key, {"status": None, "events": [],
                                        "name": _written_name(ent, note.text), "codes": [],
                                        "settled_in": None, "words": set()})
            t = tracks.setdefault(key, {"status": None, "events": [],
                                        "name": ent.text, "codes": [],
                                        "settled_in": None, "words": set()})
            t["words"] |= _content_words(ent)
            if note.note_id == last and ent.section == "DISCHARGE_DIAGNOSES":
                t.setdefault("final_list", (status, ent.text))
            t["events"].append(TimelineEvent(
                note_id=note.note_id, date=note.date, change=status, detail=ent.section,
                citation=Citation(note_id=note.note_id, start=ent.start, end=ent.end)))
            if status in ("resolved", "ruled_out"):
                t["settled_in"] = note.note_id
            elif status == "active" and t["settled_in"] == note.note_id and not \
                    rules.cues.find("problem", note.text, ent.end, ent.end + 40):
                # A bare mention later in the note that said it resolved or was ruled out
                # ("seizure at onset" in the course) narrates, it does not reopen it.
                continue
            if status == "absent" and t["status"] == "possible":
                t["status"] = "ruled_out"
            elif t["status"] is None or t["status"] not in _WEAK.get(status, set()):
                t["status"] = status
            if status == "active" and ent.section in ("DISCHARGE_DIAGNOSES",
                                                      "ASSESSMENT_PLAN"):
                t["name"] = ent.text
            for code in ent.codes[:1]:
                if code.system == "ICD-10-CM" and code.code not in t["codes"]:
                    t["codes"].append(code.code)
    lab_rules = lab_problem_rules(rules.rules_dir)
    values = lab_values(notes, extractions)
    order = {n.note_id: i for i, n in enumerate(notes)}
    for t in tracks.values():
        settle_by_labs(t, order, values, lab_rules)
        final = t.get("final_list")
        if final is not None and final[0] in ("possible", "resolved", "ruled_out"):
            # The final discharge diagnosis list is the stay's last word on a problem:
            # "arrhythmic syncope -- not excluded, monitor pending" there leaves it
            # possible even though an earlier assessment named the arrhythmia outright
            # (the status order above keeps an active problem against a stray later "no"),
            # under the list's own name.
            t["status"], t["name"] = final
    # A problem only ever seen absent, or absent after being suspected, is ruled out.
    return [ProblemTrack(name=t["name"], codes=t["codes"], events=t["events"],
                         status="ruled_out" if t["status"] == "absent" else t["status"])
            for t in tracks.values()]


_COORDINATION = re.compile(r"[\s,/&]*(?:(?:and|or|nor)[\s,/&]*)?", re.IGNORECASE)


def _end_of_list(text: str, ent: Entity, later: list[Entity]) -> int | None:
    """Where the status words after a problem stop being its own: at the next problem,
    unless the two stand in one list ("PE and endocarditis not supported": the status
    after the list is every item's)."""
    end = ent.end
    for other in later:
        if other.start < end:
            continue
        if _COORDINATION.fullmatch(text, end, other.start) is None:
            return other.start
        end = other.end
    return None


def _modifies_next(text: str, ent: Entity, later: list[Entity]) -> bool:
    """Whether the problem is the first word(s) of a compound problem name: the next
    problem follows it after nothing but spaces on the same line ("DRESS myocarditis",
    "lupus nephritis")."""
    nxt = next((e for e in later if e.start >= ent.end), None)
    return nxt is not None and 0 < nxt.start - ent.end <= 2 \
        and not text[ent.end:nxt.start].strip()


def _full_key(ent: Entity) -> str:
    """A problem's own code (not its category), else its canonical text."""
    icd = [c for c in ent.codes if c.system == "ICD-10-CM"]
    return icd[0].code if icd else problem_key(ent)


def _content_words(ent: Entity) -> set[str]:
    """The words of four letters or more of a mention's text and canonical name."""
    names = f"{ent.text} {ent.normalized.get('canonical') or ''}".lower()
    return {w for w in re.findall(r"[a-z]{4,}", names)}


def _sibling(ent: Entity, text: str, track: dict) -> bool:
    """Whether a mention names another form of the track's problem: each has content words
    the other lacks ("left-sided endocarditis" and "tricuspid valve infective
    endocarditis"), so neither is the other's general name. The mention's words include
    the modifiers written before it back to its list item's start ("Ruled out: ...;
    left-sided endocarditis"), which the extracted span may leave out."""
    words = _content_words(ent) | set(re.findall(r"[a-z]{4,}", _written_name(ent, text).lower()))
    return bool(words - track["words"]) and bool(track["words"] - words)


def _written_name(ent: Entity, text: str) -> str:
    """The mention with the modifiers written before it back to its list item's start."""
    window = text[max(0, ent.start - 30):ent.start]
    cut = max(window.rfind(mark) for mark in ";:,(\n")
    lead = window[cut + 1:].strip() if cut != -1 else ""
    return f"{lead} {ent.text}" if lead else ent.text


def _same_problem(ent: Entity, track: dict) -> bool:
    """Whether a mention names the track's own problem, not another of its category."""
    icd = [c.code for c in ent.codes if c.system == "ICD-10-CM"]
    return (bool(icd) and icd[0] in track["codes"]) or \
        ent.text.lower() == track["name"].lower()


def _allergies(note: Note, ext: NoteExtraction | None) -> list[TimelineItem]:
    out = []
    for ent in (ext.entities if ext else []):
        if ent.type != "ALLERGY" or ent.assertion not in ("present", "historical") or \
                ent.section != "ALLERGIES":
            continue
        line_start = note.text.rfind("\n", 0, ent.start) + 1
        before = note.text[line_start:ent.start]
        if before.count("(") > before.count(")"):
            continue  # "PCN -- anaphylaxis (required epinephrine)": part of a reaction
        line_end = note.text.find("\n", ent.end)
        line_end = len(note.text) if line_end == -1 else line_end
        if allergy_certainty(note.text, ent, (line_start, line_end)).assertion != "present":
            # "? amoxicillin reaction vs viral rash", "sulfa allergy not confirmed": the
            # note wonders about it; a handoff listing it asserts an allergy nobody found.
            continue
        m = _REACTION.match(note.text, ent.end)
        reaction = (m.group(1) or m.group(2)).strip() if m else None
        end = m.end() if m else ent.end
        out.append(TimelineItem(kind="allergy", text=ent.text, detail=reaction,
                                citations=[Citation(note_id=note.note_id, start=ent.start,
                                                    end=end)]))
    return out


def _cite(note: Note, a: int, b: int) -> list[Citation]:
    return [Citation(note_id=note.note_id, start=a, end=b)]


def _line_items(note: Note, ext: NoteExtraction | None, rules: Rules) -> list[TimelineItem]:
    """Allergy 'none' statements, pending results, to-dos and code status of one note."""
    out: list[TimelineItem] = []
    text = note.text
    layout = note_layout(note, ext, rules.headers)
    for piece in layout.lines:
        line = text[piece.start:piece.end]
        if piece.section == "ALLERGIES" or line.lower().startswith("allergies"):
            for m in rules.cues.find("allergy_none", text, piece.start, piece.end)[:1]:
                out.append(TimelineItem(kind="allergy", text="No known drug allergies",
                                        citations=_cite(note, m.start, m.end)))
        # A line telling a change ("full code on admission ... Discharge code status:
        # DNR/DNI") ends with the status now; one it changed from ("DNR/DNI (changed from
        # full code)") is not.
        said = [c for c in rules.cues.find("code_status", text, piece.start, piece.end)
                if not _CHANGED_FROM.search(text, max(piece.start, c.start - 20), c.start)]
        for cue in said[-1:]:
            out.append(TimelineItem(kind="code_status", text=_CODE_STATUS_TEXT[cue.label],
                                    detail=cue.label, citations=_cite(note, cue.start,
                                                                      cue.end)))
        for a, b in layout.sentences_in(piece.start, piece.end):
            pending = rules.cues.find("pending", text, a, b)
            if pending or piece.section == "PENDING_RESULTS":
                none = any(c.label == "none" for c in pending)
                out.append(TimelineItem(kind="pending", text=text[a:b],
                                        detail="none" if none else None,
                                        citations=_cite(note, a, b)))
            elif rules.roles.has(piece.section, "todo") and (
                    rules.cues.find("todo", text, a, b)
                    or (piece.section == "FOLLOW_UP" and text[piece.start] in "-*•")):
                out.append(TimelineItem(kind="todo", text=text[a:b],
                                        detail=piece.section, citations=_cite(note, a, b)))
    return out


def build_items(notes: list[Note], extractions: dict[str, NoteExtraction],
                rules: Rules) -> list[TimelineItem]:
    """Allergies (deduplicated by substance), pending results, to-dos, code status and
    family history, in note order."""
    out: list[TimelineItem] = []
    seen_allergy: set[str] = set()
    listed_at: dict[str, int] = {}
    for note in notes:
        ext = extractions.get(note.note_id)
        for item in _allergies(note, ext):
            key = _ALLERGEN_KEY.get(item.text.lower().split()[0], item.text.lower().split()[0])
            if key not in seen_allergy:
                seen_allergy.add(key)
                listed_at[key] = len(out)
                out.append(item)
            elif key in listed_at:
                # The same allergy listed again in a later note (the discharge summary's
                # list): the item cites that list too, where a reader checks it at the end
                # of the stay, not only the admission note that first listed it.
                first = out[listed_at[key]]
                if not any(c.note_id == note.note_id for c in first.citations):
                    out[listed_at[key]] = first.model_copy(update={
                        "citations": [*first.citations, *item.citations],
                        "detail": first.detail or item.detail})
        for item in _line_items(note, ext, rules):
            if item.kind == "allergy":
                if item.text.lower() in seen_allergy:
                    continue
                seen_allergy.add(item.text.lower())
            out.append(item)
        for ent in (ext.entities if ext else []):
            if ent.type == "PROBLEM" and ent.assertion == "family":
                out.append(TimelineItem(kind="family_history", text=ent.text,
                                        detail="family history",
                                        citations=_cite(note, ent.start, ent.end)))
    return out
