"""Relative day words of a note ("today", "yesterday", "tonight") read against the note's
date, for text shown to a reader days later (chat answers).

Only words whose day follows from the note date alone are resolved: "POD 2" or "hospital
day 3" need an event date the note metadata does not hold, and "overnight" straddles two
days, so they stay as written. The resolved text is a new string; the note is never changed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

# Word (as a regex) -> days from the note date. "last night" is the evening before the note.
RELATIVE_DAY_WORDS: dict[str, int] = {
    r"today": 0,
    r"this (?:morning|afternoon|evening)": 0,
    r"tonight": 0,
    r"yesterday": -1,
    r"last night": -1,
    r"tomorrow": 1,
}
_WORDS = re.compile(
    r"\b(" + "|".join(RELATIVE_DAY_WORDS) + r")\b"
    # Not when the note already gives the date right after the word ("today (3/16)",
    # "today 3/16"): the answer would repeat it.
    r"(?!\s*\(?\d{1,2}/\d{1,2})", re.IGNORECASE)
_OFFSETS = [(re.compile(pattern, re.IGNORECASE), days)
            for pattern, days in RELATIVE_DAY_WORDS.items()]


def parse_note_date(value: str | None) -> date | None:
    """The calendar day of a note's ``date`` ("2026-03-16" or an ISO date-time); None when
    the note is undated or its date is not ISO (then nothing can be derived from it)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def day_label(day: date, reference_year: int | None = None) -> str:
    """``M/D`` as clinicians write it; ``M/D/YYYY`` when the year differs from
    ``reference_year`` (answers spanning a new year stay unambiguous)."""
    if reference_year is not None and day.year != reference_year:
        return f"{day.month}/{day.day}/{day.year}"
    return f"{day.month}/{day.day}"


def resolve_relative_dates(text: str, note_date: str | None, *,
                           reference_year: int | None = None) -> str:
    """``text`` with each relative day word followed by its day: "started today" in a note
    dated 2026-03-16 reads "started today (3/16)".

    Args:
        text: a sentence of the note (or written from it).
        note_date: the note's ``date``; undated (or non-ISO) leaves the text as written.
        reference_year: the year a label may omit (see :func:`day_label`); default the
            note's own year.

    Returns:
        The text with day labels inserted; the same string when nothing was resolved.
    """
    day = parse_note_date(note_date)
    if day is None:
        return text
    year = day.year if reference_year is None else reference_year

    def label(match: re.Match) -> str:
        word = match.group(1)
        days = next(d for pattern, d in _OFFSETS if pattern.fullmatch(word))
        return f"{word} ({day_label(day + timedelta(days=days), year)})"

    return _WORDS.sub(label, text)
