"""Date surrogates: parse a detected date in the format it was written, shift it by the
patient's offset, write it back in the same format.

One offset per patient (from HMAC(secret, patient_id)) keeps every interval between that
patient's dates true. Dates written without a year ("3/14", "March 14th", "the 16th") are
placed in the note's year and month so that shifts across a year or month end stay right.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
_ABBR = [m[:3] for m in _MONTHS]
_MONTH_RX = (r"(?P<mon>january|february|march|april|may|june|july|august|september|october|"
             r"november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?")
_WD = (r"(?P<wd>(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|"
       r"thurs|thu|fri|sat|sun)\.?,?\s+)?")
_ORD = r"(?P<ord>st|nd|rd|th)?"

_FORMS = [
    ("iso", re.compile(r"^(?P<y>\d{4})(?P<s>[-/])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})$")),
    ("mdy", re.compile(_WD + r"(?P<m>\d{1,2})(?P<s>[/.-])(?P<d>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})$",
                       re.I)),
    ("md", re.compile(_WD + r"(?P<m>\d{1,2})/(?P<d>\d{1,2})$", re.I)),
    ("my", re.compile(r"^(?P<m>\d{1,2})/(?P<y>\d{4})$")),
    ("d_mon_y", re.compile(r"^(?P<d>\d{1,2})" + _ORD + r"(?P<s1>[- ]|\s+of\s+)" + _MONTH_RX
                           + r"(?:(?P<s2>[- ]|,\s*)(?P<y>\d{4}|\d{2}))?$", re.I)),
    ("mon_d_y", re.compile(_WD + _MONTH_RX + r"(?P<s1>\s+)(?P<d>\d{1,2})" + _ORD
                           + r"(?:(?P<s2>,?\s+)(?P<y>\d{4}))?$", re.I)),
    ("mon_y", re.compile("^" + _MONTH_RX + r"(?P<s1>,?\s+(?:of\s+)?)(?P<y>\d{4})$", re.I)),
    ("mon_dash_y", re.compile("^" + _MONTH_RX + r"(?P<s1>-)(?P<y>\d{4}|\d{2})$", re.I)),
    ("ordinal", re.compile(r"^(?P<d>\d{1,2})(?P<ord>st|nd|rd|th)$", re.I)),
    ("month", re.compile("^" + _MONTH_RX + "$", re.I)),
]


def _ordinal(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _month_name(month: int, like: str) -> str:
    full = _MONTHS[month - 1]
    word = like.rstrip(".").lower()
    name = full if word in _MONTHS else (full[:4] if word == "sept" and month == 9 else full[:3])
    if like.isupper():
        name = name.upper()
    elif like[:1].isupper():
        name = name.capitalize()
    return name + ("." if like.endswith(".") else "")


def _year(y: str, ref: date) -> int:
    if len(y) == 2:
        century = (ref.year // 100) * 100
        value = century + int(y)
        return value - 100 if value > ref.year + 10 else value
    return int(y)


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def shift_date(surface: str, days: int, reference: date | None) -> str | None:
    """Shift one written date by ``days``, keeping its format.

    Args:
        surface: the date as written ("3/14/2026", "March 14th", "the 16th" without "the").
        days: the patient's offset.
        reference: the note's date, used for dates written without a year or month.

    Returns:
        The shifted date in the same format, or None when the surface cannot be parsed
        (the caller then redacts it).
    """
    ref = reference or date(2000, 6, 15)
    text = surface.strip()
    for form, rx in _FORMS:
        m = rx.match(text)
        if m:
            return _render(form, m, days, ref)
    return None


def _render(form: str, m: re.Match, days: int, ref: date) -> str | None:
    g = m.groupdict()
    wd = g.get("wd") or ""
    if form in ("iso", "mdy", "md"):
        y = _year(g["y"], ref) if g.get("y") else ref.year
        d0 = _safe(y, int(g["m"]), int(g["d"]))
        if d0 is None:
            return None
        d1 = d0 + timedelta(days=days)
        mm = f"{d1.month:02d}" if len(g["m"]) == 2 else str(d1.month)
        dd = f"{d1.day:02d}" if len(g["d"]) == 2 else str(d1.day)
        wd_out = _weekday(d1, wd)
        if form == "iso":
            return f"{d1.year}{g['s']}{mm}{g['s']}{dd}"
        if form == "md":
            return f"{wd_out}{mm}/{dd}"
        yy = str(d1.year) if len(g["y"]) == 4 else f"{d1.year % 100:02d}"
        return f"{wd_out}{mm}{g['s']}{dd}{g['s']}{yy}"
    if form in ("my", "mon_y", "mon_dash_y", "month"):
        month = int(g["m"]) if form == "my" else _month_index(g["mon"])
        y = _year(g["y"], ref) if g.get("y") else ref.year
        d1 = date(y, month, 15) + timedelta(days=days)
        if form == "my":
            return f"{d1.month:02d}/{d1.year}" if len(g["m"]) == 2 else f"{d1.month}/{d1.year}"
        name = _month_name(d1.month, g["mon"])
        if form == "month":
            return name
        yy = str(d1.year) if len(g["y"]) == 4 else f"{d1.year % 100:02d}"
        return f"{name}{g['s1']}{yy}"
    if form == "ordinal":
        d0 = _safe(ref.year, ref.month, int(g["d"]))
        if d0 is None:
            return None
        d1 = d0 + timedelta(days=days)
        return f"{d1.day}{_ordinal(d1.day)}"
    # d_mon_y, mon_d_y
    y = _year(g["y"], ref) if g.get("y") else ref.year
    d0 = _safe(y, _month_index(g["mon"]), int(g["d"]))
    if d0 is None:
        return None
    d1 = d0 + timedelta(days=days)
    name = _month_name(d1.month, g["mon"])
    ordinal = _ordinal(d1.day) if g.get("ord") else ""
    year = ""
    if g.get("y"):
        year = g["s2"] + (str(d1.year) if len(g["y"]) == 4 else f"{d1.year % 100:02d}")
    if form == "d_mon_y":
        return f"{d1.day}{ordinal}{g['s1']}{name}{year}"
    return f"{_weekday(d1, wd)}{name}{g['s1']}{d1.day}{ordinal}{year}"


def _month_index(name: str) -> int:
    low = name.lower().rstrip(".")[:3]
    return _ABBR.index(low) + 1


def _weekday(d: date, like: str) -> str:
    if not like:
        return ""
    word = like.strip().rstrip(",").rstrip(".")
    full = d.strftime("%A")
    name = full if len(word) > 4 else full[:3]
    if word.isupper():
        name = name.upper()
    return like.replace(like.strip().rstrip(",").rstrip("."), name, 1)
