"""Response models of the clinician's workspace views (issue 16): the patient banner, the
timeline of the stay, the labs table and the search within a patient's notes.

Every value read from a note cites its span (:class:`~agent.schemas.summary.Citation`,
offsets into the original note text); values from note metadata or computed ones say so in
``source`` and carry no citation.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.schemas.summary import Citation

BannerSource = Literal["metadata", "header", "derived"]
BANNER_FIELDS: tuple[str, ...] = ("name", "mrn", "dob", "age", "sex", "location", "attending")


class BannerValue(BaseModel):
    """One banner field's value and where it comes from."""

    model_config = ConfigDict(extra="forbid")

    value: str
    citation: Citation | None = Field(default=None, description="the span it was read from "
                                      "(None for metadata and derived values)")
    source: BannerSource = Field(description="metadata: the note's metadata; header: read "
                                 "from the note text (a header label or a shape such as "
                                 "'74 yo M'); derived: computed (age from the date of birth "
                                 "at the latest note date)")
    note_id: str | None = Field(default=None, description="the note it comes from")


class BannerFields(BaseModel):
    """The banner's fields (None: no note gives it)."""

    model_config = ConfigDict(extra="forbid")

    name: BannerValue | None = None
    mrn: BannerValue | None = None
    dob: BannerValue | None = Field(default=None, description="ISO date (YYYY-MM-DD)")
    age: BannerValue | None = Field(default=None, description="years")
    sex: BannerValue | None = Field(default=None, description="'M', 'F' or as written")
    location: BannerValue | None = None
    attending: BannerValue | None = None


class BannerConflict(BaseModel):
    """Notes of one patient that disagree on an identity field: a wrong-patient risk."""

    model_config = ConfigDict(extra="forbid")

    field: Literal["name", "mrn", "dob", "sex"]
    values: list[str] = Field(min_length=2)
    citations: list[Citation | None] = Field(
        default_factory=list, description="where each value was read, same order (None for "
        "a value from note metadata)")


class PatientBanner(BaseModel):
    """``GET /v1/patients/{id}/banner``."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    fields: BannerFields
    conflicts: list[BannerConflict] = Field(default_factory=list)


class NoteSummary(BaseModel):
    """A note of the stay as the timeline's chips show it."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    note_type: str
    date: str | None = None
    title: str
    author: str | None = None


StayEventKind = Literal["admission", "discharge", "procedure", "medication", "problem",
                        "result", "note"]


class StayEvent(BaseModel):
    """One event of the stay."""

    model_config = ConfigDict(extra="forbid")

    date: str | None = None
    note_id: str
    kind: StayEventKind
    text: str
    citation: Citation | None = None


class StayTimeline(BaseModel):
    """``GET /v1/patients/{id}/timeline``: notes and events in date order, undated last."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    notes: list[NoteSummary]
    events: list[StayEvent]


class LabValue(BaseModel):
    """One stated numeric result of a test."""

    model_config = ConfigDict(extra="forbid")

    value: float
    text: str = Field(description="as written, e.g. '1,840 pg/mL' or '<0.01'")
    date: str | None = None
    note_id: str
    citation: Citation = Field(description="the test name and this value")


class LabTest(BaseModel):
    """A test's values across the stay, in date order."""

    model_config = ConfigDict(extra="forbid")

    name: str
    unit: str | None = None
    trend: Literal["up", "down", "steady"] | None = Field(
        default=None, description="first to last value (steady within a few percent); None "
        "with one value")
    values: list[LabValue] = Field(min_length=1)


class LabsTable(BaseModel):
    """``GET /v1/patients/{id}/labs``."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    tests: list[LabTest]


class SearchHit(BaseModel):
    """A match in one note: the matched span and the line(s) around it."""

    model_config = ConfigDict(extra="forbid")

    note_id: str
    date: str | None = None
    start: int
    end: int
    snippet: str
    snippet_start: int


class NoteSearchResult(BaseModel):
    """``GET /v1/patients/{id}/search``."""

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    query: str
    total: int = Field(description="all matches; ``hits`` holds at most ``limit`` of them")
    hits: list[SearchHit]
