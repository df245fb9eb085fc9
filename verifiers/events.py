"""Claims, not mentions: what a statement says HAPPENED to a drug, problem, procedure or
test, checked against the patient's timeline and mentions.

A statement's event words (cue kind ``claim_event`` of ``agent/rules/cues.json``: started,
stopped, held, resumed, increased, decreased, continued / remains / at discharge, given /
underwent, developed, ruled out, resolved, planned, pending) bind to the nearest claim of
their clause that such an event can happen to. Each bound event needs its own evidence:

- backed by the timeline or the mentions -> the claim part is supported;
- the notes say otherwise (held then resumed, only planned, ruled out, the dose went the
  other way, a single dose) -> CONTRADICTED with a reason a clinician reads;
- nothing either way -> UNSUPPORTED: the drug or problem is in the notes but not the event.

A mention of the concept alone never makes an event SUPPORTED (a false "verified" is worse
than "not checked").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.schemas.extraction import Entity
from agent.schemas.layout import NoteLayout
from agent.schemas.summary import MedicationTrack, ProblemTrack
from agent.schemas.summary_rules import CueSet
from verifiers.checks import Findings, latest
from verifiers.claims import FREQUENCY_SYNONYMS, Mention, amount_of, attr_value, parse_amount

Track = MedicationTrack | ProblemTrack
# What may stand between two items of one list: commas, slashes, "and", "or" (a shape).
COORDINATION = re.compile(r"[\s,/&+]*(?:(?:and|or|nor|plus)[\s,/&+]*)?", re.IGNORECASE)
TrackLookup = Callable[[Entity], Track | None]
# "Blood cultures pending" is the test's; in "the glucose monitor has not been started yet
# because insurance approval is pending" the pending thing is another noun: a test's
# "pending" must stand within a few words of it.
_PENDING_REACH = 30

# Which events each kind of claim can undergo (an event word binds to the nearest claim
# it applies to: in "apixaban started for AF", "started" is the drug's).
APPLIES = {
    "MEDICATION": {"started", "stopped", "held", "resumed", "increased", "decreased",
                   "continued", "given", "planned"},
    "PROBLEM": {"developed", "ruled_out", "resolved", "continued"},
    "PROCEDURE": {"given", "started", "planned", "continued", "stopped", "removed", "not_yet"},
    "TEST": {"given", "planned", "pending", "not_yet"},
}


def bind_events(claims: list[Entity], text: str, layout: NoteLayout,
                cues: CueSet) -> tuple[dict[int, set[str]], list[str]]:
    """Claim index -> the event labels of its clause bound to it, and the event words that
    bind to no claim (the statement says something the verifier cannot check)."""
    out: dict[int, set[str]] = {i: set() for i in range(len(claims))}
    unbound: list[str] = []
    seen: set[tuple[int, int]] = set()
    for claim in claims:
        clause = layout.clause_around(claim.start, claim.end)
        if clause in seen:
            continue
        seen.add(clause)
        here = [i for i, c in enumerate(claims)
                if clause[0] <= c.start and c.end <= clause[1]]
        for cue in cues.find("claim_event", text, *clause):
            if cues.denied_at(text, cue.start):
                continue  # "not given", "never started": a denied event, not a claim of one
            able = [i for i in here if cue.label in APPLIES.get(claims[i].type, set())
                    and (cue.label != "pending" or _gap(cue, claims[i]) <= _PENDING_REACH)]
            if not able:
                unbound.append(text[cue.start:cue.end])
                continue
            # "Baseline PFTs for amiodarone were done": a claim in a prepositional phrase
            # is not the verb's subject while another claim of the clause can be.
            heads = [i for i in able if cue.label not in _DONE_LABELS
                     or claims[i].end > cue.start or not _PREPOSITION_BEFORE.search(
                         text, max(0, claims[i].start - 6), claims[i].start)] or able
            nearest = min(heads, key=lambda i: min(abs(cue.start - claims[i].end),
                                                   abs(claims[i].start - cue.end)))
            # "Azithromycin was added to ceftriaxone": a passive verb's subject stands
            # right before its auxiliary; the claim after "to" is not what was added.
            subject = [i for i in able if claims[i].end <= cue.start
                       and _PASSIVE_GAP.fullmatch(text, claims[i].end, cue.start)]
            if subject and claims[nearest].start >= cue.end:
                nearest = subject[-1]
            out[nearest].add(cue.label)
            # "continues ceftriaxone and metronidazole": a coordinated list shares it.
            for i in able:
                if i != nearest and _coordinated(text, claims[i], claims[nearest], claims):
                    out[i].add(cue.label)
    return out, unbound


# Changes a statement can give as still to come ("will be resumed", "is to be started",
# "plan to increase").
_CHANGES = frozenset({"started", "stopped", "resumed", "increased", "decreased"})
_FUTURE_BEFORE = re.compile(r"\b(?:will|shall|to|going to|plan(?:s|ned)? to|is to|are to)\s+"
                            r"(?:(?:then|later|eventually|likely|probably)\s+)?(?:be\s+)?$",
                            re.IGNORECASE)


def future_changes(claims: list[Entity], text: str, layout: NoteLayout, cues: CueSet,
                   events: dict[int, set[str]]) -> dict[int, set[str]]:
    """Claim index -> the change events of its clause the statement gives as still to come
    ("Apixaban will be resumed after discharge": resumed, but not yet)."""
    out: dict[int, set[str]] = {i: set() for i in range(len(claims))}
    for i, claim in enumerate(claims):
        lo, hi = layout.clause_around(claim.start, claim.end)
        for cue in cues.find("claim_event", text, lo, hi):
            if cue.label in _CHANGES and cue.label in events.get(i, ()) and \
                    _FUTURE_BEFORE.search(text, max(lo, cue.start - 30), cue.start):
                out[i].add(cue.label)
    return out


_DONE_LABELS = frozenset({"given", "pending", "planned"})
_PASSIVE_GAP = re.compile(r"\s+(?:(?:was|were|is|are|has been|have been|had been)\s+)"
                          r"(?:\w+ly\s+)?", re.IGNORECASE)
_PREPOSITION_BEFORE = re.compile(r"\b(?:for|of|with|from)\s+$", re.IGNORECASE)


def _gap(cue, claim: Entity) -> int:
    return max(cue.start - claim.end, claim.start - cue.end, 0)


def _coordinated(text: str, a: Entity, b: Entity, claims: list[Entity]) -> bool:
    """Whether two claims stand in one list ("A and B", "A, B or C"): only other claims,
    commas, slashes and conjunctions lie between them."""
    lo, hi = (a.end, b.start) if a.end <= b.start else (b.end, a.start)
    gap = text[lo:hi]
    for c in claims:
        if lo <= c.start and c.end <= hi:
            gap = gap.replace(c.text, " ")
    return COORDINATION.fullmatch(gap) is not None


def _has(track: Track | None, change: str) -> bool:
    return track is not None and any(e.change == change for e in track.events)


# "20 mg/kg", "375 mg/m2", "90 mg/kg/day": a dose by weight, area or day is no amount to
# weigh against a plain "40.5 mg" (20 mg/kg for 14 kg is 280 mg).
_PER_UNIT = re.compile(r"\d\s*[a-zA-Zµ]+\s*/\s*(?:kg|m2|m²|day|d|h|hr|dose)\b", re.IGNORECASE)


def _direction(detail: str | None) -> str | None:
    """'6.25 mg oral BID -> 12.5 mg BID' -> 'increased' (amounts compared), else None."""
    if not detail or "->" not in detail:
        return None
    if any(_PER_UNIT.search(x) for x in detail.split("->", 1)):
        return None
    before, after = (parse_amount(x) for x in detail.split("->", 1))
    if before is None or after is None or before[1] != after[1] or before[0] == after[0]:
        return None
    return "increased" if after[0] > before[0] else "decreased"


def check_drug_events(claim: Entity, events: set[str], track: Track | None,
                      meds: list[Mention], res: Findings, *, at_discharge: bool = False,
                      future: frozenset[str] | set[str] = frozenset(),
                      ahead: bool = False) -> None:
    """Each event a statement gives a drug, against its timeline track and mentions.
    ``at_discharge``: the statement speaks of what the patient goes home on; ``future``:
    the change events it gives as still to come (:func:`future_changes`); ``ahead``: it
    gives its plan as still open ("is planned", "will"), not as a past decision."""
    name = claim.text
    status = track.status if isinstance(track, MedicationTrack) else None
    cite = [latest(meds)] if meds else []
    if future:
        _check_future_changes(claim, future, track, meds, res)
        events = events - future - {"planned"}
    if events & {"started", "stopped", "resumed", "increased", "decreased"}:
        # "stopped; a pen is kept at home", "increased, continues": the change is the claim.
        events = events - {"continued"}
    if "resumed" in events and "continued" in events:
        # "held, resumed, and remains at 81 mg": taken now.
        events = events - {"held"}
    if {"held", "continued"} <= events:
        # "remains on hold": held now.
        events = events - {"held", "continued"}
        if status == "held":
            res.support(cite)
        elif _has(track, "held") and status == "active":
            res.contradict("wrong_time", f"source: {name} was held, then resumed; statement "
                           "gives it as still on hold", cite)
        elif status == "stopped":
            res.contradict("wrong_time", f"source: {name} was stopped; statement gives it "
                           "as on hold", cite)
        else:
            res.unsupported.append(f"{name} on hold (no note says it is held now)")
    never = _never_taken(track)
    for event in sorted(events):
        if event in ("started", "given") and never is not None:
            # Every note names the drug only as planned, deferred or not given.
            reason = "planned_as_done" if never == "planned" else "event_contradicted"
            said = "only planned or recommended" if never == "planned" else "not given"
            res.contradict(reason, f"source: {name} was {said}; statement says it was "
                           f"{'started' if event == 'started' else 'given'}", cite)
        elif event in ("started", "resumed") and (
                wrong := _wrong_event_dose(claim, event, track)) is not False:
            doses = " or ".join(sorted(_event_doses(track, event, text=True)))
            if wrong is None:
                res.unsupported.append(f"{name} {event} at the stated dose (the notes give "
                                       f"{doses}, a dose by weight)")
            else:
                res.contradict("wrong_dose", f"source: {name} was {event} at {doses}; "
                               f"statement gives another dose", cite)
        elif event == "started":
            if _has(track, "started") or _has(track, "resumed"):
                res.support(cite)
            elif meds and all(m.entity.assertion in ("hypothetical", "possible") for m in meds):
                res.contradict("planned_as_done", f"source: {name} is only planned or "
                               "recommended; statement says it was started", cite)
            else:
                res.unsupported.append(f"{name} started (no note says it was started)")
        elif event == "stopped":
            if status == "held" and not any(m.status == "stopped" and m.order == latest(
                    meds).order for m in meds):
                # On hold at the last note: a stop word earlier ("continue to hold; avoid
                # antipsychotics") does not make it discontinued now.
                res.unsupported.append(f"{name} stopped (the notes give it as on hold)")
            elif status == "stopped" or _has(track, "stopped"):
                res.support(cite)
            elif _has(track, "held") and status == "active":
                res.contradict("event_contradicted", f"source: {name} was held and resumed, "
                               "not stopped", cite)
            else:
                res.unsupported.append(f"{name} stopped (no note says it was stopped)")
        elif event == "held":
            if _has(track, "held") or status == "held":
                res.support(cite)
            else:
                res.unsupported.append(f"{name} held (no note says it was held)")
        elif event == "resumed":
            if _has(track, "resumed"):
                res.support(cite)
            else:
                res.unsupported.append(f"{name} resumed (no note says it was resumed)")
        elif event in ("increased", "decreased"):
            found = [_direction(e.detail) for e in (track.events if track else [])
                     if e.change == "dose_changed"]
            directions = set(found) - {None}
            if event in directions:
                res.support(cite)
            elif directions and None in found:
                # A change whose amounts the notes do not give ("increase tacrolimus" with
                # the new dose elsewhere) may be the one the statement tells: the other
                # direction seen elsewhere does not deny it.
                res.unsupported.append(f"{name} {event} (the notes give a change of unknown "
                                       f"direction and one {' and '.join(sorted(directions))})")
            elif directions:
                res.contradict("wrong_direction", f"source: the {name} dose was "
                               f"{' and '.join(sorted(directions))}; statement: {event}", cite)
            else:
                res.unsupported.append(f"{name} {event} (no note gives that dose change)")
        elif event == "continued":
            if at_discharge and isinstance(track, MedicationTrack) \
                    and track.on_discharge_list is False:
                res.contradict("event_contradicted", f"source: {name} is not on the "
                               "discharge medication list", cite)
            elif status == "active":
                res.support(cite)
            elif status == "held":
                res.contradict("wrong_time", f"source: {name} is on hold; statement gives "
                               "it as continued", cite)
            elif status == "stopped":
                res.contradict("stopped_drug_as_current", f"source: {name} was stopped; "
                               "statement gives it as current", cite)
            elif track is not None and any(e.detail == "single dose" for e in track.events):
                res.contradict("event_contradicted", f"source: {name} was a single dose, "
                               "not continued", cite)
            else:
                res.unsupported.append(f"{name} continued (no note gives it as current)")
        elif event == "given":
            freq = claim.attributes.get("frequency")
            schedule = (freq.value or freq.text).upper() if freq else None
            if schedule and schedule != "ONCE" and track is not None and any(
                    e.detail == "single dose" for e in track.events) and not any(
                    e.change in ("started", "continued", "resumed") for e in track.events):
                res.contradict("wrong_frequency", f"source: {name} was a single dose; "
                               f"statement gives it {freq.text}", cite)
            else:
                _given(name, meds, res)
        elif event == "planned":
            done = _done_after_plan(meds) if ahead else None
            if done is not None:
                res.contradict("event_contradicted", f"source ({done.note_id}): {name} was "
                               "given after it was planned; statement gives it as still "
                               "planned", [done])
            elif any(m.entity.assertion in ("hypothetical", "possible") for m in meds) or (
                    track is not None and any(e.detail == "planned or conditional"
                                              for e in track.events)):
                res.support(cite)
            else:
                res.unsupported.append(f"{name} planned (no note gives it as planned)")


def _check_future_changes(claim: Entity, future: set[str] | frozenset[str],
                          track: Track | None, meds: list[Mention], res: Findings) -> None:
    """"Lisinopril will be restarted at 10 mg": a change still to come. The notes recording
    it already done (resumed, started, stopped, the dose already changed that way) make it
    a deed given as pending; a plan in the notes backs it; else it is unconfirmed."""
    name = claim.text
    status = track.status if isinstance(track, MedicationTrack) else None
    cite = [latest(meds)] if meds else []
    wanted = amount_of(claim)
    now = parse_amount(track.dose) if isinstance(track, MedicationTrack) and track.dose \
        else None
    for event in sorted(future):
        if event in ("increased", "decreased"):
            directions = {_direction(e.detail) for e in (track.events if track else [])
                          if e.change == "dose_changed"} - {None}
            done = event in directions and status == "active" and (
                wanted is None or now is None or wanted == now)
        elif event == "started":
            done = status == "active" and (_has(track, "started") or _has(track, "resumed"))
        elif event == "resumed":
            done = status == "active" and _has(track, "resumed")
        else:  # stopped
            done = status == "stopped"
        if done:
            res.contradict("event_contradicted", f"source: {name} was already {event}; "
                           "statement gives it as still to come", cite)
        elif any(m.entity.assertion in ("hypothetical", "possible") or m.is_planned
                 for m in meds) or (track is not None and any(
                e.detail == "planned or conditional" for e in track.events)):
            res.support(cite)
        else:
            res.unsupported.append(f"{name} to be {event} (no note plans it)")


# A plan given as still open: "is planned", "are scheduled", "remains due" (the modal
# verbs come from the cue file's statement_scope/modal).
STILL_PLANNED = re.compile(r"\b(?:is|are|remains?|still) (?:planned|scheduled|pending|due|"
                           r"to be (?:done|given|started|placed|scheduled))\b", re.IGNORECASE)


def _done_after_plan(mentions: list[Mention]) -> Mention | None:
    """The latest mention giving it as done, in a note after the last one that plans it
    ("tPA/DNase per protocol" in the consult, "doses #1-3 given" two days later): the plan
    was carried out. None when no plan came first or nothing was done after it."""
    plans = [m for m in mentions
             if m.entity.assertion in ("hypothetical", "possible") or m.is_planned]
    if not plans:
        return None
    last_plan = max(m.order for m in plans)
    done = [m for m in mentions if m.order > last_plan and m.entity.assertion == "present"
            and not m.is_planned and not m.is_removed and m.status not in ("held", "stopped")]
    return latest(done) if done else None


def _event_doses(track: Track | None, change: str, *, text: bool = False) -> set:
    """The amounts a drug had when its track records ``change`` (the new amount of an
    arrow): parsed, or as written with ``text``."""
    out: set = set()
    events = track.events if isinstance(track, MedicationTrack) else []
    # "DECREASED from 10 mg (held 9/1-9/3, resumed 9/4)": the note that resumes a drug at
    # a new dose records the resumption and the dose change apart.
    notes = {e.note_id for e in events if e.change == change}
    for e in events:
        if not e.detail or not (e.change == change or (
                e.change == "dose_changed" and e.note_id in notes and "->" in e.detail)):
            continue
        written = e.detail.split("->")[-1].strip()
        amount = parse_amount(written)
        if amount is not None:
            out.add(written.split(" oral")[0].split(" IV")[0] if text else amount)
    return out


_PER_WEIGHT = re.compile(r"/\s*(?:kg|m2|m²)\b", re.IGNORECASE)


def _wrong_event_dose(claim: Entity, event: str, track: Track | None) -> bool | None:
    """"Lamotrigine was started at 50 mg" when every start the notes record was at 25 mg:
    the dose a statement binds to an event must be the dose of that event. None when the
    notes give that event's dose only per kilogram or m2 and the statement an absolute
    one (or the other way round): not comparable without the weight."""
    wanted = amount_of(claim)
    written = _event_doses(track, event, text=True)
    if wanted is None or not written:
        return False
    # "prednisone 1 mg/kg (70 mg)": only doses of the claim's own kind count.
    per_weight = any(_PER_WEIGHT.search(a.text) for n, a in claim.attributes.items()
                     if n in ("strength", "dose"))
    have = {parse_amount(w) for w in written
            if bool(_PER_WEIGHT.search(w)) == per_weight} - {None}
    if not have:
        return None
    # "started at 4 units" against a note that wrote "glargine 4" (no unit): the number
    # is what can be compared.
    return not any(wanted == h or (not h[1] or not wanted[1]) and wanted[0] == h[0]
                   for h in have)


_NOT_TAKEN = {"not given": "not_given", "not started": "not_given",
              "planned or conditional": "planned",
              "instruction or follow-up": "planned"}


def _never_taken(track: Track | None) -> str | None:
    """``not_given`` / ``planned`` when every event of a drug's track names it without
    giving it (denied, planned, in the follow-up), else None."""
    if not isinstance(track, MedicationTrack) or not track.events or any(
            e.change != "mentioned" or e.detail not in _NOT_TAKEN for e in track.events):
        return None
    kinds = {_NOT_TAKEN[e.detail] for e in track.events}
    return "not_given" if "not_given" in kinds else "planned"


def _given(name: str, scope: list[Mention], res: Findings) -> None:
    # Done now, not only named in the history ("colonoscopy 2019" is not "performed
    # during this admission"); a history mention leaves the statement unsupported.
    done = [m for m in scope if m.entity.assertion == "present" and not m.is_planned]
    last = latest(scope) if scope else None
    if done and last is not None and last.entity.assertion == "absent" \
            and last.order > latest(done).order:
        # "VATS decortication?" early, "No VATS" in the discharge summary: a later note
        # says it was not done, so an earlier mention does not make it a deed.
        res.unsupported.append(f"{name} (a later note, {last.note_id}, says it was not "
                               "done)")
    elif done:
        res.support(done)
    elif scope and all(m.entity.assertion in ("hypothetical", "possible") or m.is_planned
                       for m in scope if m.entity.assertion != "absent") and any(
            m.entity.assertion != "absent" for m in scope):
        res.contradict("planned_as_done", f"source: {name} was only planned, recommended "
                       "or discussed; statement says it was done", [latest(scope)])
    elif scope and all(m.entity.assertion == "absent" for m in scope):
        res.contradict("event_contradicted", f"source: {name} was not done or not given",
                       [latest(scope)])
    else:
        res.unsupported.append(f"{name} (no note says it was done or given)")


def check_problem_events(claim: Entity, events: set[str], track: Track | None,
                         every: list[Mention], res: Findings) -> None:
    """Each event a statement gives a problem, against its track and mentions."""
    name = claim.text
    status = track.status if isinstance(track, ProblemTrack) else None
    own = [m for m in every if m.entity.assertion != "family"]
    cite = [latest(own)] if own else []
    for event in sorted(events):
        if event == "developed":
            present = [m for m in own if m.entity.assertion == "present"
                       and not m.is_ruled_out]
            if status == "ruled_out" or (own and all(m.is_ruled_out for m in own)):
                res.contradict("event_contradicted", f"source: {name} was ruled out; "
                               "statement says it developed", cite)
            elif present:
                res.support(present)
            elif own and all(m.entity.assertion == "possible" for m in own):
                res.contradict("wrong_certainty", f"source: {name} was only suspected; "
                               "statement gives it as established", cite)
            else:
                res.unsupported.append(f"{name} developed (no note says it developed)")
        elif event == "resolved":
            present = [m for m in own if m.entity.assertion == "present"
                       and not m.is_ruled_out]
            denied_later = [m for m in own if m.entity.assertion == "absent"
                            and present and m.order > max(p.order for p in present)]
            if status == "resolved" or any(m.temporal == "past" for m in own):
                res.support(cite)
            elif denied_later and not any(m.is_ruled_out for m in denied_later):
                # "+ SI with plan" on admission, "denies SI" from 5/21: present, then gone;
                # the timeline's "ruled out" is the later denial, not "never present".
                res.support([latest(present), latest(denied_later)])
            elif status == "ruled_out":
                res.contradict("event_contradicted", f"source: {name} was considered and "
                               "ruled out, never present; statement says it resolved", cite)
            else:
                res.unsupported.append(f"{name} resolved (no note says it resolved)")
        elif event == "ruled_out":
            if status == "ruled_out" or any(m.is_ruled_out for m in own):
                res.support(cite)
            # A present diagnosis stated as ruled out is caught by the assertion check.
        elif event == "continued":
            last = [m for m in own if own and m.order == latest(own).order]
            if status == "active" and any(m.temporal == "past" for m in last):
                # "remains in AF" when the latest note gives it as ended ("sinus since
                # 10/8") beside its history: not confirmed as ongoing.
                res.unsupported.append(f"{name} ongoing (the latest note, "
                                       f"{last[0].note_id}, gives it as ended)")
            elif status == "active":
                res.support(cite)
            elif status == "resolved":
                res.contradict("wrong_time", f"source: {name} resolved; statement gives it "
                               "as ongoing", cite)
            elif status != "ruled_out":
                res.unsupported.append(f"{name} ongoing (no note gives it as active now)")


def check_other_events(claim: Entity, events: set[str], scope: list[Mention],
                       every: list[Mention], last_note: str | None, res: Findings,
                       pending: list[str] | None = None, *, ahead: bool = False) -> None:
    """Events of procedures, devices and tests: done, planned, still in place, pending.

    ``pending`` holds the timeline's pending-result sentences (lower case); ``ahead``: the
    statement gives its plan as still open ("is planned", "will be done")."""
    name = claim.text
    listed = any(re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", p)
                 for p in pending or [])
    if "not_yet" in events:
        # "still has to be placed": the verb names what is still to come, not a deed.
        events = events - {"given", "started"}
    for event in sorted(events):
        if event in ("given", "started"):
            _given(name, scope or every, res)
        elif event == "planned":
            planned = [m for m in every
                       if m.entity.assertion in ("hypothetical", "possible") or m.is_planned]
            done = _done_after_plan(every) if ahead else None
            if done is not None:
                res.contradict("event_contradicted", f"source ({done.note_id}): {name} was "
                               "done after it was planned; statement gives it as still "
                               "planned", [done])
            elif planned:
                res.support(planned[:1])
            else:
                res.unsupported.append(f"{name} planned (no note gives it as planned)")
        elif event == "continued":
            # "remains intubated": true only if the last note still has it in place.
            # A mention its clause removes or stops counts whatever its assertion: "The
            # wound VAC came off 8/5" is the device's last word even when read as absent.
            at_last = sorted((m for m in every if m.note_id == last_note
                              and (m.entity.assertion == "present" or m.is_removed)),
                             key=lambda m: m.entity.start)
            now = [m for m in at_last if not m.is_removed]
            if at_last and at_last[-1].is_removed:
                # The last note's last word on it stops or removes it ("Stopped before
                # discharge: ... IV fluids" after the course told how they ran).
                res.contradict("wrong_time", f"source ({last_note}): {name} was stopped or "
                               "removed; statement gives it as still going on",
                               at_last[-1:])
            elif now:
                res.support(now)
            else:
                res.unsupported.append(f"{name} still in place (the last note does not "
                                       "say so)")
        elif event == "pending":
            valued = [m for m in every if m.entity.attributes.get("value") is not None]
            last = latest(valued) if valued else None
            value = (last.entity.attributes["value"].text.lower() if last else "")
            waits = [m for m in every if m.is_pending]
            back = [m for m in every if m.is_resulted]
            if last is not None and not listed and "pending" not in value \
                    and "sent" not in value:
                res.contradict("event_contradicted", f"source ({last.note_id}): {name} "
                               f"resulted ({last.entity.attributes['value'].text}); "
                               "statement gives it as pending", [last])
            elif waits and back and latest(back).order > latest(waits).order:
                # "Blood cultures x2 pending" on admission, "no growth (final)" at
                # discharge: it came back after the notes last gave it as pending.
                res.contradict("event_contradicted", f"source ({latest(back).note_id}): "
                               f"{name} resulted after it was pending; statement gives it as "
                               "still pending", [latest(back)])
            elif listed or last is not None or any(m.entity.assertion == "hypothetical"
                                                   for m in every):
                res.support([last] if last else every[:1])
            else:
                res.unsupported.append(f"{name} pending (no note says it is pending)")
        elif event == "not_yet":
            # "A PICC still has to be placed": any note recording it done says otherwise.
            done = [m for m in every if m.entity.assertion == "present"
                    and not m.is_planned and not m.is_removed]
            planned = [m for m in every
                       if m.entity.assertion in ("hypothetical", "possible") or m.is_planned]
            if done:
                last = latest(done)
                res.contradict("event_contradicted", f"source ({last.note_id}): {name} was "
                               "done; statement gives it as still to be done", [last])
            elif planned:
                res.support(planned[-1:])
            else:
                res.unsupported.append(f"{name} still to be done (no note plans it)")
        elif event in ("stopped", "removed"):
            # A removal is an event the notes record ("JP removed 4/11"); a note that only
            # gives the device as placed neither confirms nor denies it.
            removed = [m for m in every if m.is_removed]
            if removed:
                res.support(removed[-1:])
            else:
                res.unsupported.append(f"{name} stopped or removed (no note says so)")


def check_current_regimen(claim: Entity, track: Track | None, meds: list[Mention],
                          res: Findings) -> None:
    """A drug given as taken now must have the regimen the timeline holds now: a dose or
    frequency from an earlier note (the pre-admission list, before a change) is wrong."""
    if not isinstance(track, MedicationTrack) or track.status != "active":
        return
    wanted = amount_of(claim)
    # A concentration ("100 units/mL") is the product, not the amount taken.
    now = parse_amount(track.dose) if track.dose and "/" not in track.dose else None
    if wanted is not None and now is not None and wanted[1] == now[1] and wanted != now:
        older = [m for m in meds if amount_of(m.entity) == wanted]
        if older:
            res.contradict("wrong_dose", f"source: {claim.text} is now {track.dose} "
                           f"({latest(older).note_id} gave the earlier dose); statement: "
                           f"the earlier dose", [latest(older)])
    said = attr_value(claim, "frequency")
    if said and track.frequency:
        current = track.frequency.upper()
        current = FREQUENCY_SYNONYMS.get(current, current)
        older = [m for m in meds if attr_value(m.entity, "frequency") == said]
        if said != current and older:
            res.contradict("wrong_frequency", f"source: {claim.text} is now {track.frequency} "
                           f"({latest(older).note_id} gave the earlier schedule)",
                           [latest(older)])
