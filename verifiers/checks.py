"""Per-type comparisons of one claim with its source mentions (used by
:mod:`verifiers.crosscheck`): drugs (status, dose/route/frequency), problems (assertion,
experiencer, temporality, ruled out) and tests (values)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from agent.schemas.extraction import Entity
from agent.schemas.summary import Citation
from agent.schemas.summary_rules import CueSet
from agent.schemas.verification import EvidenceSpan
from verifiers.claims import (
    KIN_WORD,
    Mention,
    amount_of,
    anchors,
    assertion_class,
    attr_value,
    gapped_ruled_out,
    kin,
    problem_cues,
    said_past_after,
    test_value,
    work_up_reason,
)

StatusLookup = Callable[[Entity], str | None]


# Words that make a possible diagnosis improbable rather than open.
_UNLIKELY = re.compile(r"\b(?:unlikely|less likely|doubtful|doubted|not (?:likely|favou?red|"
                       r"suspected|thought likely))\b", re.IGNORECASE)

# A statement that gives a problem as active now, not merely as the patient's.
_SAID_ACTIVE = re.compile(r"\b(?:active|ongoing|current(?:ly)?|still has|persistent|"
                          r"uncontrolled|flaring)\b", re.IGNORECASE)

# A possibility told as a past step of the work-up, not as the state now.
_WEIGHED_THEN = re.compile(r"\b(?:was|were|had been|initially)\s+(?:\w+\s+)?(?:considered|"
                           r"suspected|entertained|questioned|raised|covered empiric(?:al)?ly|"
                           r"treated empiric(?:al)?ly)\b", re.IGNORECASE)


# The statement's own later exclusion of a diagnosis it first gives as possible ("COVID PCR
# indeterminate; the repeat was negative", "presumed, then no longer favored"): it tells
# the work-up and how it settled. A "not" before the word keeps it open ("not excluded").
_SETTLED_OUT = re.compile(r"\b(?:negative|(?<!not )(?<!not be )(?<!not been )(?<!cannot be )"
                          r"(?:ruled out|excluded)|no longer (?:favou?red|suspected|considered|"
                          r"thought likely|likely)|not (?:found|seen|present)|retracted|"
                          r"withdrawn)\b", re.IGNORECASE)
_OPEN_WORDS = re.compile(r"\b(?:cannot|can't|could not|not (?:yet )?(?:been )?)\s*(?:be\s+)?"
                         r"(?:excluded|ruled out)\b", re.IGNORECASE)


def _told_excluded(text: str, claim: Entity, claims: list[Entity]) -> bool:
    """Whether the statement, after a possible diagnosis and before the next problem it
    names, says the work-up excluded it."""
    ends = [c.start for c in claims if c.type == "PROBLEM" and c.start >= claim.end
            and c is not claim]
    hi = min(ends, default=len(text))
    window = _OPEN_WORDS.sub(" ", text[claim.end:hi])
    return _SETTLED_OUT.search(window) is not None


def _span(m: Mention, relation: str) -> EvidenceSpan:
    return EvidenceSpan(note_id=m.note_id, start=m.entity.start, end=m.entity.end,
                        relation=relation)  # type: ignore[arg-type]


def _describe_drug(m: Mention) -> str:
    e = m.entity
    parts = [e.text]
    for name in ("strength", "dose", "unit", "route", "frequency"):
        a = e.attributes.get(name)
        if a is not None:
            parts.append(a.value or a.text)
    return " ".join(parts)


def latest(mentions: list[Mention]) -> Mention:
    """The most recent mention (latest note, then latest offset)."""
    return max(mentions, key=lambda m: (m.order, m.entity.start))


class Findings:
    """Findings of one statement: reasons, details, evidence, unsupported claims."""

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.details: list[str] = []
        self.evidence: list[EvidenceSpan] = []
        self.unsupported: list[str] = []

    def contradict(self, reason: str, detail: str, mentions: Iterable[Mention]) -> None:
        if reason in self.reasons:
            return  # one detail per reason: the first check that found it says why
        self.reasons.append(reason)
        self.details.append(detail)
        self.evidence.extend(_span(m, "contradicts") for m in mentions)

    def support(self, mentions: Iterable[Mention]) -> None:
        self.evidence.extend(_span(m, "supports") for m in list(mentions)[:2])


_CODE_WORDS = {"full_code": "full code", "dnr": "DNR", "dnr_dni": "DNR/DNI",
               "comfort": "comfort care"}


def _names(e: Entity) -> tuple[str, str]:
    return e.text.lower(), str(e.normalized.get("canonical") or e.text).lower()


def _code(e: Entity) -> str | None:
    return next((c.code for c in e.codes if c.system == "ICD-10-CM"), None)


def _excludes(claim: Entity, ent: Entity) -> bool:
    """Whether ruling out a mention rules out the claim: the mention is the claim's problem
    or a more general one ("aspiration pneumonia excluded" excludes "right lower lobe
    aspiration pneumonia"; "closed-loop obstruction excluded" does not exclude an
    "adhesive small bowel obstruction")."""
    (ct, cc), (mt, mc) = _names(claim), _names(ent)
    return mt in ct or mc == cc or (_code(claim) is not None and _code(claim) == _code(ent))


def _names_same(claim: Entity, ent: Entity) -> bool:
    """Whether a mention of the patient's own problem backs the claim: the claim's problem
    or a more specific one ("kidney disease" does not give "polycystic kidney disease")."""
    (ct, cc), (mt, mc) = _names(claim), _names(ent)
    return ct in mt or cc == mc or (_code(claim) is not None and _code(claim) == _code(ent))


def check_code_status(text: str, cues: CueSet, recorded: list[tuple[str, Citation]],
                      res: Findings) -> bool:
    """A statement's code status against the latest the notes record ("remains full code"
    after a change to DNR/DNI is wrong now). Returns whether the statement states one."""
    said = cues.find("code_status", text, 0, len(text))
    if not said:
        return False
    # "full code on admission, now DNR/DNI" tells the change: the latest must be among
    # the statuses it states.
    labels = [c.label for c in said]
    label = labels[0]
    if not recorded:
        res.unsupported.append("code status (no note records one)")
        return True
    latest_label, where = recorded[-1]
    span = EvidenceSpan(note_id=where.note_id, start=where.start, end=where.end,
                        relation="supports")
    if latest_label in labels:
        res.evidence.append(span)
    else:
        earlier = any(lbl == label for lbl, _ in recorded[:-1])
        res.contradict("wrong_time" if earlier else "event_contradicted",
                       f"source: code status {_CODE_WORDS.get(latest_label, latest_label)} "
                       f"({where.note_id}); statement: {_CODE_WORDS.get(label, label)}", [])
        res.evidence.append(span.model_copy(update={"relation": "contradicts"}))
    return True


def check_drug(claim: Entity, text: str, section: str | None, scope: list[Mention],
               every: list[Mention], status_of: StatusLookup, res: Findings,
               claim_status: str | None, cues: CueSet,
               regimen_now: dict[str, object] | None = None) -> None:
    """Check a drug claim: allergy vs medication, negation, stopped drug given as current,
    a stop nobody wrote, then dose/route/frequency. Findings go to ``res``."""
    meds = [m for m in scope if m.entity.type == "MEDICATION"]
    if claim.type == "ALLERGY":
        allergies = [m for m in scope if m.entity.type == "ALLERGY"]
        firm = [m for m in allergies if m.entity.assertion in ("present", "historical")]
        denied = [m for m in allergies if m.entity.assertion == "absent"]
        doubtful = [m for m in allergies if m.entity.assertion in ("possible", "absent")]
        if claim.assertion == "absent" and (denied or firm):
            # "No amoxicillin allergy was established": backed by a note that says so,
            # unsure where the notes record the allergy as the patient's.
            if denied and (not firm or latest(denied).order >= latest(firm).order):
                res.support(denied)
            else:
                res.unsupported.append(f"no {claim.text} allergy (the notes record it)")
        elif firm or (allergies and (claim.assertion != "present"
                                     or len(doubtful) < len(allergies))):
            res.support(firm or allergies)
        elif allergies:
            # "? amoxicillin reaction", "amoxicillin allergy not established": the notes
            # wondered about it; "allergic to amoxicillin" claims more than they found.
            doubt = latest(allergies)
            said = "was not established" if doubt.entity.assertion == "absent" else \
                "was only suspected"
            res.contradict("wrong_certainty", f"source: an allergy to {claim.text} {said} "
                           f"({doubt.note_id}); statement gives it as established", [doubt])
        else:
            res.unsupported.append(f"{claim.text} (the notes give it as a medication, "
                                   "not an allergy)")
        return
    if not meds:
        res.unsupported.append(f"{claim.text} (the notes list it only as an allergy)")
        return
    said_stopped = claim_status in ("stopped", "held")
    given = [m for m in meds if m.entity.assertion == "present"]
    is_past = cues.says("past_medication", text)
    if claim.assertion == "absent" and claim_status is None and not is_past:
        allergen = [m for m in scope if m.entity.type == "ALLERGY"]
        if allergen:
            # "cannot take codeine (vomiting)": an allergen is not given, whatever a note
            # said of it as a drug.
            res.support(allergen)
            return
        # "ran out of his home furosemide before admission" speaks of then, not now.
        if given and (status_of(claim) or latest(given).status) == "active":
            if any(m.entity.assertion == "absent" and m.status is None for m in meds):
                # One note gives it, another denies it ("no codeine products"): unsure.
                res.unsupported.append(f"{claim.text} not given (the notes disagree)")
                return
            res.contradict("negation_flip", f"source: {claim.text} is given "
                           f"({latest(given).note_id}); statement: not given", [latest(given)])
            return
    if (claim.assertion == "present" and not said_stopped and not given
            and all(m.status is None for m in meds)):
        res.contradict("negation_flip", f"source: {claim.text} not given "
                       f"({latest(meds).note_id}); statement: given", [latest(meds)])
        return
    status = status_of(claim)
    if status is None:
        with_status = [m for m in every if m.entity.type == "MEDICATION" and m.status]
        status = latest(with_status).status if with_status else None
    # A statement that names a drug with a past word speaks of the past ("home
    # medications included aspirin"), so a stopped drug in it is not given as current.
    # A drug is given as current when the statement says so ("continue", "on"), sits in the
    # medication list, or is written as an order (dose or frequency) outside past context.
    as_current = (claim_status == "active" or section == "medications"
                  or bool(claim.attributes.keys() & {"strength", "dose", "frequency"}))
    # The patient summary tells the course ("admitted ... on warfarin", "septic shock
    # requiring norepinephrine"): a drug there is current only when the sentence says so.
    if section == "patient_summary" and not cues.says("says_now", text):
        as_current = False
    allergies = [m for m in every if m.entity.type == "ALLERGY"
                 and m.entity.assertion in ("present", "historical")]
    taken_after = [m for m in given if allergies and m.order > latest(allergies).order]
    # "at home" reads as past elsewhere; only a statement telling the past ("was given
    # codeine, which made her vomit") may name an allergen as taken.
    told_past = cues.says("past_medication", text, label="past_tense")
    if (claim.assertion == "present" and allergies and not taken_after and not said_stopped
            and not told_past and (as_current or claim_status == "active")):
        # "may take acetaminophen with codeine at home" when the latest allergy list
        # names codeine (vomiting), and no later note gives it.
        res.contradict("allergen_as_medication", f"source: the patient is allergic to "
                       f"{claim.text} ({latest(allergies).note_id}); statement gives it as "
                       "taken", [latest(allergies)])
        return
    if (claim.assertion == "present" and status == "stopped" and not said_stopped
            and not is_past and as_current):
        stopped = [m for m in every if m.status == "stopped"] or [latest(every)]
        res.contradict("stopped_drug_as_current",
                       f"source: {claim.text} stopped ({latest(stopped).note_id}); "
                       "statement gives it as current", [latest(stopped)])
        return
    # A stop the timeline reconciled (e.g. "switched to oral clindamycin", far from the
    # drug's name) counts as written, though no single mention carries the cue.
    if (claim_status == "stopped" and status not in ("stopped", "held")
            and not any(m.status in ("stopped", "held") for m in every)):
        res.unsupported.append(f"{claim.text} stopped (no note says it was stopped)")
        return
    if claim.assertion == "present" and not said_stopped and not given and not is_past \
            and not told_past and claim_status != "stopped" and status not in ("active", "held"):
        # "He takes ibuprofen" where the only note says "Avoid ibuprofen": no note gives
        # it as taken, so a mention of it is no evidence that it is.
        res.unsupported.append(f"{claim.text} (the notes name it only as stopped, held, "
                               f"to avoid or not given, last in {latest(meds).note_id})")
        return
    _compare_form(claim, meds, res)
    _compare_attributes(claim, meds, res, regimen_now)


# Spellings of one dose form ("tab" and "tablet"; "XL" and "ER" are both extended release;
# "drip" and "gtt" an infusion). Only forms listed here are compared.
_FORMS = {"tab": "tablet", "tabs": "tablet", "tablets": "tablet", "cap": "capsule",
          "caps": "capsule", "capsules": "capsule", "odt": "odt",
          "orally disintegrating tablet": "odt", "disintegrating tablet": "odt",
          "xl": "er", "xr": "er", "sr": "er", "cr": "er", "la": "er",
          "extended-release": "er", "extended release": "er", "er": "er",
          "transdermal": "patch", "patches": "patch", "drip": "infusion", "gtt": "infusion",
          "infusion": "infusion", "tablet": "tablet", "capsule": "capsule", "patch": "patch",
          "cream": "cream", "ointment": "ointment", "gel": "gel", "solution": "solution",
          "suspension": "suspension", "elixir": "solution", "liquid": "solution"}


def _form(ent: Entity) -> str | None:
    a = ent.attributes.get("form")
    if a is None:
        return None
    # The written form, not the normalised value: the extractor files "ODT" under tablet.
    # A form the table does not know is not compared.
    return _FORMS.get(" ".join(a.text.lower().split()))


def _compare_form(claim: Entity, meds: list[Mention], res: Findings) -> None:
    """"Mirtazapine 15 mg tablet" when every note that gives a form says ODT: the
    formulation is a part of the claim no note backs (UNSUPPORTED, never green)."""
    wanted = _form(claim)
    have = {f for m in meds if (f := _form(m.entity)) is not None}
    if wanted is not None and have and wanted not in have:
        res.unsupported.append(f"{claim.text} as {wanted} (the notes give "
                               f"{', '.join(sorted(have))})")


def _compare_attributes(claim: Entity, meds: list[Mention], res: Findings,
                        regimen_now: dict[str, object] | None = None) -> None:
    wanted = {"dose": amount_of(claim), "route": attr_value(claim, "route"),
              "frequency": attr_value(claim, "frequency")}
    wanted = {k: v for k, v in wanted.items() if v is not None}
    have = [(m, {"dose": amount_of(m.entity), "route": attr_value(m.entity, "route"),
                 "frequency": attr_value(m.entity, "frequency")}) for m in meds]
    if regimen_now and meds:
        # The timeline's regimen now (an arrow's new dose: "6.25 mg -> 12.5 mg") is a
        # source regimen too, cited at the drug's latest mention.
        have.append((latest(meds), regimen_now))
    # Only attributes some source mention states can be checked.
    known = [k for k in wanted if any(h[k] is not None for _, h in have)]
    if not known:
        res.support(meds)
        return
    # One mention must state the dose (when checkable) and agree on everything it states,
    # so a dose from one order and a route from another do not make a wrong combination
    # true.
    full = [m for m, h in have
            if any(h[k] is not None for k in known)
            and ("dose" not in known or h["dose"] is not None)
            and not any(h[k] is not None and h[k] != wanted[k] for k in known)]
    if full:
        res.support(full)
        return
    wrong = [k for k in known if not any(h[k] == wanted[k] for _, h in have)]
    if not wrong:
        scored = [(sum(h[k] is not None and h[k] != wanted[k] for k in known),
                   -sum(h[k] is not None for k in known), m) for m, h in have]
        fewest = min(s[:2] for s in scored)
        best = latest([m for *key, m in scored if tuple(key) == fewest])
        best_have = next(h for m, h in have if m is best)
        wrong = [k for k in known if best_have[k] is not None and best_have[k] != wanted[k]]
        wrong = wrong or [k for k in known if best_have[k] is None]
    else:
        with_attr = [m for m, h in have if any(h[k] is not None for k in wrong)]
        best = latest(with_attr)
    parts = []
    for k in wrong:
        a = claim.attributes.get("strength") if k == "dose" else None
        a = a or claim.attributes.get(k)
        parts.append(a.text if a is not None else str(wanted[k]))
    for k in wrong:
        res.contradict(f"wrong_{k}", f"source ({best.note_id}): {_describe_drug(best)}; "
                       f"statement: {claim.text} {' '.join(parts)}", [best])


def check_problem(claim: Entity, text: str, claims: list[Entity], scope: list[Mention],
                  every: list[Mention], status_of: StatusLookup, res: Findings,
                  cues: CueSet, clause: tuple[int, int]) -> None:
    """Check a problem claim's assertion against the mentions: ruled out, negated, family
    member's, past/resolved or new. Findings go to ``res``."""
    others = [(c.start, c.end) for c in claims if c.type == "PROBLEM" and c is not claim]
    is_ruled_out, temporal = problem_cues(text, claim, others, cues, clause)
    is_ruled_out = (is_ruled_out or gapped_ruled_out(
        text, claim, [c for c in claims if c.type == "PROBLEM"], cues, clause)) and \
        not work_up_reason(text, claim, claims)
    kind = assertion_class(claim, is_ruled_out)
    # "Hypokalemia resolved": ConText may read "resolved" as a negation; the statement
    # says the problem was there and is past, not that it never was. "No prior stroke"
    # stays a denial.
    if temporal == "past" and (kind == "present" or (
            kind == "absent" and said_past_after(text, claim, others, cues, clause))):
        kind = "historical"
    elif kind in ("present", "absent") and not is_ruled_out:
        # "Rhabdomyolysis with AKI resolved": the problems joined by "with" / "and" are one
        # phrase, and the past word after the last is the whole phrase's.
        chain = _joined_after(text, claim, [c for c in claims if c.type == "PROBLEM"])
        if chain and said_past_after(text, chain[-1], [o for o in others if o not in {
                (c.start, c.end) for c in chain}], cues, clause):
            kind = "historical"
    # Only a statement that names no relative: one that does ("her sister has had type 1
    # diabetes since age 12, whereas the patient's own ...") places its anchors itself.
    said_when = anchors(text, *clause) if not KIN_WORD.search(text) else frozenset()
    if said_when and kind in ("present", "historical", "possible"):
        # "He had Kawasaki disease at age 2" where only the sister's line says "at age 2":
        # the anchored fact is the relative's, whatever the patient has now.
        theirs = [m for m in every if m.entity.assertion == "family" and m.anchors & said_when]
        own = [m for m in every if m.entity.assertion != "family" and m.anchors & said_when]
        if theirs and not own:
            when = ", ".join(sorted(_ANCHOR_WORDS[a.split(":", 1)[0]] + a.split(":", 1)[1]
                                    for a in said_when))
            res.contradict("wrong_experiencer", f"source: {claim.text} {when} is a family "
                           f"member's ({theirs[0].note_id}); statement gives it to the patient",
                           theirs[:1])
            return
    by = {k: [m for m in scope if assertion_class(m.entity, m.is_ruled_out) == k]
          for k in ("present", "possible", "historical", "absent", "family")}
    # "hypokalemia, resolved" comes out absent from ConText: it is past, not denied.
    resolved = [m for m in by["absent"] if m.temporal == "past" and not m.is_ruled_out]
    by["absent"] = [m for m in by["absent"] if m not in resolved]
    past = [m for m in by["present"] + by["historical"] if m.temporal == "past"] + resolved
    current = [m for m in by["present"] if m.temporal != "past"]
    if kind == "possible":
        current += by["possible"]
    chronic = [m for m in by["historical"] if m.temporal != "past"]
    if kind in ("present", "possible"):
        last = latest([m for m in every if m.entity.assertion != "family"] or every)
        if last.is_ruled_out and not _excludes(claim, last.entity):
            # "Excluded: closed-loop obstruction" does not exclude the adhesive small bowel
            # obstruction: a subtype's exclusion is not the diagnosis's.
            last = latest([m for m in every if m.entity.assertion != "family"
                           and _excludes(claim, m.entity)] or [last])
        # A status inferred from one "not" ("atorvastatin not an option, myalgias") is no
        # ground for CONTRADICTED while other notes give the problem as the patient's
        # (an intolerance listing myalgias): the notes disagree, so the claim is unsure.
        said_out = last.is_ruled_out or any(m.is_ruled_out and _excludes(claim, m.entity)
                                            for m in every)
        ruled_out = status_of(claim) == "ruled_out" and (
            said_out or not (current or chronic or past))
        # The latest note gives it both ways ("Adhesive small bowel obstruction -- s/p
        # laparotomy" and "Excluded: closed-loop obstruction"): unsure, not CONTRADICTED.
        both_ways = last.is_ruled_out and any(
            m.note_id == last.note_id and not m.is_ruled_out
            and m.entity.assertion == "present" for m in current)
        if both_ways:
            res.unsupported.append(f"{claim.text} (the notes give it both as present and "
                                   "as ruled out)")
        elif status_of(claim) == "ruled_out" and not ruled_out:
            res.unsupported.append(f"{claim.text} (the notes disagree: given as the "
                                   "patient's in one note, as absent in another)")
        elif (ruled_out or last.is_ruled_out) and kind == "possible" \
                and (_UNLIKELY.search(text, *clause) or _WEIGHED_THEN.search(text, *clause)
                     or _told_excluded(text, claim, claims)):
            # "PDPH was felt unlikely": the statement leans the way the notes settled it.
            # "Enteric fever was covered empirically", "was initially suspected": it tells
            # the work-up, which a later exclusion does not undo.
            res.support([last])
        elif ruled_out or last.is_ruled_out:
            res.contradict("ruled_out_as_active", f"source: {claim.text} ruled out "
                           f"({last.note_id}); statement gives it as active", [last])
        elif kind == "present" and current and _latest_only_possible(every):
            # "Possible aspiration pneumonia" is the latest note's word after an earlier
            # "pneumonia": the notes end unsure, so a plain "has pneumonia" is not backed.
            last_own = latest([m for m in every if m.entity.assertion != "family"])
            res.unsupported.append(f"{claim.text} (the latest note, {last_own.note_id}, gives "
                                   "it only as possible)")
        elif not current and chronic and _SAID_ACTIVE.search(text, *clause):
            # "She has active iron deficiency anemia" when the notes list it only in the
            # history: the activity the statement claims is not in the notes.
            res.unsupported.append(f"{claim.text} as active (the notes give it only as "
                                   f"history, {latest(chronic).note_id})")
        elif kind == "present" and (current or chronic) and _said_now(text, claim, clause) \
                and (status_of(claim) == "resolved" or _ended_at_last(every)):
            # "He has an AKI" at discharge when the timeline gives it as resolved: true of
            # the stay, not of now.
            res.unsupported.append(f"{claim.text} now (the notes give it as resolved"
                                   + (f", {latest(past).note_id})" if past else ")"))
        elif current or chronic:
            res.support(current or chronic)
        elif past:
            res.contradict("wrong_temporality", f"source: {claim.text} is past/resolved "
                           f"({latest(past).note_id}); statement gives it as current",
                           [latest(past)])
        elif by["family"]:
            res.contradict("wrong_experiencer", f"source: {claim.text} is a family member's "
                           f"({by['family'][0].note_id}); statement gives it to the patient",
                           by["family"][:1])
        elif by["absent"]:
            reason = ("ruled_out_as_active" if any(m.is_ruled_out for m in by["absent"])
                      else "negation_flip")
            res.contradict(reason, f"source: {claim.text} absent/denied "
                           f"({latest(by['absent']).note_id}); statement: present",
                           [latest(by["absent"])])
        else:
            res.unsupported.append(f"{claim.text} (mentioned only as a possibility)")
    elif kind == "absent":
        own = [m for m in every if m.entity.assertion != "family"]
        last = latest(own) if own else None
        last_own = last.order if last is not None else None
        # Present mentions of the claim's own problem or a narrower one ("viral
        # pericarditis" is not "purulent pericarditis").
        same = [m for m in current if _names_same(claim, m.entity)]
        if by["absent"] and last is not None and \
                assertion_class(last.entity, last.is_ruled_out) == "possible" and \
                latest(by["absent"]).order < last.order:
            # "No mass on the CT" after an earlier film, where the latest note says "a mass
            # cannot be excluded": the notes left it open, so its absence is not confirmed.
            res.unsupported.append(f"no {claim.text} (the latest note, {last.note_id}, "
                                   "still gives it as possible)")
        elif by["absent"] and same and (
                (status_of(claim) == "active"
                 and latest(same).order >= latest(by["absent"]).order)
                or latest(same).order == latest(by["absent"]).order == last_own):
            # "Final diagnosis: acute myocarditis" and, in the same summary, "takotsubo
            # excluded (MRI pattern of myocarditis)": the latest note gives it both ways (or
            # the timeline keeps it the patient's), so "ruled out" is not confirmed.
            res.unsupported.append(f"no {claim.text} (the latest note, "
                                   f"{latest(same).note_id}, gives it as present)")
        elif by["absent"] and same and status_of(claim) == "active" \
                and not any(_excludes(claim, m.entity) for m in by["absent"]):
            # "Giant cell myocarditis considered unlikely" does not deny "myocarditis" that
            # another note gives as present: only a narrower problem is denied, so unsure.
            res.unsupported.append(f"no {claim.text} (the notes deny only "
                                   f"{latest(by['absent']).entity.text})")
        elif by["absent"] and is_ruled_out and not any(m.is_ruled_out for m in by["absent"]) \
                and any(m.entity.assertion == "present" and m.order < latest(by["absent"]).order
                        for m in current):
            # "Hallucinations were ruled out" where a note gave them as present and later
            # ones deny them: they resolved; "ruled out" says they never were.
            res.unsupported.append(f"{claim.text} ruled out (the notes give it as present, "
                                   "then gone: resolved, not ruled out)")
        elif by["absent"]:
            res.support(by["absent"])
        elif current:
            res.contradict("negation_flip", f"source: {claim.text} present "
                           f"({latest(current).note_id}); statement: absent",
                           [latest(current)])
        elif by["possible"] and not (by["historical"] or by["family"] or resolved):
            # "PE unlikely (Wells 1)", "low suspicion for endocarditis": the notes left it
            # possible, so "PE was ruled out" claims more certainty than they have.
            res.unsupported.append(f"{claim.text} ruled out or absent (the notes give it only "
                                   f"as possible or unlikely, {latest(by['possible']).note_id})")
        elif chronic and not by["absent"]:
            # "Gout was ruled out" when the history lists gout and no note denies it: the
            # notes give it as the patient's, so its absence is not confirmed.
            res.unsupported.append(f"no {claim.text} (the notes give it as the patient's, "
                                   f"{latest(chronic).note_id})")
        else:
            res.support(scope)
    elif kind == "historical":
        patient = by["present"] + by["historical"]
        if (any(m.temporal == "new" for m in patient)
                and not any(m.temporal == "past" for m in patient)):
            res.contradict("wrong_temporality", f"source: {claim.text} is new "
                           f"({patient[0].note_id}); statement gives it as past", patient[:1])
        elif patient:
            res.support(patient)
        elif by["family"]:
            res.contradict("wrong_experiencer", f"source: {claim.text} is a family member's "
                           f"({by['family'][0].note_id}); statement gives it to the patient",
                           by["family"][:1])
        elif by["absent"]:
            res.contradict("negation_flip", f"source: {claim.text} absent/denied "
                           f"({by['absent'][0].note_id}); statement: present", by["absent"][:1])
        else:
            res.support(scope)
    elif kind == "family":
        own = [m for m in current + chronic if _names_same(claim, m.entity)]
        said_kin = {kin(w) for w in KIN_WORD.findall(text, 0, claim.start)}
        theirs = {m.relative for m in by["family"]}
        if by["family"] and said_kin and None not in theirs and not said_kin & theirs:
            # "His father has HCM" when the notes give HCM to the brother: the right
            # disease of another relative is not confirmed.
            res.unsupported.append(f"{claim.text} of the {', '.join(sorted(said_kin))} (the "
                                   f"notes give it to the {', '.join(sorted(theirs))})")
        elif by["family"]:
            res.support(by["family"])
        elif own:
            res.contradict("wrong_experiencer", f"source: {claim.text} is the patient's "
                           f"({own[0].note_id}); statement gives it to a family member",
                           own[:1])
        elif current or chronic:
            res.unsupported.append(f"{claim.text} (the notes name a related problem of "
                                   "the patient's, not a relative's)")
        else:
            res.support(scope)
    else:
        res.support(scope)


_JOIN = re.compile(r"\s*(?:,\s*)?(?:with|and|plus|&|/)\s*(?:(?:associated|resulting|"
                   r"secondary)\s+)?", re.IGNORECASE)


def _joined_after(text: str, claim: Entity, problems: list[Entity]) -> list[Entity]:
    """The problems that follow the claim joined to it ("X with Y", "X and Y"), in order."""
    chain: list[Entity] = []
    end = claim.end
    for p in sorted(problems, key=lambda c: c.start):
        if p.start < end:
            continue
        if _JOIN.fullmatch(text, end, p.start) is None:
            break
        chain.append(p)
        end = p.end
    return chain


_ANCHOR_WORDS = {"age": "at age ", "year": "in ", "life": "as a "}
# A statement that gives a problem as the patient's now ("he has", "is in", "remains"),
# and no word of the past.
_NOW_VERB = re.compile(r"\b(?:has|have|is|are|remains?|still|currently|now|ongoing|active|"
                       r"persistent)\b", re.IGNORECASE)
_PAST_WORD = re.compile(r"\b(?:had|was|were|history|prior|previous|previously|resolved|"
                        r"resolving|improved|recovered|during|earlier|initially)\b",
                        re.IGNORECASE)


# A problem named as the reason of a change ("held; due to active infection") is said of the
# time of the change, not of now: its "active" dates the hold.
_AS_REASON = re.compile(r"\b(?:due\s+to|because\s+of|owing\s+to|secondary\s+to|in\s+the\s+"
                        r"setting\s+of|for)\s+(?:[\w-]+\s+){0,3}$", re.IGNORECASE)


def _said_now(text: str, claim: Entity, clause: tuple[int, int]) -> bool:
    """Whether the claim's clause gives the problem as present now (see above)."""
    lo, hi = clause
    if _AS_REASON.search(text[max(lo, claim.start - 60):claim.start]):
        return False
    return _NOW_VERB.search(text, lo, hi) is not None and \
        _PAST_WORD.search(text, lo, hi) is None


def _ended_at_last(every: list[Mention]) -> bool:
    """Whether the latest note naming a problem (a relative's aside apart) gives it only as
    past ("Acute kidney injury - resolved")."""
    own = [m for m in every if m.entity.assertion != "family"]
    if not own:
        return False
    last = latest(own).order
    return all(m.temporal == "past" for m in own if m.order == last)


def _latest_only_possible(every: list[Mention]) -> bool:
    """Whether the latest note naming a problem (a relative's aside apart) gives it only as
    possible, after an earlier note gave it as present."""
    own = [m for m in every if m.entity.assertion != "family"]
    if not own:
        return False
    last_note = latest(own).order
    last = [m for m in own if m.order == last_note]
    return all(assertion_class(m.entity, m.is_ruled_out) == "possible" for m in last) and \
        any(m.entity.assertion == "present" and m.order < last_note for m in own)


def check_test(claim: Entity, scope: list[Mention], res: Findings) -> None:
    """Check a test claim's value against the mentions' values."""
    value = test_value(claim)
    valued = [m for m in scope if test_value(m.entity) is not None]
    if value is None or not valued:
        res.support(scope)
        return
    same = [m for m in valued if abs(test_value(m.entity) - value) <= 1e-6 + abs(value) * 0.005]
    if same:
        res.support(same)
        return
    best = latest(valued)
    res.contradict("wrong_value", f"source ({best.note_id}): {best.entity.text} "
                   f"{best.entity.attributes['value'].text}; statement: {claim.text} "
                   f"{claim.attributes['value'].text}", [best])


