"""Models of the patient timeline and the handoff summary (``clinagent handoff``).

Facts, not prose, are carried between levels: every timeline item and every summary statement
cites its evidence as note id + character offsets into the original note (end exclusive).
Nothing is dropped: a statement the verifier cannot support keeps its place and carries the
verdict (:mod:`agent.schemas.verification`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.schemas.extraction import Provenance
from agent.schemas.notes import InputIssue
from agent.schemas.verification import Verification


class Citation(BaseModel):
    """A span of one source note that a fact rests on."""

    model_config = ConfigDict(extra="forbid")

    note_id: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Citation:
        if self.end <= self.start:
            raise ValueError(f"citation end {self.end} must be after start {self.start}")
        return self


# --- Patient timeline: the extracted entities of all notes, reconciled -------------------

MedicationChange = Literal[
    "started", "continued", "dose_changed", "held", "resumed", "stopped", "mentioned",
]
MedicationStatus = Literal["active", "held", "stopped", "unknown"]
ProblemStatus = Literal["active", "resolved", "ruled_out", "possible", "historical", "revised"]


class TimelineEvent(BaseModel):
    """One observation of an item in one note (the note's date orders events)."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    date: str | None = None
    change: str = Field(description="started/stopped/dose_changed/... for medications; "
                        "active/resolved/ruled_out/... for problems")
    detail: str | None = Field(default=None, description="e.g. 'dose 40 mg -> 80 mg'")
    citation: Citation
    reason: str | None = Field(
        default=None, description="why the drug was stopped, held, started or changed, from "
        "the note's relations (agent.relations): the adverse effect or contraindication of "
        "a stop or hold, the problem a start treats; '(possible)' when hedged")
    reason_citation: Citation | None = None


class MedicationTrack(BaseModel):
    """One drug (by canonical ingredient) across the stay."""

    model_config = ConfigDict(extra="forbid")

    name: str
    status: MedicationStatus
    dose: str | None = None
    route: str | None = None
    frequency: str | None = None
    prn: bool = False
    indication: str | None = None
    last_change: MedicationChange = "mentioned"
    events: list[TimelineEvent] = Field(min_length=1)
    discharge_status: MedicationStatus | None = Field(
        default=None, description="the status after the (last) discharge summary, when the "
        "record has one: what the patient goes home on; `status` is at the last note")
    on_discharge_list: bool | None = Field(
        default=None, description="named on the discharge medication list (None: the record "
        "has no discharge list)")


class ProblemTrack(BaseModel):
    """One problem/diagnosis across the stay (patient's own; family history is separate)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    status: ProblemStatus
    codes: list[str] = Field(default_factory=list, description="ICD-10-CM candidates")
    events: list[TimelineEvent] = Field(min_length=1)


class TimelineItem(BaseModel):
    """An allergy, a pending result / to-do, the code status, or a family-history item."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["allergy", "pending", "todo", "code_status", "family_history"]
    text: str
    detail: str | None = Field(default=None, description="e.g. the allergy reaction")
    citations: list[Citation] = Field(min_length=1)


class NoteRef(BaseModel):
    """A source note of the timeline, in date order."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    note_type: str = "unknown"
    date: str | None = None


class PatientTimeline(BaseModel):
    """All of one patient's notes reconciled into tracks (``agent.handoff.timeline``)."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    notes: list[NoteRef]
    medications: list[MedicationTrack] = Field(default_factory=list)
    problems: list[ProblemTrack] = Field(default_factory=list)
    items: list[TimelineItem] = Field(default_factory=list)


# --- Handoff summary (I-PASS) -----------------------------------------------------------

HandoffSection = Literal[
    "illness_severity",        # I: stable / watcher / unstable
    "patient_summary",         # P: summary statement, events leading up, hospital course
    "active_problems",
    "medications",             # current medications with changes
    "allergies",
    "pending",                 # pending results and to-dos
    "action_list",             # A
    "situation_awareness",     # S: contingencies ("if X then Y"), code status
]
HANDOFF_SECTIONS: tuple[str, ...] = (
    "illness_severity", "patient_summary", "active_problems", "medications", "allergies",
    "pending", "action_list", "situation_awareness",
)


class Statement(BaseModel):
    """One sentence of a summary with its evidence and, once checked, its verification.

    ``text`` is what a reader sees. ``citations`` may be empty only for statements that
    come from outside clinagent (``clinagent verify`` on a human summary); those are
    checked by searching the notes.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    section: HandoffSection
    text: str = Field(min_length=1)
    citations: list[Citation] = Field(default_factory=list)
    verification: Verification | None = None
    origin: Literal["extractive", "llm", "external"] = "extractive"


class Omission(BaseModel):
    """An important timeline fact the summary does not mention (reported, not added)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["problem", "medication", "medication_change", "allergy", "pending",
                  "code_status"]
    text: str
    citations: list[Citation] = Field(min_length=1)


class LLMCallRecord(BaseModel):
    """One LLM call of a hierarchical summary: which level, what it cost."""

    model_config = ConfigDict(extra="forbid")

    level: Literal["section", "note", "patient", "chat"]
    scope: str = Field(description="note id, 'note_id:section' or patient id")
    prompt: str = Field(description="prompt id@version")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 1
    seconds: float = 0.0
    error: str | None = Field(default=None, description="why the call failed (the level "
                              "then falls back to the extractive statements)")


class HandoffSummary(BaseModel):
    """The handoff of one patient (``clinagent handoff --format json``)."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    generated_at: str = Field(description="ISO 8601 UTC")
    mode: Literal["extractive", "llm", "external"]
    note_ids: list[str]
    statements: list[Statement]
    omissions: list[Omission] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list, description="run-level warnings, e.g. "
                             "'LLM backend unreachable: extractive summary'")
    llm_calls: list[LLMCallRecord] = Field(default_factory=list)
    input_issues: list[InputIssue] = Field(
        default_factory=list, description="input lines that could not be read and may have "
        "held notes of this patient: when not empty, the summary is built from fewer notes "
        "than the input held (line numbers and reasons, never note text)")
    provenance: Provenance
