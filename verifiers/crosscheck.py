"""The verifier: every summary statement checked against its cited spans and the notes.

A statement is split into claims by the deterministic extractor (problems with their
assertion, drugs with strength/route/frequency, tests with their value). Each claim is
compared with the entities of the cited spans; when the statement cites nothing, or the
cited spans do not mention the claim's concept, with every mention of the concept in the
patient's notes. The verdict is

- ``CONTRADICTED`` with reason codes (:data:`agent.schemas.verification.ContradictionReason`)
  when a source mention conflicts with a claim;
- ``UNSUPPORTED`` when at least one claim is found nowhere in the patient's notes;
- ``SUPPORTED`` when every claim is found and agrees;
- ``NOT_CHECKABLE`` when the statement holds no checkable entity.

Nothing is removed: the verdict is attached to the statement. Omissions (timeline facts no
statement mentions) are in :mod:`verifiers.omissions`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date
from functools import cached_property

from agent.errors import VerificationError
from agent.schemas.extraction import Entity, Extractor, NoteExtraction
from agent.schemas.layout import NoteLayout
from agent.schemas.notes import Note, sort_notes
from agent.schemas.summary import (
    Citation,
    HandoffSummary,
    MedicationTrack,
    PatientTimeline,
    Statement,
)
from agent.schemas.summary_rules import CueSet, SectionRoles
from agent.schemas.verification import Verification
from verifiers.causes import check_cause
from verifiers.checks import (
    Findings,
    StatusLookup,
    check_code_status,
    check_drug,
    check_problem,
    check_test,
    latest,
)
from verifiers.claims import (
    CHECKED_TYPES,
    DENIAL_BEFORE,
    FREQUENCY_SYNONYMS,
    RELATIVE_WORDS,
    REPEAT_BEFORE,
    RESULT_WORDS,
    Mention,
    allergy_certainty,
    drug_status,
    make_mentions,
    names,
    parse_amount,
    same_concept,
    with_clause_dose,
    work_up_reason,
)
from verifiers.coverage import (
    denied_spans,
    gate,
    hedged_spans,
    numbers,
    plain_words,
    unchecked_words,
    word_stem,
    word_stems,
)
from verifiers.events import (
    STILL_PLANNED,
    Track,
    TrackLookup,
    bind_events,
    check_current_regimen,
    check_drug_events,
    check_other_events,
    check_problem_events,
    future_changes,
)
from verifiers.omissions import find_omissions
from verifiers.reasons import check_reasons, reason_facts

logger = logging.getLogger(__name__)

# A sentence naming a relative speaks of the relative ("her daughter has lupus"); so does one
# naming an exposure contact ("his roommate had an MRSA abscess").
_RELATIVE = re.compile(r"\b(?:mother|father|sister|brother|daughter|son|aunt|uncle|cousin|"
                       r"grand(?:mother|father|son|daughter)|sibling|niece|nephew|parent|"
                       r"roommate|housemate|cellmate|coworker|classmate)s?\b",
                       re.IGNORECASE)


class PatientEvidence:
    """A patient's notes and extractions, indexed as mentions for checking statements.

    Built once per patient (``agent.patient.PatientRecord.evidence``) and reused for every
    statement, handoff and chat alike.

    Args:
        notes: the patient's notes.
        extractions: their extractions, each with its layout.
        cues: the cue rules (the timeline's).
        roles: the section roles (which sections speak of what is still to come).

    Raises:
        VerificationError: a note has no extraction or no layout.
    """

    def __init__(self, notes: list[Note], extractions: list[NoteExtraction],
                 cues: CueSet, roles: SectionRoles | None = None) -> None:
        by_id = {e.note_id: e for e in extractions}
        missing = sorted({n.note_id for n in notes} - set(by_id))
        if missing:
            raise VerificationError(
                f"{len(missing)} note(s) have no extraction; extract every note of the "
                "patient (clinagent extract) before verifying")
        if any(by_id[n.note_id].layout is None for n in notes):
            raise VerificationError(
                "an extraction has no layout; prepare the patient with "
                "agent.patient.PatientRecord.prepare (it lays out every note)")
        self.notes = {n.note_id: n for n in notes}
        self.layouts = {n.note_id: by_id[n.note_id].layout for n in notes}
        self.cues = cues
        self.future = roles.sections("future") if roles else frozenset()
        self.mentions: list[Mention] = []
        self.by_note: dict[str, list[Mention]] = {}
        # The one note order (agent.schemas.notes.sort_notes): "latest" is the same note
        # for the verifier, the timeline and the store.
        for order, note in enumerate(sort_notes(notes)):
            ext = by_id[note.note_id]
            found = make_mentions(note.note_id, note.date, order, note.text, ext.entities,
                                  cues, ext.layout,
                                  roles.sections("future") if roles else frozenset())
            self.by_note[note.note_id] = found
            self.mentions.extend(found)
        # Drug reasons the notes state (stopped for, held for, given for): what a
        # statement's own "because of" / "for" is checked against.
        self.reasons = reason_facts([by_id[n.note_id] for n in notes])

    @cached_property
    def word_stems(self) -> set[str]:
        """Stems of every word of the patient's notes (the coverage gate's vocabulary)."""
        return word_stems(n.text for n in self.notes.values())

    @cached_property
    def denied(self) -> dict[str, list[tuple[int, int]]]:
        """Per note, the stretches a denial word reaches ("No active bleeding")."""
        return {note_id: denied_spans(note.text, 0, len(note.text), self.cues,
                                      self.layouts[note_id])
                for note_id, note in self.notes.items()}

    @cached_property
    def affirmed_stems(self) -> set[str]:
        """Stems of the words of the patient's notes outside a denial's reach ("denies
        mouth sores" gives neither "mouth" nor "sores")."""
        out: set[str] = set()
        for note_id, note in self.notes.items():
            layout = self.layouts[note_id]
            denied = list(self.denied[note_id])
            # A relative's history is not the patient's ("Daughter BRCA2 mutation carrier");
            # the sentence, not the section: a header the rules do not know keeps the
            # family-history section for the lines after it ("Wound: groin site clean").
            denied += [(s.start, s.end) for s in layout.sentences
                       if _RELATIVE.search(note.text, s.start, s.end)]
            out |= plain_words(note.text, 0, len(note.text), denied)
        return out

    @cached_property
    def certain_stems(self) -> set[str]:
        """Stems of the words of the patient's notes outside a denial's or a hedge's reach
        and a relative's sentence ("murmur likely transitional (PDA/PFO)" gives no "PDA")."""
        out: set[str] = set()
        for note_id, note in self.notes.items():
            layout = self.layouts[note_id]
            skip = list(self.denied[note_id])
            skip += hedged_spans(note.text, 0, len(note.text), layout)
            skip += [(s.start, s.end) for s in layout.sentences
                     if _RELATIVE.search(note.text, s.start, s.end)]
            out |= plain_words(note.text, 0, len(note.text), skip)
        return out

    @cached_property
    def done_stems(self) -> set[str]:
        """Stems of the words of the sentences that tell what was done: not a plan, a
        request, a question, a condition, a denial or a follow-up ("parents ask for
        circumcision", "Not done: circumcision - deferred", "Outpatient urology for
        circumcision" give none). A deed the extractor cannot name ("he was circumcised")
        is checked against these."""
        out: set[str] = set()
        for note_id, note in self.notes.items():
            layout = self.layouts[note_id]
            text = note.text
            for span in layout.sentences:
                lo, hi = span.start, span.end
                if layout.section_at(lo) in self.future or text[lo:hi].rstrip().endswith("?") \
                        or any(c.label == "planned"
                               for c in self.cues.find("claim_event", text, lo, hi)) \
                        or any(self.cues.find(kind, text, lo, hi)
                               for kind in ("todo", "condition", "denial")):
                    continue
                out |= plain_words(text, lo, hi, [])
        return out

    def sentence_at(self, note_id: str, offset: int) -> tuple[int, int] | None:
        """The (start, end) of the note sentence holding ``offset``, or None."""
        for span in self.layouts[note_id].sentences:
            if span.start <= offset < span.end:
                return span.start, span.end
        return None

    @cached_property
    def numbers(self) -> set[str]:
        """Every number written in the patient's notes."""
        return numbers(n.text for n in self.notes.values())

    def cited(self, citations: Iterable[Citation]) -> list[Mention]:
        """Mentions overlapping the cited spans.

        Raises:
            VerificationError: a citation names an unknown note or runs past its end.
        """
        out: list[Mention] = []
        for c in citations:
            note = self.notes.get(c.note_id)
            if note is None:
                raise VerificationError(
                    f"citation note id {c.note_id!r} is not among the {len(self.notes)} notes "
                    "given; pass the notes the summary was written from")
            if c.end > len(note.text):
                raise VerificationError(
                    f"citation {c.note_id}:{c.start}-{c.end} runs past the end of the note "
                    f"({len(note.text)} characters); the notes changed since the summary "
                    "was made")
            out.extend(m for m in self.by_note[c.note_id]
                       if m.entity.start < c.end and c.start < m.entity.end)
        return out
def _as_test(claim: Entity, text: str) -> Entity:
    """"Desmopressin testing", "a cosyntropin stimulation test": the drug names a test,
    which the notes must give as done; the drug itself was not given as a treatment."""
    m = _NAMES_A_TEST.match(text, claim.end) if claim.type == "MEDICATION" else None
    if m is None:
        return claim
    return claim.model_copy(update={"type": "TEST", "end": m.end(),
                                    "text": text[claim.start:m.end()], "attributes": {}})


def _time_anchor(claim: Entity, text: str) -> bool:
    """"On the night of surgery", "before surgery", "after delivery": a generic procedure
    word that only dates something else is no claim that it was (or was not) done."""
    return (claim.type == "PROCEDURE" and _GENERIC_EVENT.fullmatch(claim.text) is not None
            and _TIME_BEFORE.search(text, 0, claim.start) is not None)


_GENERIC_EVENT = re.compile(r"(?:surgery|operation|procedure|delivery|the OR|OR|op)",
                            re.IGNORECASE)
_TIME_BEFORE = re.compile(r"\b(?:before|after|since|following|prior to|during|until|through|"
                          r"post|pre|the (?:night|day|morning|evening|eve|week) of)\s+"
                          r"(?:(?:the|his|her|their)\s+)?$", re.IGNORECASE)
_NAMES_A_TEST = re.compile(r"\s+(?:stimulation\s+|suppression\s+|challenge\s+)?"
                           r"(?:test|testing|challenge|stimulation|suppression)\b", re.IGNORECASE)


def judge(claims: list[Entity], text: str, cited: list[Mention], patient: list[Mention], *,
          cues: CueSet, layout: NoteLayout, section: str | None = None,
          status_of: StatusLookup | None = None, track_of: TrackLookup | None = None,
          pending: list[str] | None = None,
          code_status: list[tuple[str, Citation]] | None = None) -> Verification:
    """Compare the claims of one statement with source mentions.

    Args:
        claims: entities of the statement (offsets into ``text``).
        text: the statement.
        cited: mentions inside the statement's cited spans.
        patient: every mention of the patient's notes (fallback scope, latest status).
        cues: the cue rules.
        layout: the statement's layout (its clauses scope its own cue words).
        section: the statement's handoff section, if any.
        status_of: timeline status of a claim's concept ("stopped", "ruled_out", ...).
        track_of: the timeline track of a claim's concept (events, regimen now); its status
            is used when ``status_of`` is not given.
        pending: the timeline's pending-result sentences (a test "pending" is checked
            against them).
        code_status: the code statuses the notes record, in note order (a statement's
            code status is checked against the latest).

    Returns:
        The verification of the statement.
    """
    track_of = track_of or (lambda _e: None)
    if status_of is None:
        def status_of(ent: Entity) -> str | None:
            track = track_of(ent)
            return track.status if track is not None else None
    # "He should continue his pravastatin": a plan to go on presupposes the drug is taken.
    claims = [c.model_copy(update={"assertion": "present"})
              if (c.type == "MEDICATION" and c.assertion == "hypothetical"
                  and _continues(c, text, cues, layout))
              or (c.type in ("PROCEDURE", "TEST") and c.assertion == "hypothetical"
                  and _said_done(c, text, cues, layout)) else c for c in claims]
    claims = [_as_test(c, text) for c in claims if not _time_anchor(c, text)]
    claims = [c.model_copy(update={"assertion": "present"})
              if c.assertion == "family" and _kin_only_as_donor(text) else c for c in claims]
    checked = [c for c in claims if c.type in CHECKED_TYPES and c.assertion != "hypothetical"]
    if section == "allergies":
        # In the allergy section a bare drug name is an allergen ("enalapril (cough)").
        checked = [c.model_copy(update={"type": "ALLERGY"}) if c.type == "MEDICATION" else c
                   for c in checked]
    # "Possible amoxicillin allergy": the statement's own doubt is part of its claim.
    checked = [allergy_certainty(text, c, layout.clause_around(c.start, c.end))
               if c.type == "ALLERGY" and c.assertion == "present" else c for c in checked]
    res = Findings()
    said_code = check_code_status(text, cues, code_status or [], res)
    if not checked and not said_code:
        unlisted = _pending_not_listed(text, cues, pending)
        if unlisted is not None:
            return Verification(verdict="UNSUPPORTED", detail=unlisted)
        said = _event_words(text, cues)
        if pending is not None and cues.says("pending", text, label="none"):
            # "Pending results: none" names no result: it claims nothing is outstanding.
            # Results given as pending after the notes' last "none" make it doubtful;
            # without them it repeats the notes' own words, which prove nothing about what
            # is outstanding: unchecked, never green.
            still = _pending_after_last_none(pending, cues)
            if still:
                return Verification(verdict="UNSUPPORTED",
                                    detail=f"says nothing is pending, but the notes give "
                                           f"{still} result(s) as pending after that")
            return Verification(verdict="NOT_CHECKABLE",
                                detail="says nothing is pending, as the notes last say")
        if said and pending is not None and cues.says("claim_event", text, label="pending"):
            return Verification(verdict="UNSUPPORTED",
                                detail="named among the results the notes give as pending, "
                                       "but nothing links it to a later result: not confirmed")
        said = said or _possession(text)
        if said:
            # "AFP is still pending", "she was diagnosed with bipolar II disorder": the
            # statement tells what happened to something the extractor does not name, so
            # it claims a fact nobody checked. Unsure, not "nothing to check".
            return Verification(verdict="UNSUPPORTED",
                                detail=f"states {said} of something no vocabulary names: "
                                       "not confirmed")
        return Verification(verdict="NOT_CHECKABLE",
                            detail="no problem, drug, test, allergy or procedure to check")
    checked = [reread_negation(c, text, cues, checked) for c in checked]
    checked = with_clause_dose(checked, text, layout.clause_around)
    # "the SNF physician will restart it for weight gain or edema": the conditions a
    # planned contingency names are not findings of the patient.
    checked = [c for c in checked if not _in_contingency(c, text, cues, layout)]
    if not checked and not said_code:
        return Verification(verdict="NOT_CHECKABLE",
                            detail="only conditions of a plan: nothing the notes can confirm")
    events, unbound = bind_events(checked, text, layout, cues)
    future = future_changes(checked, text, layout, cues, events)
    res.unsupported.extend(f"'{word}' (said of nothing the notes can confirm)"
                           for word in unbound)
    last_note = max(patient, key=lambda m: m.order).note_id if patient else None
    # "home medications included ...", "prior to admission": not the regimen now.
    is_past = cues.says("past_medication", text, label="past") or (
        cues.says("time_anchor", text, label="dated") and not cues.says("says_now", text))
    at_discharge = cues.says("time_anchor", text, label="discharge")
    says_now = cues.says("says_now", text)
    past_tense = cues.says("past_medication", text, label="past_tense")
    schedule = cues.says("statement_scope", text, label="schedule")
    # The statement gives its plans as still open ("is planned", "will be"), not as a
    # decision told in the past ("was recommended", "ordered").
    ahead = bool(STILL_PLANNED.search(text)) or cues.says("statement_scope", text,
                                                           label="modal")
    for i, claim in enumerate(checked):
        track = track_of(claim)
        every = [m for m in patient if same_concept(claim, m.entity)]
        scope = [m for m in cited if same_concept(claim, m.entity)] or every
        if not scope:
            res.unsupported.append(claim.text)
            continue
        if claim.type in ("MEDICATION", "PROCEDURE") and (
                claim.assertion == "family" or _relative_subject(text, claim)):
            # "Her mother has MS and is treated with ocrelizumab": the relative's drug or
            # device, checked against what the notes give the relatives, not the patient.
            theirs = [m for m in every if m.entity.assertion == "family"]
            if theirs:
                res.support(theirs)
            else:
                res.unsupported.append(f"{claim.text} (no note gives it to a relative)")
            continue
        harm = _DRUG_HARM_AFTER.match(text, claim.end) if claim.type == "MEDICATION" \
            else None
        if harm is not None:
            # "He has lithium toxicity": the drug's harm is the claim, which the drug's own
            # mentions cannot back (the extractor names only the drug).
            res.unsupported.append(f"{text[claim.start:harm.end()]} (a drug's harm, not the "
                                   "drug: not checked)")
            continue
        own_status = None
        if claim.type in ("MEDICATION", "ALLERGY"):
            drugs = [(c.start, c.end) for c in checked if c.type in ("MEDICATION", "ALLERGY")
                     and c is not claim]
            own_status = drug_status(text, claim, drugs, cues,
                                     layout.clause_around(claim.start, claim.end))
        _check_events(claim, events[i], track, scope, every, last_note, section,
                      is_past, res, pending, at_discharge, says_now, past_tense, schedule,
                      is_left=own_status == "stopped" and any(
                          c.type == "MEDICATION" and c.start >= claim.end for c in checked),
                      future=future[i], ahead=ahead)
        if claim.type in ("MEDICATION", "ALLERGY"):
            check_drug(claim, text, section, scope, every, status_of, res, own_status, cues,
                       regimen_now(track))
            if claim.type == "MEDICATION":
                _check_duration(claim, every, track, res)
        elif claim.type == "PROBLEM":
            check_problem(claim, text, checked, scope, every, status_of, res, cues,
                          layout.clause_around(claim.start, claim.end))
        elif claim.type in ("TEST", "PROCEDURE") and (
                later := _repeat_still_due(claim, text, every, layout)) is not None:
            res.contradict("event_contradicted", f"source: the repeat {claim.text} is still to "
                           f"be done ({later.note_id}); statement gives its result", [later])
        elif claim.type == "TEST" and (
                plans := _result_of_unresulted(claim, text, every, layout)) is not None:
            if all(m.is_planned and not m.is_pending for m in plans):
                res.contradict("planned_as_done", f"source: {claim.text} was only planned or "
                               f"recommended ({latest(plans).note_id}); statement gives its "
                               "result", [latest(plans)])
            else:
                res.unsupported.append(f"{claim.text} (no note gives its result: only planned "
                                       "or pending)")
        elif claim.type == "TEST":
            if _is_threshold(claim, text, cues):
                # "stop once the INR is 2.0 or higher": a target, not a result.
                res.support(scope)
            else:
                check_test(claim, scope, res)
        elif claim.type in ("PROCEDURE", "TEST") and events[i] & {"removed", "stopped",
                                                                  "not_yet"}:
            # A removal or a "still to be done" is the events check's: the device was in,
            # then taken out; a procedure done is not what the statement claims.
            pass
        elif claim.assertion == "absent" and any(m.entity.assertion == "present"
                                                 for m in scope) and not any(
                m.entity.assertion == "absent" for m in scope):
            res.contradict("negation_flip", f"source: {claim.text} done; statement: not done",
                           scope[:1])
        elif claim.assertion == "absent" and any(m.entity.assertion == "present"
                                                 for m in scope):
            # One note names it as done or planned, another as not done ("No BiPAP" in
            # the discharge summary): the notes disagree, so the statement is unsure.
            res.unsupported.append(f"{claim.text} not done (the notes disagree)")
        elif claim.type == "PROCEDURE" and claim.assertion in ("present", "historical") \
                and not events[i]:
            _check_procedure_owner(claim, scope, res)
        else:
            res.support(scope)
    if res.reasons:
        verdict, detail = "CONTRADICTED", "; ".join(res.details)
    elif res.unsupported:
        verdict = "UNSUPPORTED"
        detail = "no evidence in the patient's notes for: " + ", ".join(res.unsupported)
    else:
        found = len(checked) + said_code
        verdict, detail = "SUPPORTED", \
            f"{found} {'fact' if found == 1 else 'facts'} found in the notes"
    return Verification(verdict=verdict, reasons=res.reasons, detail=detail,  # type: ignore[arg-type]
                        evidence=res.evidence[:8], checked_facts=len(checked))


_STILL_PENDING = re.compile(r"\b(?:pending|to follow|awaiting|in process)\b", re.IGNORECASE)
_RESULTED = re.compile(r"\b(?:resulted|returned|came back|final(?:ized)?)\b", re.IGNORECASE)


_DRUG_HARM_AFTER = re.compile(r"[\s-]*(?:toxicity|overdose|poisoning|intoxication|withdrawal|"
                              r"-?induced\s+[\w-]+|level\s+(?:was\s+|is\s+)?(?:toxic|high|"
                              r"supratherapeutic))\b", re.IGNORECASE)


# A sentence whose subject is a relative: "Her mother ...", "The patient's son ...".
_RELATIVE_SUBJECT = re.compile(r"(?:^|[.;]\s+)(?:(?:her|his|their|the patient's|pt's|patient's)"
                               r"\s+)?(?:(?:older|younger|elder|twin|maternal|paternal)\s+)?"
                               rf"(?:{RELATIVE_WORDS})s?\b(?:\s*\([^)]*\))?\s+"
                               r"(?!and\b|or\b)", re.IGNORECASE)


# A relative named only as the source of a graft ("matched-sibling HSCT", "living related
# donor", "her brother's stem cells"): the patient's transplant, not the relative's fact.
_KIN = re.compile(rf"\b(?:{RELATIVE_WORDS}|sibling|parent)s?\b", re.IGNORECASE)
_KIN_AS_DONOR = re.compile(r"\b(?:matched|related|unrelated|haplo\w*|full|half|HLA[- ]\w+)"
                           r"[- ](?:sibling|brother|sister|son|daughter|mother|father|parent)\b|"
                           r"\b(?:sibling|brother|sister|son|daughter|mother|father|parent)"
                           r"(?:'s)?[- ](?:donor|donated|matched|stem[- ]cells?|graft|marrow|"
                           r"kidney|liver|lobe|allograft)\b", re.IGNORECASE)


def _kin_only_as_donor(text: str) -> bool:
    """Whether every relative the statement names is named only as a graft's source."""
    donors = [(m.start(), m.end()) for m in _KIN_AS_DONOR.finditer(text)]
    kin = [(m.start(), m.end()) for m in _KIN.finditer(text)]
    return bool(donors) and all(any(a <= k0 and k1 <= b for a, b in donors) for k0, k1 in kin)


def _relative_subject(text: str, claim: Entity) -> bool:
    """Whether the claim lies in a sentence whose subject is a relative and no clause
    between turns to the patient ("whereas the patient", "; she", "the patient")."""
    starts = [m for m in _RELATIVE_SUBJECT.finditer(text, 0, claim.start)]
    if not starts:
        return False
    between = text[starts[-1].end():claim.start]
    return _PATIENT_TURN.search(between) is None


_PATIENT_TURN = re.compile(r"[.;]|\b(?:the patient|pt|patient|she|he|her own|his own|"
                           r"whereas|while|but)\b", re.IGNORECASE)


# "The patient has TTP", "he carries the diagnosis of MCTD": a statement that gives the
# patient something no vocabulary names claims a fact; a denial ("has no ...") or a
# question is not one.
# A result or a state told of the patient ("the chimerism showed full donor chimerism",
# "he lacks decision-making capacity", "remains unable to walk") claims a fact too.
_POSSESSION = re.compile(r"\b(?:(?:has|have|had)(?!\s+(?:no|not|never|been|to)\b)|carries|"
                         r"(?:was|is|were) diagnosed with|suffers from|developed|"
                         r"lacks?|lacked|lacking|showed|shows|revealed|reveals|demonstrated|"
                         r"demonstrates|remains?|remained|requires?|required|"
                         r"(?:is|was|are|were) (?:still )?unable to|cannot|can't|"
                         r"(?:is|was|are|were|has been|have been|had been)\s+(?:\w+ly\s+)?"
                         r"(?:resected|removed|amputated|excised|debrided|drained|draining|"
                         r"placed|inserted|repaired|closed|transfused|explanted|"
                         r"reimplanted|ligated|biopsied)\b)"
                         r"(?:\s+|(?=[.,;:]|$))"
                         r"(?!(?:no|none|nothing|any)\b)\S", re.IGNORECASE)


def _possession(text: str) -> str:
    """The possession words of a statement ("'has'"), quoted; empty when it has none."""
    found = _POSSESSION.search(text)
    return f"'{found.group(0)[:-1].strip()}'" if found and not text.rstrip().endswith("?") \
        else ""


def _pending_after_last_none(pending: list[str], cues: CueSet) -> int:
    """How many pending-result sentences (in note order) follow the last "pending: none"
    and are not already resulted."""
    last_none = max((i for i, item in enumerate(pending)
                     if cues.says("pending", item, label="none")), default=-1)
    return sum(1 for item in pending[last_none + 1:]
               if not (_RESULTED.search(item) and not _STILL_PENDING.search(item)))


def _pending_not_listed(text: str, cues: CueSet, pending: list[str] | None) -> str | None:
    """A statement that gives something as pending ("The SPEP is still pending at
    discharge") with no entity to check: when none of the results the notes give as
    pending names its words, say so (UNSUPPORTED); when one does, leave it unchecked."""
    if pending is None or not cues.says("claim_event", text, label="pending"):
        return None
    said = {word_stem(w) for w in unchecked_words(text, [], cues)}
    if not said:
        return None
    for item in pending:
        if _RESULTED.search(item) and not _STILL_PENDING.search(item):
            continue  # "SPEP resulted 8/5: no monoclonal protein" in the pending section
        if said <= word_stems([item]):
            return None
    return ("no result the notes give as pending names it: " +
            ", ".join(sorted(said)))


def _continues(claim: Entity, text: str, cues: CueSet, layout: NoteLayout) -> bool:
    """Whether the drug's clause says it goes on ("should continue", "will remain on"),
    with no condition ("continue if tolerated" still plans)."""
    lo, hi = layout.clause_around(claim.start, claim.end)
    return any(c.label == "continued" for c in cues.find("claim_event", text, lo, hi)) \
        and not cues.find("condition", text, lo, hi)


def _event_words(text: str, cues: CueSet) -> str:
    """The event and history words of a statement ("'removed'", "'history of'"), quoted;
    empty when it has none (a denied event counts too: "was never started")."""
    found = cues.find("claim_event", text, 0, len(text)) + cues.find(
        "problem_past", text, 0, len(text))
    return ", ".join(dict.fromkeys(f"'{text[c.start:c.end]}'" for c in found))


def _check_procedure_owner(claim: Entity, scope: list[Mention], res: Findings) -> None:
    """"She has had a prior left below-knee amputation": done to the patient, so a note
    giving it only as a relative's is another experiencer, and one giving it only as
    planned or discussed does not back it."""
    own = [m for m in scope if m.entity.assertion in ("present", "historical")
           and not m.is_planned]
    if own:
        res.support(own)
    elif scope and all(m.entity.assertion == "family" for m in scope):
        res.contradict("wrong_experiencer", f"source: {claim.text} is a family member's "
                       f"({scope[0].note_id}); statement gives it to the patient", scope[:1])
    else:
        res.unsupported.append(f"{claim.text} (no note gives it as done to the patient)")


def _said_done(claim: Entity, text: str, cues: CueSet, layout: NoteLayout) -> bool:
    """"Repeat EGD with banding was done on 5/11": a past event word in its clause makes a
    procedure the statement's fact, whatever "repeat" made of it."""
    lo, hi = layout.clause_around(claim.start, claim.end)
    return any(c.label == "given" and not cues.denied_at(text, c.start)
               for c in cues.find("claim_event", text, lo, hi)) \
        and not cues.find("condition", text, lo, hi) \
        and not cues.says("statement_scope", text[lo:hi], label="modal")


def _in_contingency(claim: Entity, text: str, cues: CueSet, layout: NoteLayout) -> bool:
    """A problem named after a modal contingency of its clause ("will restart it for
    weight gain over 1 kg or edema", "call if fever")."""
    if claim.type != "PROBLEM":
        return False
    lo, hi = layout.clause_around(claim.start, claim.end)
    before = text[lo:claim.start]
    if cues.says("condition", before):
        return True
    return cues.says("statement_scope", before, label="modal") and any(
        c.start < claim.start for c in cues.find("contingency", text, lo, hi))


def _repeat_still_due(claim: Entity, text: str, every: list[Mention],
                      layout: NoteLayout) -> Mention | None:
    """"The 2-week repeat echocardiogram was normal": a result of a later instance of a
    test. When every note that names the repeat gives it as planned or pending and none
    gives its result, the latest such mention (the result is not in the notes yet)."""
    if REPEAT_BEFORE.search(text, max(0, claim.start - 30), claim.start) is None:
        return None
    lo, hi = layout.clause_around(claim.start, claim.end)
    if claim.attributes.get("value") is None and RESULT_WORDS.search(text, claim.end, hi) is None \
            and RESULT_WORDS.search(text, lo, claim.start) is None:
        return None
    repeats = [m for m in every if m.is_repeat]
    # A planned mention's "resulted" flag reads its plan's words ("repeat echo at 2 wk,
    # normal function today"): only a repeat named outside any plan counts as done.
    if not repeats or any(m.repeat_done or not (m.is_planned or m.is_pending)
                          for m in repeats):
        return None
    return latest(repeats)


def _result_of_unresulted(claim: Entity, text: str, every: list[Mention],
                          layout: NoteLayout) -> list[Mention] | None:
    """"The stress test was negative": a result in words of a test. When every note that
    names the test gives it as planned, recommended or pending and none gives a result or
    names it as done, the result cannot come from the notes: those mentions (else None)."""
    _, hi = layout.clause_around(claim.start, claim.end)
    # A lab with a number ("a bilirubin of 13.8") is left to the value checks: its value
    # often stands under another name in the notes ("TSB 13.8") while its name is ordered.
    value = claim.attributes.get("value")
    if value is not None and any(ch.isdigit() for ch in (value.value or value.text)) or \
            RESULT_WORDS.search(text, claim.end, hi) is None:
        return None
    if not every or any(m.is_resulted or not (m.is_planned or m.is_pending
                                              or m.entity.assertion == "hypothetical")
                        for m in every):
        return None
    return every


_DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*-?\s*(?P<unit>days?|d|weeks?|wks?|w|"
                       r"months?|mos?)\b", re.IGNORECASE)
_DAYS = {"d": 1, "w": 7, "m": 30}


def _days(value: str | None) -> float | None:
    """"7-day course", "x 14 days", "for 2 weeks" -> days; None when no length is written."""
    m = _DURATION.search(value or "")
    return float(m.group("n")) * _DAYS[m.group("unit")[0].lower()] if m else None


def _check_duration(claim: Entity, every: list[Mention], track: Track | None,
                    res: Findings) -> None:
    """"Completed a 7-day course of ampicillin-sulbactam": the length is a part of the
    claim. Backed by a note that gives the drug that length, or by the timeline's start
    and stop dates (a day either way); otherwise unconfirmed, never green."""
    a = claim.attributes.get("duration")
    wanted = _days(a.text if a is not None else None)
    if wanted is None:
        return
    said = {_days(m.entity.attributes["duration"].text) for m in every
            if m.entity.type == "MEDICATION" and "duration" in m.entity.attributes}
    if wanted in said:
        return
    if isinstance(track, MedicationTrack):
        starts = [e.date for e in track.events if e.change in ("started", "resumed") and e.date]
        stops = [e.date for e in track.events if e.change == "stopped" and e.date]
        # The first stop after the first start: later notes restate the stop ("STOPPED:
        # ampicillin-sulbactam" on the discharge day) without prolonging the course.
        first = min(starts, default=None)
        stops = [d for d in stops if first is not None and d >= first]
        if first is not None and stops:
            span = (date.fromisoformat(min(stops)[:10]) - date.fromisoformat(first[:10])).days
            if abs(span - wanted) <= 1:
                return
    res.unsupported.append(f"{claim.text} '{a.text if a is not None else wanted}' (no note "
                           "gives that length)")


def _is_threshold(claim: Entity, text: str, cues: CueSet) -> bool:
    """Whether a test's value in a statement is a threshold or target, not a result."""
    value = claim.attributes.get("value")
    if value is None:
        return False
    near = text[max(0, claim.start - 20):min(len(text), value.end + 20)]
    return cues.says("statement_scope", near, label="threshold")


_CONSIDERED = re.compile(r"\s+(?:was|were|had been)\s+(?:\w+\s+)?(?:considered|suspected|"
                         r"entertained|evaluated|worked up|raised)\b", re.IGNORECASE)


# "resolved with incentive spirometry", "improved after diuresis": the means of a
# resolution; the resolution word is not a denial of the means.
_MEANS_BEFORE = re.compile(r"\b(?:resolved|resolving|improved|improving|cleared|responded|"
                           r"settled|better)\s+(?:\w+\s+)?(?:with|after|on|to|by|using)\s+"
                           r"(?:(?:a|an|the|his|her|their|IV|PO|oral|\w+ly)\s+)?$",
                           re.IGNORECASE)
# A statement that leaves a diagnosis open after naming it ("dengue co-infection is
# indeterminate", "Lynch syndrome has not been excluded", "enteric fever was covered
# empirically"): possible, not established.
_OPEN_AFTER = re.compile(r"(?:\s+[\w-]+)?\s*[,:]?\s*(?:(?:is|was|are|were|remains?|remained|"
                         r"has|have|had|been|still|initially|only|also|could|can|may|"
                         r"might|be)\s+)*"
                         r"(?:indeterminate|cannot be (?:excluded|ruled out)|equivocal|"
                         r"uncertain|unclear|unconfirmed|"
                         r"not (?:yet )?(?:been )?(?:confirmed|excluded|ruled out|proven)|"
                         r"(?:covered|treated) empiric(?:al)?ly|suspected|considered|"
                         r"presumed|questioned|entertained)\b", re.IGNORECASE)


_DENIED_AFTER = re.compile(r"\s*(?:(?:has|have|had|was|were|is|are)\s+)?(?:never|not|did not|"
                           r"didn't|has not|had not)\s+(?:\w+ly\s+)?(?:developed|develop|"
                           r"occurred|occur|happened|happen|recurred|recur|been (?:seen|found|"
                           r"present)|materiali[sz]ed)\b", re.IGNORECASE)


# "pericarditis was considered possible but not established", "sarcoid not proven": a
# diagnosis not confirmed is left open, not denied (ConText reads the "not" as a negation).
_UNCONFIRMED_AFTER = re.compile(r"(?:\s+[\w-]+)?\s*[,:]?\s*(?:(?:is|was|are|were|remains?|"
                                r"remained|has|have|had|been|still|initially|only|also|"
                                r"considered|thought|felt|deemed|possible|possibly|probable|"
                                r"likely|suspected|but|and|yet|so far|could|can|may|be)\s+)*"
                                r"(?:cannot|can't|not)\s+(?:yet\s+)?(?:been\s+|be\s+)?"
                                r"(?:established|confirmed|proven|proved|excluded|ruled out)\b",
                                re.IGNORECASE)
# "held for the right heart catheterization", "stopped because of the bleeding", "apixaban
# for the new AF has not been started": the reason of an action on a drug keeps its own
# assertion; the action's hold or "not started" is no denial of it.
_ACTION_FOR = re.compile(r"\b(?:held|holding|hold|stopped|paused|withheld|discontinued|"
                         r"interrupted|suspended|not (?:been )?(?:re)?started)\b"
                         r"[^;.\n]{0,40}?\b(?:for|because of|due to|in view of)\s+"
                         r"(?:[\w-]+\s+){0,4}$", re.IGNORECASE)
_INDICATION_GAP = re.compile(r"\s*(?:\([^)]{0,30}\)\s*)?(?:for|because of|due to)\s+"
                             r"(?:[\w-]+\s+){0,2}", re.IGNORECASE)


def _reason_of_action(claim: Entity, text: str, claims: list[Entity]) -> bool:
    """Whether a denied problem or procedure is only the reason of something done to a
    drug ("held for X", "<drug> for X has not been started"), not itself denied."""
    before = text[max(0, claim.start - 80):claim.start]
    hit = _ACTION_FOR.search(before)
    if hit is not None and not DENIAL_BEFORE.search(before, hit.end()):
        return True
    return any(c.type == "MEDICATION" and c.end <= claim.start
               and _INDICATION_GAP.fullmatch(text, c.end, claim.start) is not None
               for c in claims)


def reread_negation(claim: Entity, text: str, cues: CueSet,
                     claims: list[Entity] | None = None) -> Entity:
    """Negations that do not deny the claim: the drug a switch goes to is taken ("stopped,
    replaced by rosuvastatin": the stop word's scope does not reach across the switch), and
    "no further transfusion" says none beyond those given, not that none was."""
    if claim.type == "PROBLEM" and claim.assertion == "absent" \
            and _UNCONFIRMED_AFTER.match(text, claim.end) \
            and not DENIAL_BEFORE.search(text, max(0, claim.start - 30), claim.start):
        return claim.model_copy(update={"assertion": "possible"})
    if claim.type in ("PROBLEM", "PROCEDURE", "TEST") and claim.assertion == "absent" \
            and _reason_of_action(claim, text, claims or []):
        return claim.model_copy(update={"assertion": "present"})
    if claim.type == "PROBLEM" and claim.assertion != "absent" and _CONSIDERED.match(
            text, claim.end) and cues.says("problem_ruled_out", text[claim.end:]):
        # "Typhlitis was considered for RLQ pain and ruled out on CT": the subject of the
        # work-up is the one ruled out, whatever problem the work-up was for.
        return claim.model_copy(update={"assertion": "absent"})
    if claim.type == "PROBLEM" and claim.assertion == "present" and \
            _DENIED_AFTER.match(text, claim.end):
        # "Tumor lysis syndrome never developed": the denial follows the name (ConText
        # reads denials before it).
        return claim.model_copy(update={"assertion": "absent"})
    if claim.type == "PROBLEM" and claim.assertion == "present" and \
            _OPEN_AFTER.match(text, claim.end):
        return claim.model_copy(update={"assertion": "possible"})
    if claim.assertion != "absent":
        return claim
    if claim.type == "PROBLEM" and work_up_reason(text, claim, claims or []):
        # "DVT was considered for left calf swelling and excluded": the swelling is what
        # the work-up was for, not what it excluded.
        return claim.model_copy(update={"assertion": "present"})
    if claim.type in ("PROCEDURE", "MEDICATION", "TEST") and _MEANS_BEFORE.search(
            text, max(0, claim.start - 50), claim.start):
        return claim.model_copy(update={"assertion": "present"})
    before = text[max(0, claim.start - 40):claim.start]
    if (claim.type == "MEDICATION" and cues.says("switch_phrase", before, label="to_target")) \
            or cues.says("negation_before", before, label="no_more"):
        return claim.model_copy(update={"assertion": "present"})
    return claim


def regimen_now(track: Track | None) -> dict[str, object] | None:
    """The timeline's current regimen of a drug in the verifier's comparable form."""
    if not isinstance(track, MedicationTrack) or not track.dose:
        return None
    frequency = track.frequency.upper() if track.frequency else None
    return {"dose": parse_amount(track.dose),
            "route": track.route.upper() if track.route else None,
            "frequency": FREQUENCY_SYNONYMS.get(frequency, frequency) if frequency else None}


def _check_events(claim: Entity, events: set[str], track: Track | None, scope: list[Mention],
                  every: list[Mention], last_note: str | None, section: str | None,
                  is_past: bool, res: Findings, pending: list[str] | None,
                  at_discharge: bool = False, says_now: bool = False,
                  past_tense: bool = False, schedule: bool = False,
                  is_left: bool = False, future: set[str] | None = None,
                  ahead: bool = False) -> None:
    """The statement's event words for one claim (see :mod:`verifiers.events`).

    ``is_left``: the statement itself says the drug is stopped or switched from, and
    names the drug taken instead after it ("switch from furosemide 40 mg IV BID to
    furosemide 40 mg PO daily"): its regimen is the old one, and the one after is the
    claim about now. A bare target ("... to 80 mg PO daily") names no drug to check, so
    the left regimen is still held to the regimen now."""
    if claim.assertion == "absent":
        # "Thrombolysis was not given", "not continued": a denied event is the assertion
        # check's; held / stopped (which the extractor also reads as absent) stay events.
        events = events - {"given", "started", "developed"}
        if "held" not in events:  # "remains on hold" is still held now
            events = events - {"continued"}
    if claim.type == "MEDICATION":
        meds = [m for m in every if m.entity.type == "MEDICATION"]
        if events:
            check_drug_events(claim, events, track, meds, res, at_discharge=at_discharge,
                              future=future or frozenset(), ahead=ahead)
        # "resumed at discharge" states the regimen now too.
        changing = events & {"started", "stopped", "held", "increased", "decreased",
                             "given", "planned"}
        # Given as taken now: in the medication list, with "continued / remains / on", or
        # written as an order (dose, frequency).
        as_order = bool(claim.attributes.keys() & {"strength", "dose", "frequency"})
        # A sentence telling the course in the past tense ("was diuresed with furosemide
        # 40 mg IV BID") gives the regimen now only when it says so ("was continued",
        # "currently"). Section-independent, so chat and handoff judge it alike.
        # A dose schedule ("40 mg, then tapers through 30, 20 and 10 mg") is more than
        # the regimen now.
        course = (past_tense and not says_now and "continued" not in events) or schedule
        if not is_past and not course and not changing and not is_left and (
                section == "medications" or events or as_order):
            check_current_regimen(claim, track, meds, res)
    elif claim.type == "PROBLEM" and events:
        check_problem_events(claim, events, track, every, res)
    elif claim.type in ("PROCEDURE", "TEST") and events:
        check_other_events(claim, events, scope, every, last_note, res, pending,
                           ahead=ahead)


def check_statement(text: str, citations: list[Citation], evidence: PatientEvidence,
                    extractor: Extractor, *, section: str | None = None,
                    timeline: PatientTimeline | None = None) -> Verification:
    """Verify one statement against its citations, the patient's notes and timeline.

    The one statement check: handoff summaries, external summaries and chat answers all
    come here, with the same evidence and timeline status.

    Args:
        text: the statement.
        citations: its cited spans (may be empty for external statements).
        evidence: the patient's indexed mentions (built once per patient).
        extractor: the entity extractor (the statement's claims and layout).
        section: the statement's handoff section (medications, active_problems...).
        timeline: the patient's timeline (stopped / ruled-out status of each concept).

    Returns:
        The verification.

    Raises:
        VerificationError: a citation names an unknown note or bad offsets.
    """
    claims = extractor.extract(text)
    return _verify(text, claims, citations, section, evidence, extractor,
                   _timeline_tracks(timeline), _pending(timeline), _code_statuses(timeline))


def _verify(text: str, claims: list[Entity], citations: list[Citation], section: str | None,
            evidence: PatientEvidence, extractor: Extractor, tracks: TrackLookup,
            pending: list[str], code_status: list[tuple[str, Citation]]) -> Verification:
    """The claim checks, then the coverage gate: one statement, any caller."""
    verification = judge(claims, text, evidence.cited(citations), evidence.mentions,
                         cues=evidence.cues, layout=extractor.layout(text, claims),
                         section=section, track_of=tracks, pending=pending,
                         code_status=code_status)
    verification = check_reasons(verification, text, claims, evidence.reasons, extractor,
                                 citations)
    verification = check_cause(verification, text, claims, evidence.mentions,
                               evidence.sentence_at, lambda n: evidence.notes[n].text)
    return gate(verification, text, claims, evidence,
                cited_notes=dict.fromkeys(c.note_id for c in citations))


def _code_statuses(timeline: PatientTimeline | None) -> list[tuple[str, Citation]]:
    """The code statuses the notes record (label, where), in note order."""
    if timeline is None:
        return []
    return [(i.detail or "", i.citations[0]) for i in timeline.items
            if i.kind == "code_status"]


def _pending(timeline: PatientTimeline | None) -> list[str]:
    """The timeline's pending-result sentences, lower case."""
    if timeline is None:
        return []
    return [i.text.lower() for i in timeline.items if i.kind == "pending"]


def _timeline_tracks(timeline: PatientTimeline | None) -> TrackLookup:
    """The timeline track of a claim's concept: drugs by canonical name, problems by name
    or by ICD-10-CM category."""
    if timeline is None:
        return lambda _e: None
    meds = {t.name.lower(): t for t in timeline.medications}
    problems = {t.name.lower(): t for t in timeline.problems}
    # A problem's own code first; else its category's first track (a negative finding of
    # another code of the category has a track of its own, made after the category's).
    by_full = {c: t for t in reversed(timeline.problems) for c in t.codes}
    by_code: dict[str, Track] = {}
    for t in timeline.problems:
        for c in t.codes[:1]:
            by_code.setdefault(c[:3], t)

    def track_of(ent: Entity) -> Track | None:
        table = meds if ent.type in ("MEDICATION", "ALLERGY") else problems
        for name in names(ent):
            if name in table:
                return table[name]
        if ent.type == "PROBLEM":
            for code in ent.codes[:1]:
                if code.system == "ICD-10-CM" and code.score >= 0.8:
                    found = by_full.get(code.code) or by_code.get(code.code[:3])
                    if found is not None:
                        return found
        return None

    return track_of


def verify_summary(summary: HandoffSummary, evidence: PatientEvidence,
                   extractor: Extractor, timeline: PatientTimeline | None = None,
                   roles: SectionRoles | None = None) -> HandoffSummary:
    """Verify every statement of a summary and report omissions.

    Args:
        summary: the summary (clinagent's or an external one read by ``agent.verify``).
        evidence: the patient's indexed mentions.
        extractor: the entity extractor (statements' claims and layouts).
        timeline: the patient's timeline; enables stopped/ruled-out status from the tracks
            and the omission report.
        roles: section roles (which sections name problems to manage, for omissions).

    Returns:
        A copy of the summary with ``verification`` set on every statement (none removed)
        and ``omissions`` filled when a timeline is given.

    Raises:
        VerificationError: bad citations.
    """
    statements: list[Statement] = []
    claims_of: list[list[Entity]] = []
    tracks, pending = _timeline_tracks(timeline), _pending(timeline)
    code_status = _code_statuses(timeline)
    for st in summary.statements:
        claims = extractor.extract(st.text)
        claims_of.append(claims)
        verification = _verify(st.text, claims, st.citations, st.section, evidence,
                               extractor, tracks, pending, code_status)
        statements.append(st.model_copy(update={"verification": verification}))
    omissions = summary.omissions
    if timeline is not None:
        sections = {(m.note_id, m.entity.start): m.entity.section for m in evidence.mentions}
        omissions = find_omissions(timeline, [s.text for s in summary.statements], claims_of,
                                   evidence.cues, sections,
                                   roles.sections("problem_list") if roles else None)
    counts: dict[str, int] = {}
    for st in statements:
        counts[st.verification.verdict] = counts.get(st.verification.verdict, 0) + 1
    logger.info("verified %d statements of patient summary (%s); %d omissions",
                len(statements), counts, len(omissions))
    return summary.model_copy(update={"statements": statements, "omissions": omissions})
