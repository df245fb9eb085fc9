"""Rule-file models of the patient timeline and the extractive handoff
(``verifiers/rules/handoff_cues.json``): cue words as data, validated at load time."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from agent.schemas.validators import check_regex

CueKind = Literal[
    "medication",        # a verb or label near a drug: stopped, held, started, ...
    "medication_list",   # a sub-header of a discharge medication list ("STOP:", "ON HOLD")
    "switch",            # "switch/changed/transitioned ... X to Y": X is left, Y is taken
    "single_dose",       # "x1", "bolus", "load": a one-time dose, not a current medication
    "problem",           # resolved / ruled_out / improving next to a diagnosis
    "severity",          # I-PASS illness severity cues
    "code_status",
    "contingency",       # "if ... then / call / notify" sentences
    "todo",              # follow-up and to-do sentences
    "pending",           # pending results
]

# The labels each kind may carry; anything else is a rule-file error.
CUE_LABELS: dict[str, tuple[str, ...]] = {
    "medication": ("started", "stopped", "held", "resumed", "dose_changed", "continued",
                   "planned"),
    "medication_list": ("started", "stopped", "held", "resumed", "dose_changed", "continued"),
    "switch": ("switch",),
    "single_dose": ("single_dose",),
    "problem": ("resolved", "ruled_out", "active", "possible"),
    "severity": ("unstable", "watcher", "stable"),
    "code_status": ("full_code", "dnr", "dnr_dni", "comfort"),
    "contingency": ("contingency",),
    "todo": ("todo",),
    "pending": ("pending", "none"),
}


class CueRule(BaseModel):
    """One cue: a case-insensitive regex and what it means.

    ``position`` says where a medication cue must sit relative to the drug mention:
    ``before`` ("hold lisinopril"), ``after`` ("lisinopril was held", "-- STOPPED") or
    ``either``. Other kinds ignore it.
    """

    model_config = ConfigDict(extra="forbid")

    kind: CueKind
    label: str
    pattern: str
    position: Literal["before", "after", "either"] = "either"
    comment: str | None = None

    _regex = field_validator("pattern")(check_regex)

    @model_validator(mode="after")
    def _known_label(self) -> CueRule:
        if self.label not in CUE_LABELS[self.kind]:
            raise ValueError(f"label {self.label!r} is not one of {CUE_LABELS[self.kind]} "
                             f"for kind {self.kind!r}")
        return self
