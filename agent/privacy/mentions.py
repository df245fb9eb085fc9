"""Quasi-identifier mentions in note text: ages (under 90: not Safe Harbor identifiers),
sex, ICD-10-CM codes, occupation and country of origin; and the calendar date a detected
date surface names.

Used on original text by the release step (to generalize them) and on de-identified text
by the quasi-identifier table (to measure what a release still says).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from agent.deid.lexicons import country_names

# A date written right after these is a birth date, not an encounter.
BIRTH_CONTEXT = re.compile(r"(?:DOB|D\.O\.B\.?|born|birth(?:day|date)?)\W{0,4}$", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """One quasi-identifier in a text: ``text[start:end]`` is the value."""

    kind: str  # AGE, SEX, CODE, OCCUPATION, COUNTRY
    start: int
    end: int
    value: str


# "74 yo M", "74-year-old", "74 y/o", "age 74", "aged 74", "70-79 yo" (a released band).
_AGE = re.compile(
    r"(?<![\w.])(?P<age>\d{1,3}(?:-\d{1,3})?|90\+)(?=(?:[- ]?(?:year|yr)s?[- ]old|[ ]?(?:yo|y/o|"
    r"y\.o\.)(?![A-Za-z])|[ ]?yoM\b|[ ]?yoF\b))"
    r"|\b(?:age|aged)[ \t]*:?[ \t]*(?P<age2>\d{1,3}(?:-\d{1,3})?|90\+)(?![\w.])", re.IGNORECASE)
_SEX = re.compile(
    r"(?:(?<=\byo )|(?<=\by/o )|(?<=year-old )|(?<=yo)|(?<=\bsex: )|(?<=\bgender: ))"
    r"(?P<sex>M|F|male|female|man|woman)\b"
    r"|\b(?P<word>male|female|gentleman|lady|man|woman)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?P<he>he|him|his)\b|\b(?P<she>she|her|hers)\b", re.IGNORECASE)
# A code in parentheses or brackets, after an ICD label, or heading a list item:
# "(E11.9)", "ICD-10: I50.22", "- K21.0 GERD". Without that context "B12" or "T12" are
# vitamins and vertebrae.
_CODE = re.compile(
    r"(?:(?<=\()|(?<=\[)|(?:ICD(?:-?10(?:-CM)?)?|dx\s+code|code)\s*:?\s*|^[ \t]*[-*\d.)]*[ \t]*)"
    r"(?P<code>[A-TV-Z][0-9][0-9AB](?:\.[0-9A-TV-Z]{1,4})?)(?=[)\],;\s]|$)",
    re.MULTILINE)
_OCCUPATION = re.compile(
    r"(?i)\b(?:occupation|employment|profession)[ \t]*:[ \t]*"
    r"(?P<label>[^\n;.]{2,60}?)[ \t]*(?=[\n;.]|$)"
    r"|\b(?:works|worked|working|employed)[ \t]+as[ \t]+(?:an?[ \t]+)?"
    r"(?P<as>[a-z][a-z -]{2,40}?)(?=[,.;\n]|[ \t]+(?:at|for|in|until|since|and)\b)"
    r"|\b(?P<retired>retired[ \t]+[a-z]+(?:[ \t][a-z]+)?)(?=[,.;\n])")
_COUNTRY = re.compile(
    r"\b(?:originally[ \t]+from|born[ \t]+in|immigrated[ \t]+from|emigrated[ \t]+from|"
    r"native[ \t]+of|moved[ \t]+(?:here[ \t]+)?from|country[ \t]+of[ \t]+origin[ \t]*:?|"
    r"nationality[ \t]*:)[ \t]+(?:the[ \t]+)?"
    r"(?P<country>[A-Z][A-Za-z]+(?:[ \t-](?:and[ \t])?[A-Z][a-z]+){0,2})", re.IGNORECASE)


def _is_occupation(value: str) -> bool:
    # Local import keeps the YAML lookups (agent.privacy.generalize) off the import path of
    # callers that only read ages and codes.
    from agent.privacy.generalize import occupation_group

    return not occupation_group(value).endswith("other occupation")


def find_mentions(text: str) -> list[Mention]:
    """Every age, sex, code, occupation and country-of-origin mention, in text order.

    Ages are reported under 120 only; an occupation after "works as" or "retired" only
    when a group lists one of its words (after an "Occupation:" label, any value).
    """
    out: list[Mention] = []
    for m in _AGE.finditer(text):
        g = "age" if m.group("age") else "age2"
        value = m.group(g)
        first = int(re.match(r"\d+", value).group())
        if first < 120:
            out.append(Mention("AGE", m.start(g), m.end(g), value))
    for m in _SEX.finditer(text):
        g = "sex" if m.group("sex") else "word"
        out.append(Mention("SEX", m.start(g), m.end(g), _sex_of(m.group(g))))
    for m in _CODE.finditer(text):
        out.append(Mention("CODE", m.start("code"), m.end("code"), m.group("code")))
    for m in _OCCUPATION.finditer(text):
        g = next(k for k in ("label", "as", "retired") if m.group(k))
        value = m.group(g).strip()
        if g == "label" or _is_occupation(value):
            out.append(Mention("OCCUPATION", m.start(g), m.start(g) + len(value), value))
    countries = country_names()
    for m in _COUNTRY.finditer(text):
        value = m.group("country")
        # "born in Mexico City": only a country's own name (the longest that is one).
        words = value.split()
        while words and " ".join(words).lower() not in countries | _COMMON_COUNTRIES:
            words.pop()
        if words:
            name = " ".join(words)
            out.append(Mention("COUNTRY", m.start("country"), m.start("country") + len(name),
                               name))
    return sorted(out, key=lambda x: (x.start, x.end))


# Names pytz writes otherwise ("Korea, Republic of", "Viet Nam").
_COMMON_COUNTRIES = frozenset({"south korea", "north korea", "vietnam", "russia", "syria",
                               "iran", "laos", "taiwan", "bolivia", "venezuela", "tanzania",
                               "moldova", "czechia", "ivory coast", "congo", "usa"})


def _sex_of(word: str) -> str:
    w = word.lower()
    return "F" if w in ("f", "female", "woman", "lady") else "M"


def sex_of_text(text: str) -> str | None:
    """``M``/``F`` when the text says it (``74 yo M``, ``female``) or, failing that, its
    third-person pronouns lean clearly one way (3 to 1); else None."""
    said = [m.value for m in find_mentions(text) if m.kind == "SEX"]
    if said:
        return max(set(said), key=said.count)
    he = she = 0
    for m in _PRONOUN.finditer(text):
        he += bool(m.group("he"))
        she += bool(m.group("she"))
    if he >= 3 * max(she, 1) and he >= 2:
        return "M"
    if she >= 3 * max(he, 1) and she >= 2:
        return "F"
    return None


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_NUMERIC = [
    (re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?$"), True),
    (re.compile(r"^(?P<m>\d{1,2})[-/.](?P<d>\d{1,2})[-/.](?P<y>\d{2}|\d{4})$"), True),
    (re.compile(r"^(?P<m>\d{1,2})/(?P<y>\d{4})$"), True),
    (re.compile(r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})$"), False),
]
_WORDY = re.compile(r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?",
                    re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2}|'\d{2})(?!\d)")
_DAY = re.compile(r"(?<![\d:])(?P<d>\d{1,2})(?:st|nd|rd|th)?(?![\d:])")


def parse_date(surface: str, reference: date | None) -> date | None:
    """The date a detected date surface names (day 1 when it names a month only; the
    reference's year or month when the surface leaves them out); None when it names none.

    Args:
        surface: a date as written ("3/14/2026", "March 14th", "2026-03", "14 Mar 26").
        reference: the note's date.
    """
    ref = reference or date(2000, 6, 15)
    text = surface.strip().rstrip(".,")
    for rx, has_year in _NUMERIC:
        m = rx.match(text)
        if m:
            y = int(m.group("y")) if has_year else ref.year
            y = y + (2000 if y < 100 and 2000 + y <= ref.year + 10 else 1900 if y < 100 else 0)
            d = int(m.group("d")) if "d" in m.groupdict() and m.group("d") else 1
            return _safe(y, int(m.group("m")), d)
    mon = _WORDY.search(text)
    if mon is None:
        return None
    month = _MONTHS.index(mon.group("mon").lower()) + 1
    rest = text[:mon.start()] + " " + text[mon.end():]
    ym = _YEAR.search(rest)
    year = ref.year
    if ym:
        raw = ym.group("y").lstrip("'")
        year = int(raw) if len(raw) == 4 else 2000 + int(raw)
        rest = rest[:ym.start()] + " " + rest[ym.end():]
    dm = _DAY.search(rest)
    return _safe(year, month, int(dm.group("d")) if dm else 1)


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None
