"""Counts and dates: the parts of a statement no entity carries.

"Lorazepam was given three times", "the insulin infusion ran until 2/16", "his first
admission": the claim checks confirm the drug and the event, and the coverage gate the
words; a count, an ordinal or a date is a part of its own. A SUPPORTED statement keeps its
badge only when the lines of its evidence state the same count and date (any spelling:
"x2", "twice", "2 doses"; "2/16", "2026-02-16"; a line's note date counts for "today").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORDS = {"once": 1, "twice": 2, "thrice": 3, "single": 1, "one": 1, "two": 2, "three": 3,
          "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
          "eleven": 11, "twelve": 12}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
             "fourth": 4, "4th": 4}
_DATE = re.compile(r"\b(?:(?P<y>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})|"
                   r"(?P<m2>\d{1,2})/(?P<d2>\d{1,2})(?:/\d{2,4})?)\b")
_COUNT = re.compile(r"\b(?:x|×)\s?(?P<x>\d{1,2})\b|(?P<n>(?<![\d./])\d{1,2}(?![\d./%]))"
                    r"(?=\s*(?:times?|doses?|units? of|bags?|days?|episodes?|"
                    r"admissions?|attempts?)\b)|\b(?P<w>" + "|".join(_WORDS) + r")\b",
                    re.IGNORECASE)
_ONCE_AS_COUNT = re.compile(r"\s*(?:[.,;:)]|$|only\b|daily\b|a day\b|per\b|in\b|on\b|at\b)")
_ORDINAL = re.compile(r"\b(?:" + "|".join(_ORDINALS) + r")\b", re.IGNORECASE)


def _inside(pos: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def stated_counts(text: str, covered: list[tuple[int, int]]) -> list[tuple[str, int]]:
    """Counts a statement states outside its claims and attributes: "three times", "x2",
    "twice", "2 doses" (a dose amount or a frequency is an attribute, not a count)."""
    out = []
    for m in _COUNT.finditer(text):
        if _inside(m.start(), covered):
            continue
        if (m.group("w") or "").lower() == "once" and not _ONCE_AS_COUNT.match(text, m.end()):
            continue  # "stopped once apixaban was started": a conjunction, not a count
        value = m.group("x") or m.group("n")
        out.append((m.group(), int(value) if value else _WORDS[m.group("w").lower()]))
    return out


def stated_ordinals(text: str, covered: list[tuple[int, int]]) -> list[tuple[str, int]]:
    """Ordinals a statement states ("his first admission")."""
    return [(m.group(), _ORDINALS[m.group().lower()]) for m in _ORDINAL.finditer(text)
            if not _inside(m.start(), covered)]


def stated_dates(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Month and day of each date a statement states."""
    out = []
    for m in _DATE.finditer(text):
        month, day = (m.group("m1"), m.group("d1")) if m.group("y") else \
            (m.group("m2"), m.group("d2"))
        if 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
            out.append((m.group(), (int(month), int(day))))
    return out


def line_counts(text: str) -> set[int]:
    """The counts a line states: "x2", "2 doses", "twice", "three" (not a dose's "3 mg")."""
    return {n for _, n in stated_counts(text, [])}


def line_ordinals(text: str) -> set[int]:
    """Ordinals a line states."""
    return {_ORDINALS[w.lower()] for w in _ORDINAL.findall(text)}


def line_dates(text: str, note_date: str | None) -> set[tuple[int, int]]:
    """Month and day of each date in a line; the note's date when the line writes none
    ("extubated today" in the 2/5 note is 2/5, "(extubated 2/5)" in the 2/6 note is not
    2/6)."""
    out = {md for _, md in stated_dates(text)}
    if not out and note_date and len(note_date) >= 10:
        out.add((int(note_date[5:7]), int(note_date[8:10])))
    return out
