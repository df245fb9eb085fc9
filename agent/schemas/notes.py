"""The input contract: one clinical note."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Note(BaseModel):
    """One clinical note as read from JSON Lines, a .txt file or an API request.

    Unknown extra fields (e.g. ``author_role``, ``encounter_id``) are kept in ``extra``
    so nothing in the user's file is lost; they are not interpreted.
    """

    model_config = ConfigDict(extra="forbid")

    patient_id: str = Field(min_length=1)
    note_id: str = Field(min_length=1)
    note_type: str = "unknown"
    date: str | None = None
    text: str
    extra: dict[str, object] = Field(default_factory=dict)

    @field_validator("patient_id", "note_id", "note_type", mode="before")
    @classmethod
    def _ids_are_strings(cls, value: object) -> object:
        # Integer ids are common in exports (MIMIC ROW_ID); accept them as strings,
        # but never floats/bools/objects, which usually mean a shifted column.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value


def note_order(note: Note | Any) -> tuple[bool, str, str]:
    """The one order of a patient's notes: by date, undated notes last, ties by note id.

    Used by the timeline, the verifier ("latest mention") and the store, so they agree on
    which note is the latest whatever order the notes arrived in. Takes anything with
    ``date`` and ``note_id`` (a stored note row too).
    """
    return (note.date is None, note.date or "", note.note_id)


def sort_notes(notes: list[Note]) -> list[Note]:
    """Notes in :func:`note_order`."""
    return sorted(notes, key=note_order)


class InputIssue(BaseModel):
    """A line (or file) of the input that could not be read, carried into every output
    built from the rest so the output itself says it is partial.

    Holds positions and reasons only, never note text (the reasons come from
    :class:`agent.errors.InputError`, whose messages never quote a note).
    """

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="file name of the input (the folder part is left out)")
    line: int | None = Field(default=None, ge=1, description="1-based line of a JSON Lines "
                             "file; None for a whole .txt file")
    field: str | None = Field(default=None, description="the offending field, None when "
                              "the whole line is unreadable")
    problem: str = Field(description="why the line was skipped, e.g. 'malformed JSON "
                         "(Expecting value at column 47)'")
    patient_id: str | None = Field(default=None, description="the patient the line names, "
                                   "when it could be read; None when unknown or withheld "
                                   "(de-identified output)")
