"""Rule-file models shared by the timeline, the handoff and the verifier: the cue words of
``agent/rules/cues.json`` and the section roles of ``agent/rules/sections.json``, validated
at load time, plus their compiled forms (:class:`CueSet`, :class:`SectionRoles`).

They live in ``agent.schemas`` so that the verifier (which imports only schemas and errors)
is handed the same compiled cues as the timeline: one vocabulary, one matcher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from agent.schemas.validators import check_regex

CueKind = Literal[
    "medication",        # a verb or label near a drug: stopped, held, started, ...
    "medication_list",   # a sub-header of a medication list ("STOP:", "ON HOLD", "RESUME")
    "switch",            # "switch/changed/transitioned ... X to Y": X is left, Y is taken
    "switch_target",     # the "to" of a switch
    "switch_phrase",     # verifier: "switched X to", "X ... changed to" around one mention
    "single_dose",       # "x1", "bolus", "load": a one-time dose, not a current medication
    "problem",           # resolved / ruled_out / improving next to a diagnosis
    "problem_settled",   # a stay's episode over by its treatment or a measure back to usual
    "problem_ruled_out",  # verifier: ruled out before/after the problem
    "problem_past",      # verifier: h/o, s/p before; resolved after
    "problem_new",       # verifier: new onset before/after
    "drug_status",       # verifier: stopped / held / active next to a drug mention
    "stop_condition",    # "then stop", "stop after": a planned stop
    "negation_before",   # "not" / "never" right before a status word
    "says_now",          # a statement giving a drug as taken now
    "says_current",      # a statement giving a fact as current
    "past_medication",   # a statement speaking of earlier medication ("home", "previously")
    "condition",         # "if" / "when": a change that has not happened yet
    "time_anchor",       # "on 2/11", "on POD 2", "in the ED": a dated moment, not now
    "severity",          # I-PASS illness severity cues
    "code_status",
    "code_status_words",  # any mention of the code status
    "allergy_none",      # NKDA
    "claim_event",       # what a statement says happened: started, stopped, increased, ...
    "filler_word",       # function and framing words a statement needs no evidence for
    "contingency",       # "if ... then / call / notify" sentences
    "todo",              # follow-up and to-do sentences
    "pending",           # pending results
    "statement_scope",   # verifier: a dose schedule, a test threshold, a modal verb
    "denial",            # "no", "without", "negative for": the rest of the clause is denied
]

# The labels each kind may carry; anything else is a rule-file error.
CUE_LABELS: dict[str, tuple[str, ...]] = {
    "medication": ("started", "stopped", "held", "resumed", "dose_changed", "continued",
                   "planned", "not_given"),
    "medication_list": ("started", "stopped", "held", "resumed", "dose_changed", "continued",
                        "not_given", "single_dose"),
    "switch": ("switch",),
    "switch_target": ("to",),
    "switch_phrase": ("from", "to_next", "to_target"),
    "single_dose": ("single_dose",),
    "problem": ("resolved", "ruled_out", "active", "possible"),
    "problem_settled": ("settled",),
    "problem_ruled_out": ("ruled_out",),
    "problem_past": ("past",),
    "problem_new": ("new",),
    "drug_status": ("stopped", "held", "active", "hold_parameters"),
    "stop_condition": ("planned",),
    "negation_before": ("negated", "no_more"),
    "says_now": ("now",),
    "says_current": ("current",),
    "past_medication": ("past", "past_tense"),
    "condition": ("conditional",),
    "time_anchor": ("dated", "discharge"),
    "severity": ("unstable", "watcher", "stable"),
    "code_status": ("full_code", "dnr", "dnr_dni", "comfort"),
    "code_status_words": ("mention",),
    "allergy_none": ("none",),
    "filler_word": ("filler",),
    "denial": ("denied",),
    "claim_event": ("started", "stopped", "held", "resumed", "increased", "decreased",
                    "continued", "given", "developed", "ruled_out", "resolved", "planned",
                    "pending", "removed", "not_yet"),
    "contingency": ("contingency",),
    "statement_scope": ("schedule", "threshold", "modal"),
    "todo": ("todo",),
    "pending": ("pending", "none"),
}


class CueRule(BaseModel):
    """One cue: a case-insensitive regex and what it means.

    ``position`` says where a cue must sit relative to the mention it qualifies:
    ``before`` ("hold lisinopril"), ``after`` ("lisinopril was held", "-- STOPPED") or
    ``either``. ``window`` is how many characters a cue may sit from the mention (the
    verifier's proximity; None = the whole clause). ``multiline`` False makes ``^``/``$``
    the edges of the searched window only (patterns anchored to the text right before or
    after a mention).
    """

    model_config = ConfigDict(extra="forbid")

    kind: CueKind
    label: str
    pattern: str
    position: Literal["before", "after", "either"] = "either"
    window: int | None = None
    multiline: bool = True
    comment: str | None = None

    _regex = field_validator("pattern")(check_regex)

    @model_validator(mode="after")
    def _known_label(self) -> CueRule:
        if self.label not in CUE_LABELS[self.kind]:
            raise ValueError(f"label {self.label!r} is not one of {CUE_LABELS[self.kind]} "
                             f"for kind {self.kind!r}")
        return self


@dataclass(frozen=True)
class CueMatch:
    """A cue found in the text: its label, offsets into the note and the rule position."""

    label: str
    start: int
    end: int
    position: str


class CueSet:
    """The compiled cue rules, grouped by kind: the one cue matcher of the timeline, the
    extractive handoff and the verifier.

    Args:
        rules: validated rules in file order.
    """

    def __init__(self, rules: Iterable[CueRule]) -> None:
        self._by_kind: dict[str, list[tuple[CueRule, re.Pattern[str]]]] = {}
        for rule in rules:
            flags = re.IGNORECASE | (re.MULTILINE if rule.multiline else 0)
            self._by_kind.setdefault(rule.kind, []).append(
                (rule, re.compile(rule.pattern, flags)))
        self._joined: dict[tuple, re.Pattern[str] | None] = {}

    def rules(self, kind: str) -> list[tuple[CueRule, re.Pattern[str]]]:
        """The rules of one kind with their compiled regexes, in file order."""
        return self._by_kind.get(kind, [])

    def find(self, kind: str, text: str, start: int, end: int, *,
             position: str | None = None) -> list[CueMatch]:
        """Cue matches of one kind in ``text[start:end]``, longest first on overlaps.

        A longer cue that covers a shorter one wins ("do not restart" over "restart", "hold
        parameters" over "hold"). Matches are returned in text order, with note offsets.

        Args:
            kind: a cue kind (``medication``, ``severity``...).
            text: the whole note text.
            start: window start.
            end: window end.
            position: keep only rules usable at this side of a mention (``before`` /
                ``after``); ``either`` rules always apply.
        """
        found: list[CueMatch] = []
        window = text[start:end]
        for rule, rx in self.rules(kind):
            if position is not None and rule.position not in (position, "either"):
                continue
            for m in rx.finditer(window):
                if m.end() > m.start():
                    found.append(CueMatch(rule.label, start + m.start(), start + m.end(),
                                          rule.position))
        found.sort(key=lambda c: (-(c.end - c.start), c.start))
        kept: list[CueMatch] = []
        for cue in found:
            if not any(cue.start < k.end and k.start < cue.end for k in kept):
                kept.append(cue)
        return sorted(kept, key=lambda c: c.start)

    def in_line_label(self, kind: str, text: str, pos: int,
                      max_chars: int = 40) -> list[CueMatch]:
        """Cues of a kind in the short label (up to a colon, at most ``max_chars``) that
        opens the line holding ``pos`` before it ("Excluded: ACS, pneumonia", "Considered
        and excluded: UTI"): a list label speaks of every item after it."""
        line_start = text.rfind("\n", 0, pos) + 1
        colon = text.find(":", line_start, pos)
        if colon == -1 or colon - line_start > max_chars:
            return []
        return self.find(kind, text, line_start, colon)

    def regex(self, kind: str, *, label: str | None = None,
              position: str | None = None) -> re.Pattern[str] | None:
        """One regex for the rules of a kind (optionally one label / one side): the
        alternation of their patterns, for callers that search nearest-first themselves.
        None when no rule matches the selection."""
        key = (kind, label, position)
        if key not in self._joined:
            chosen = [(r, rx) for r, rx in self.rules(kind)
                      if (label is None or r.label == label)
                      and (position is None or r.position == position)]
            if not chosen:
                self._joined[key] = None
            elif len(chosen) == 1:
                self._joined[key] = chosen[0][1]
            else:
                self._joined[key] = re.compile("|".join(f"(?:{r.pattern})" for r, _ in chosen),
                                               chosen[0][1].flags)
        return self._joined[key]

    def window(self, kind: str) -> int | None:
        """The proximity window of a kind (the largest of its rules), None = whole clause."""
        sizes = [r.window for r, _ in self.rules(kind) if r.window is not None]
        return max(sizes) if sizes else None

    def says(self, kind: str, text: str, *, label: str | None = None) -> bool:
        """Whether any rule of a kind (optionally one label) matches anywhere in ``text``."""
        rx = self.regex(kind, label=label)
        return rx is not None and rx.search(text) is not None

    def denied_at(self, text: str, at: int) -> bool:
        """Whether a negation word stands right before offset ``at`` ("not given", "never
        started", "is not being restarted"): the event word there is denied, not claimed."""
        return self.says("negation_before", text[max(0, at - 18):at], label="negated")


SectionRole = Literal[
    "narrative",        # narrates what happened before: a drug named here is not a change
    "future",           # instructions and follow-up: changes named here are still to come
    "skip_medications",  # drug names here are not the patient's medications (allergens, family)
    "diagnostic",       # a problem named here is a diagnosis of this stay
    "rule_out",         # an absent problem here was ruled out (not just a pertinent negative)
    "todo",             # to-do sentences of the plan
    "not_severity",     # severity words here describe the past or other people
    "plan",             # the plan: action list and contingencies
    "diagnosis_list",   # a problem named here enters the active problem list
    "problem_list",     # the verifier reports an unmentioned active problem from here
    "family",           # family history: the experiencer is a relative
    "history",          # past history: problems, procedures and tests are historical
    "allergy",          # allergy list
    "plan_ahead",       # tests and procedures named here are still to come
    "prior_study",      # prior studies (radiology COMPARISON)
    "recommends",       # a consultant's advice: a drug named without a change word is advised
]


class SectionRoles(BaseModel):
    """What each section means to the timeline, the handoff and the assertion rules
    (``section_roles`` of ``sections.json``): role -> sections."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: dict[SectionRole, frozenset[str]]

    def has(self, section: str | None, role: SectionRole) -> bool:
        """Whether ``section`` plays ``role`` (None, the text before any header, plays none)."""
        return section is not None and section in self.roles.get(role, frozenset())

    def sections(self, role: SectionRole) -> frozenset[str]:
        """The sections playing ``role``."""
        return self.roles.get(role, frozenset())
