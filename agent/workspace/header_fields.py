"""``Label: value`` fields of a note's header ("Patient: ...   MRN: 0048...   DOB: ...").

Headers put several fields on one line, separated by two or more spaces, "|", ";", a tab or
simply by the next label, so a value runs from its label to the first of these. The labels
are the user's (``workspace.banner_labels``), matched case-insensitively when followed by
":" or "#"; a label followed by a space only counts where the value has the field's shape
(an MRN holds a digit, a date of birth parses, a sex is M/F/male/..., an attending is a
titled or credentialed name), so a word such as "unit" inside a value
does not cut it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from agent.workspace.person_names import person_at

# Where a header value ends (besides the next label and the end of the line).
_VALUE_END = re.compile(r" {2,}|\t|\||;| / ")

# What may stand before an identity label: the line start or a field separator.
_FIELD_START = re.compile(r"(?:^|[ \t]{2,}|[\t|;/,(.])[ \t]*$", re.MULTILINE)
# Labels that keep their meaning after a qualifier ("ED attending:", "Discharging
# attending:", "ICU bed:").
_QUALIFIABLE = frozenset({"attending", "location"})
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
_DATES = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"(?P<m>\d{1,2})[/.-](?P<d>\d{1,2})[/.-](?P<y>\d{4}|\d{2})\b"),
    re.compile(rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[ -]{_MONTH}[ ,-]+(?P<y>\d{{4}})\b", re.I),
    re.compile(rf"{_MONTH} (?P<d>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<y>\d{{4}})\b", re.I),
)
_SEX = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F"}
_MRN = re.compile(r"[A-Za-z0-9][\w-]*")


@dataclass(frozen=True)
class HeaderValue:
    """A field's value read from the text: ``value`` is normalised (an ISO date of birth,
    "M"/"F"), ``start``/``end`` the span it was read from."""

    field: str
    value: str
    start: int
    end: int


def parse_full_date(text: str, *, today: date | None = None) -> tuple[date, int] | None:
    """A date with day, month and year at the start of ``text`` and the characters it took.

    Two-digit years are put in the past century when they would lie in the future (a date
    of birth is never after ``today``).
    """
    for rx in _DATES:
        m = rx.match(text)
        if m is None:
            continue
        g = m.groupdict()
        year = int(g["y"])
        if len(g["y"]) == 2:
            now = (today or date.today()).year
            year += 2000 if 2000 + year <= now else 1900
        month = _MONTHS.index(g["mon"][:3].lower()) + 1 if g.get("mon") else int(g["m"])
        try:
            return date(year, month, int(g["d"])), m.end()
        except ValueError:
            continue
    return None


def sex_value(word: str) -> str | None:
    """"M"/"F" for the ways notes write a sex, None for other words."""
    return _SEX.get(word.strip(" .,").lower())


class HeaderReader:
    """Reads the configured fields from header lines.

    Args:
        labels: field name -> the labels that name it (``workspace.banner_labels``).
    """

    def __init__(self, labels: Mapping[str, Sequence[str]]) -> None:
        self._field: dict[str, str] = {}
        for field, names in labels.items():
            for label in names:
                self._field[" ".join(label.split()).casefold()] = field
        alternation = "|".join(
            r"\s+".join(re.escape(w) for w in label.split())
            for label in sorted(self._field, key=len, reverse=True))
        self._rx = re.compile(rf"(?<![\w#])(?P<label>{alternation})(?P<sep>\s*[:#]\s*| +)",
                              re.IGNORECASE)

    def read_line(self, text: str, start: int, end: int) -> list[HeaderValue]:
        """The fields on one line ``text[start:end]``, in line order."""
        marks = []
        for m in self._rx.finditer(text, start, end):
            label = " ".join(m.group("label").split()).casefold()
            field = self._field[label]
            if field not in _QUALIFIABLE and not _FIELD_START.search(text, start, m.start()):
                continue  # "Contact name:", "Mother's DOB:" name someone else
            is_strict = ":" in m.group("sep") or "#" in m.group("sep") or label.endswith("#")
            marks.append((m.start(), m.end(), field, is_strict))
        out: list[HeaderValue] = []
        kept = [mk for mk in marks if mk[3]]
        # A label without ":" counts only where its value has the field's shape; it is
        # judged with the strict labels as boundaries.
        for mk in marks:
            if not mk[3]:
                value = self._value(text, mk, _next_start(kept, mk[1], end))
                if value is not None:
                    kept.append(mk)
        kept.sort()
        for i, mk in enumerate(kept):
            stop = kept[i + 1][0] if i + 1 < len(kept) else end
            value = self._value(text, mk, stop)
            if value is not None:
                out.append(value)
        return out

    def _value(self, text: str, mark: tuple, stop: int) -> HeaderValue | None:
        _, begin, field, _ = mark
        cut = _VALUE_END.search(text, begin, stop)
        raw_end = cut.start() if cut else stop
        raw = text[begin:raw_end]
        if not raw.strip():
            return None
        reader = _READERS[field] if mark[3] else _LOOSE_READERS.get(field)
        read = reader(raw) if reader is not None else None
        if read is None:
            return None
        value, a, b = read
        return HeaderValue(field, value, begin + a, begin + b)


def _next_start(marks: list[tuple], after: int, end: int) -> int:
    return min((mk[0] for mk in marks if mk[0] >= after), default=end)


def _trimmed(raw: str, a: int, b: int) -> tuple[int, int]:
    while a < b and raw[a] in " \t:#-":
        a += 1
    while b > a and raw[b - 1] in " \t,.;:(":
        b -= 1
    return a, b


def _read_name(raw: str) -> tuple[str, int, int] | None:
    # A name ends before an age, sex or other data written after it ("Rosaleen X, 91 years,
    # female"); a lone M/F after a space is a sex, "M." an initial.
    m = re.search(r",? *(?:\(|\d|\b(?:male|female|man|woman)\b|(?<= )[MF](?=[ ,]|$))", raw)
    a, b = _trimmed(raw, 0, m.start() if m else len(raw))
    if b < len(raw) and raw[b] == "." and re.search(r"(?:^|[ ,])[A-Z]$", raw[a:b]):
        b += 1  # the period of a final initial ("Wendell T.")
    text = raw[a:b]
    if not text or len(text) > 80 or not re.search(r"[A-Za-z]{2}", text):
        return None
    return " ".join(text.split()), a, b


def _read_mrn(raw: str) -> tuple[str, int, int] | None:
    lead = len(raw) - len(raw.lstrip(" \t:#"))
    m = _MRN.match(raw, lead)
    if m is None:
        return None
    a, b = _trimmed(raw, m.start(), m.end())
    token = raw[a:b]
    if len(token) < 3 or not any(c.isdigit() for c in token):
        return None
    return token, a, b


def _read_dob(raw: str) -> tuple[str, int, int] | None:
    lead = len(raw) - len(raw.lstrip(" \t:#"))
    parsed = parse_full_date(raw[lead:])
    if parsed is None or parsed[0] > date.today():
        return None
    return parsed[0].isoformat(), lead, lead + parsed[1]


def _read_age(raw: str) -> tuple[str, int, int] | None:
    m = re.match(r"\s*(\d{1,3})\b", raw)
    if m is None or int(m.group(1)) > 130:
        return None
    return str(int(m.group(1))), m.start(1), m.end(1)


def _read_sex(raw: str) -> tuple[str, int, int] | None:
    m = re.match(r"\s*([A-Za-z]+)\b", raw)
    if m is None:
        return None
    value = sex_value(m.group(1))
    if value is None:
        # Other words are kept as written when they are short ("X", "nonbinary"); a long
        # run of text is not a sex field.
        if len(m.group(1)) > 12 or len(raw.split()) > 2:
            return None
        value = m.group(1)
    return value, m.start(1), m.end(1)


def _read_location(raw: str) -> tuple[str, int, int] | None:
    a, b = _trimmed(raw, 0, len(raw))
    if b <= a or b - a > 40:
        return None
    return " ".join(raw[a:b].split()), a, b


def _read_attending(raw: str) -> tuple[str, int, int] | None:
    lead = len(raw) - len(raw.lstrip(" \t:#"))
    span = person_at(raw[lead:])
    if span is None:
        return None
    a, b = lead + span[0], lead + span[1]
    return raw[a:b], a, b


def _read_loose_attending(raw: str) -> tuple[str, int, int] | None:
    lead = len(raw) - len(raw.lstrip(" \t"))
    span = person_at(raw[lead:], needs_credential=True)
    if span is None:
        return None
    return raw[lead + span[0]:lead + span[1]], lead + span[0], lead + span[1]


_READERS = {"name": _read_name, "mrn": _read_mrn, "dob": _read_dob, "age": _read_age,
            "sex": _read_sex, "location": _read_location, "attending": _read_attending}
# Without ":" only fields whose value has a shape of its own are read: a name or a
# location could be any words.
# "Age" needs its colon too: "since age 11" is not the patient's age.
_LOOSE_READERS = {"mrn": _read_mrn, "dob": _read_dob, "sex": _read_sex,
                  "attending": _read_loose_attending}
