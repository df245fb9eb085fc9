"""Clinical PHI recognizers, as Presidio ``EntityRecognizer`` classes.

Pattern recognizers are built from ``recognizers.yaml`` entries; a class named in an entry
adds a checksum or format check in ``validate_result()`` (NPI Luhn, DEA check digit, SSN
issuance rules, IPv4 octets). Names, dates and facilities need more than one regex (evidence
around the span, range checks, clinical look-alikes) and have their own classes, with their
word lists in the same YAML file. Importing this module imports Presidio; ``agent.deid``
imports it only when an analyzer is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from presidio_analyzer import EntityRecognizer, RecognizerResult

from agent.deid.labels import edits_at_most_one
from agent.deid.lexicons import disease_words
from agent.deid.name_lexicon import NameLexicon, lexicon_names
from agent.nlp.literal_gate import gated
from agent.schemas.deid import DateRules, HospitalRules, NameRules, RecognizerRule

_META = RecognizerResult.RECOGNIZER_NAME_KEY


def _result(entity: str, start: int, end: int, score: float, name: str) -> RecognizerResult:
    return RecognizerResult(entity, start, end, score, recognition_metadata={_META: name})


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# ---- pattern recognizers from the pack ---------------------------------------------------


class PhiPackPatternRecognizer(EntityRecognizer):
    """Regular expressions of one pack entry; the ``phi`` group, when present, is the span."""

    def __init__(self, rule: RecognizerRule) -> None:
        self.rule = rule
        # Most labels ("SSN", "NPI", "@") are absent from most notes, and a labelled
        # pattern can only match where its label starts: agent.nlp.literal_gate scans
        # only there (or not at all), with the same matches.
        self._patterns = [(p, gated(p.regex, 0 if p.case_sensitive else re.IGNORECASE))
                          for p in rule.patterns]
        self._deny = {d.lower() for d in rule.deny_list}
        super().__init__(supported_entities=self.entities_for(rule), name=rule.name,
                         supported_language="en")

    @staticmethod
    def entities_for(rule: RecognizerRule) -> list[str]:
        return [rule.entity_type]

    def load(self) -> None:
        """Nothing to load: patterns compile in ``__init__``."""

    def validate_result(self, value: str) -> bool:
        """Checksum or format check of a matched value (subclasses); True keeps it."""
        return True

    def entity_of(self, text: str, start: int, end: int) -> str:
        return self.rule.entity_type

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None,
                ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for pattern, rx in self._patterns:
            for m in rx.finditer(text):
                start, end = m.span("phi") if "phi" in rx.groupindex else m.span()
                value = text[start:end]
                if start == end or value.lower() in self._deny or not self.validate_result(value):
                    continue
                results.append(_result(self.entity_of(text, start, end), start, end,
                                       pattern.score, f"{self.name}:{pattern.name}"))
        return results


def luhn_ok(digits: str) -> bool:
    """Luhn check over a digit string (the last digit is the check digit)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


class PhiNpiRecognizer(PhiPackPatternRecognizer):
    """NPI: 10 digits whose Luhn check over the prefix 80840 holds (CMS NPI standard)."""

    def validate_result(self, value: str) -> bool:
        return len(value) == 10 and value.isdigit() and luhn_ok("80840" + value)


class PhiDeaRecognizer(PhiPackPatternRecognizer):
    """DEA registration: 2 letters + 7 digits, (d1+d3+d5) + 2(d2+d4+d6) ends in d7."""

    def validate_result(self, value: str) -> bool:
        digits = value[2:]
        if len(digits) != 7 or not digits.isdigit():
            return False
        d = [int(c) for c in digits]
        return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


class PhiCardRecognizer(PhiPackPatternRecognizer):
    """Payment card numbers (13-19 digits, Luhn) and IBANs (ISO 13616 mod-97)."""

    def validate_result(self, value: str) -> bool:
        compact = value.replace(" ", "").replace("-", "")
        if compact[:2].isalpha():
            digits = "".join(str(int(c, 36)) for c in compact[4:] + compact[:4])
            return 15 <= len(compact) <= 34 and int(digits) % 97 == 1
        return 13 <= len(compact) <= 19 and compact.isdigit() and luhn_ok(compact)


class PhiSsnRecognizer(PhiPackPatternRecognizer):
    """SSN-shaped numbers (3-2-4 digits), valid or not: an invalid area (000, 666, 9xx) is
    still somebody's written identifier, and a leak if left (Safe Harbor removes the
    number as written, not only numbers the SSA could have issued). The last four digits
    written alone or behind a mask ("***-**-6789") identify too."""

    def validate_result(self, value: str) -> bool:
        return len(re.sub(r"\D", "", value)) in (4, 9)


class PhiIpRecognizer(PhiPackPatternRecognizer):
    """IPv4 with octets <= 255; IPv6 only with a hex letter, '::' or 5+ groups (not times)."""

    def validate_result(self, value: str) -> bool:
        if "." in value:
            parts = value.split(".")
            return len(parts) == 4 and all(p.isdigit() and int(p) <= 255 for p in parts)
        groups = value.split(":")
        if value.count("::") > 1 or any(len(g) > 4 for g in groups):
            return False
        return "::" in value or len(groups) >= 5 or bool(re.search(r"[A-Fa-f]", value))


class PhiPhoneRecognizer(PhiPackPatternRecognizer):
    """Phone numbers; a number labelled fax (within the 24 characters before) is a FAX."""

    _FAX = re.compile(r"fax", re.IGNORECASE)

    def validate_result(self, value: str) -> bool:
        # Loose national groupings match: 7 to 15 digits (E.164 maximum) plus an extension.
        digits = re.sub(r"(?:x|ext\.?)\s*\d+$", "", value, flags=re.IGNORECASE)
        return 7 <= sum(c.isdigit() for c in digits) <= 15

    @staticmethod
    def entities_for(rule: RecognizerRule) -> list[str]:
        return ["PHONE", "FAX"]

    def entity_of(self, text: str, start: int, end: int) -> str:
        before = text[max(0, start - 24):start]
        # Only the label closest to the number counts: "tel 555-..., fax 555-..." .
        before = re.split(r"[;\n]|\d{4}", before)[-1]
        return "FAX" if self._FAX.search(before) else "PHONE"


PATTERN_CLASSES: dict[str, type[PhiPackPatternRecognizer]] = {
    "PhiNpiRecognizer": PhiNpiRecognizer, "PhiDeaRecognizer": PhiDeaRecognizer,
    "PhiSsnRecognizer": PhiSsnRecognizer, "PhiCardRecognizer": PhiCardRecognizer,
    "PhiIpRecognizer": PhiIpRecognizer,
    "PhiPhoneRecognizer": PhiPhoneRecognizer,
}


def pattern_recognizer(rule: RecognizerRule) -> PhiPackPatternRecognizer:
    """The recognizer of one pack entry (its ``class`` or the plain pattern recognizer)."""
    cls = PATTERN_CLASSES.get(rule.class_ or "", PhiPackPatternRecognizer)
    return cls(rule)


# ---- dates -------------------------------------------------------------------------------

_MONTH_FULL = ("January|February|March|April|May|June|July|August|September|October|"
               "November|December")
_MONTH_ABBR = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
_MONTH = rf"(?:{_MONTH_FULL}|{_MONTH_ABBR})\.?"
_WEEKDAY = (r"(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tues|Tue|Wed|"
            r"Thurs|Thu|Fri|Sat|Sun)\.?,?\s+)?")
_ORD = r"(?:st|nd|rd|th)?"


_FULL_MONTHS = tuple(m.lower() for m in _MONTH_FULL.split("|") if len(m) >= 5)


def near_month(word: str) -> bool:
    """Whether ``word`` is a full month name of five letters or more with one letter
    added, dropped, changed or two swapped ("Feburary", "Novmber"), and no month itself."""
    low = word.lower()
    return low not in _FULL_MONTHS and any(edits_at_most_one(low, m) for m in _FULL_MONTHS)


class PhiDateRecognizer(EntityRecognizer):
    """Dates more specific than a year, in the formats clinicians write.

    Month/day numbers are range-checked and dropped next to clinical look-alikes listed in
    the pack (``BiPAP 12/5``, ``strength 5/5``, ``7/10 pain``, ``1/2 tab``).
    """

    # (name, regex, score, needs a numeric month/day check)
    PATTERNS: tuple[tuple[str, str, float, bool], ...] = (
        ("iso", r"\b(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})\b", 0.95, True),
        ("mdy", _WEEKDAY + r"\b(?P<m>\d{1,2})(?P<sep>[/.-])(?P<d>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
         r"(?![\d/])", 0.95, True),
        ("md", _WEEKDAY + r"(?<![\d/.])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/]|\.\d|/)", 0.85, True),
        ("my", r"(?<![\d/.])(?P<m>\d{1,2})/(?P<y>(?:19|20)\d{2})\b", 0.9, True),
        ("d_mon_y", r"\b\d{1,2}" + _ORD + r"(?:[- ]|\s+of\s+)" + _MONTH
         + r"(?:(?:[- ]|,\s*)(?:\d{4}|\d{2}\b))?", 0.95, False),
        ("mon_d_y", _WEEKDAY + r"\b" + _MONTH + r"\s+\d{1,2}" + _ORD
         + r"\b(?:,?\s+(?:\d{4}|['’]\d{2}\b))?", 0.95, False),
        # "Nov '23": a month and a short year.
        ("mon_apos_y", r"\b" + _MONTH + r",?\s+['’]\d{2}\b", 0.9, False),
        ("mon_y", r"\b" + _MONTH + r",?\s+(?:of\s+)?(?:19|20)\d{2}\b", 0.9, False),
        ("mon_dash_y", r"\b(?:" + _MONTH_ABBR + r")-(?:\d{4}|\d{2})\b", 0.9, False),
        # "08NOV2026", "8-NOV-26": day, month abbreviation and year run together.
        ("d_mon_y_compact", r"\b\d{1,2}-?(?:" + _MONTH_ABBR + r")-?(?:\d{4}|\d{2})\b", 0.9,
         False),
        # "20260303", "DOB 19420805": year, month and day run together (exports, file
        # names, compact date columns); month and day range-checked, 1900-2099 only.
        ("ymd_compact", r"(?<![\w./-])(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])"
         r"(?P<d>0[1-9]|[12]\d|3[01])(?![\w/-]|\.\d)", 0.7, True),
        # "2026.03.20": year first with dots (European and Asian records).
        ("ymd_dot", r"(?<![\d.])(?P<y>(?:19|20)\d{2})\.(?P<m>\d{1,2})\.(?P<d>\d{1,2})(?!\d|\.\d)",
         0.9, True),
        # "14-III-2024", "3.IV.2025", "14/iii/26": a Roman-numeral month (Central Europe);
        # never with spaces ("CIWA 0-2 X 48 HRS" is a count).
        ("d_roman_y", r"(?<![\w.])(?P<d>\d{1,2})(?P<sep>[-./])(?i:XII|XI|X|IX|VIII|VII|VI|V|"
         r"IV|III|II|I)(?P=sep)(?:\d{4}|\d{2})(?!\w|\.\d)", 0.9, True),
        # "NOV-02-26", "Mar.4.2026": a month abbreviation, the day, the year.
        ("mon_d_y_dash", r"\b(?:" + _MONTH_ABBR + r")[-./](?:\d{1,2})[-./](?:\d{4}|\d{2})\b",
         0.9, False),
        # "1932JUL04", "2026-Mar-03": year first, then the month abbreviation and the day.
        ("y_mon_d", r"\b(?:19|20)\d{2}(?P<sep>[-/.]?)(?:" + _MONTH_ABBR
         + r")(?P=sep)\d{1,2}\b", 0.9, False),
        # "3/Mar/26", "3.Mar.2026": day, month abbreviation, year with slashes or dots.
        ("d_mon_y_sep", r"\b\d{1,2}(?P<sep>[/.])(?:" + _MONTH_ABBR + r")(?P=sep)(?:\d{4}|\d{2})\b",
         0.9, False),
        # "the 19th day of May, 2026": legal and certificate style.
        ("d_day_of_mon", r"\b\d{1,2}" + _ORD + r"\s+day\s+of\s+" + _MONTH
         + r"(?:,?\s*(?:in\s+the\s+year\s+)?(?:\d{4}|['’]\d{2}\b))?", 0.95, False),
        ("holiday", r"\b(?:Christmas(?:\s+(?:Day|Eve))?|Thanksgiving(?:\s+Day)?|New\s+Year['’]?s"
         r"(?:\s+(?:Day|Eve))?|Easter(?:\s+Sunday)?|Halloween|Independence\s+Day|Labor\s+Day|"
         r"Memorial\s+Day|Veterans\s+Day|Valentine['’]?s\s+Day|(?:Mother|Father)['’]?s\s+Day|"
         r"St\.?\s+Patrick['’]?s(?:\s+Day)?|Good\s+Friday|Juneteenth|Presidents['’]?\s+Day|"
         r"(?:Martin\s+Luther\s+King|MLK)(?:\s+Jr\.?)?\s+Day|Fourth\s+of\s+July)\b", 0.9, False),
        # "on 5-21", "since 11-3", "~0600 9-5": a month and day with a dash after a word or
        # time that dates it (a dash alone is a range too often: "2-3 L", "5-10 mg").
        ("md_dash", r"(?:\b(?i:on|since|from|until|till|thru|through|by|of|dated?|dos|dob|"
         r"before|after)\s+|(?<![\d:])\d{4}h?\s+)(?P<phi>(?P<m>\d{1,2})-(?P<d>\d{1,2}))(?![\d/-]|"
         r"\.\d|\s*(?i:mg|mcg|g|ml|l|cc|units?|x|times|days?|weeks?|wks?|months?|hrs?|hours?|"
         r"min|%|beats|bpm|lb|lbs|kg|cm|mm|am|pm|yrs?|years?|tabs?|puffs?|drops?|shifts?|/)\b)",
         0.75, True),
    )
    _MONTH_ALONE = gated(rf"\b(?:{_MONTH_FULL.replace('May|', '')}|{_MONTH_ABBR}|"
                              rf"JANUARY|FEBRUARY|MARCH|APRIL|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|"
                              rf"NOVEMBER|DECEMBER)\b")
    _ORDINAL = gated(r"\b(?i:the)\s+(?P<phi>\d{1,2}(?:st|nd|rd|th))\b")
    _MONTH_BEFORE = re.compile(rf"\b{_MONTH}\s+$", re.IGNORECASE)
    _YEAR_AFTER = re.compile(r",?\s+(?:19|20)\d{2}\b")
    _NEAR_MONTH = gated(
        r"\b(?:(?P<w>[A-Za-z]{5,10})\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:(?:19|20)\d{2}|['’]\d{2})"
        r"|\d{1,2}(?:st|nd|rd|th)?\s+(?P<w2>[A-Za-z]{5,10})\.?,?\s+(?:19|20)\d{2})\b")

    def __init__(self, rules: DateRules) -> None:
        # Most notes hold few month names or holidays: the gates skip what cannot match.
        self._compiled = [(n, gated(rx, re.IGNORECASE if not numeric else 0), s, numeric)
                          for n, rx, s, numeric in self.PATTERNS]
        self._deny_before = re.compile(
            rf"(?:^|[^a-z0-9])(?:{_alternation(w.lower() for w in rules.deny_before)})"
            r"\s*[:=]?\s*$")
        self._deny_after = re.compile(
            rf"^\s*(?:{_alternation(w.lower() for w in rules.deny_after)})(?![a-z])")
        self._ordinal_deny = re.compile(
            rf"^\s*(?:{_alternation(w.lower() for w in rules.ordinal_deny_after)})")
        self._shorthand = frozenset(rules.shorthand)
        super().__init__(supported_entities=["DATE"], name="date", supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    @staticmethod
    def _valid_md(m: re.Match) -> bool:
        groups = m.groupdict()
        month = int(groups["m"]) if groups.get("m") else 1
        day = int(groups["d"]) if groups.get("d") else 1
        if 1 <= month <= 12 and 1 <= day <= 31:
            return True
        # Day first with a four-digit year ("28/04/2026", records from abroad), or with
        # dots and both numbers zero-padded ("26.03.26": a European short date).
        year = groups.get("y") or ""
        padded_dots = (groups.get("sep") == "." and len(groups.get("m") or "") == 2
                       and len(groups.get("d") or "") == 2)
        return (len(year) == 4 or padded_dots) and groups.get("d") is not None \
            and 1 <= day <= 12 and 13 <= month <= 31

    def _look_alike(self, text: str, start: int, end: int) -> bool:
        before = text[max(0, start - 24):start].lower()
        after = text[end:end + 14].lower()
        return bool(self._deny_before.search(before) or self._deny_after.search(after))

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None,
                ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for name, rx, score, numeric in self._compiled:
            for m in rx.finditer(text):
                start, end = m.span("phi" if "phi" in rx.groupindex else 0)
                if numeric and not self._valid_md(m):
                    continue
                if name in ("md", "my") and self._look_alike(text, start, end):
                    continue
                if (m.group() in self._shorthand
                        and re.match(r" [A-Za-z]", text[end:end + 2])):
                    continue
                if (name == "mdy" and m.group("sep") == "." and len(m.group("y")) == 2
                        and not (len(m.group("m")) == len(m.group("d")) == 2)):
                    continue  # "1.5.10" is a version; zero-padded "02.16.26" is a date
                results.append(_result("DATE", start, end, score, f"date:{name}"))
        for m in self._NEAR_MONTH.finditer(text):
            # "Feburary 2, 2026", "12 Sepember 2025": a month misspelt by one letter is
            # still the date (the day and year next to it are the evidence).
            if near_month(m.group("w") or m.group("w2")):
                results.append(_result("DATE", m.start(), m.end(), 0.8, "date:misspelt_month"))
        for m in self._MONTH_ALONE.finditer(text):
            results.append(_result("DATE", m.start(), m.end(), 0.6, "date:month"))
        for m in self._ORDINAL.finditer(text):
            # "March the 5th, 2026": a month written before "the" and a year after belong to
            # the date (read here, from the ordinal, rather than by one more full-text scan).
            month = self._MONTH_BEFORE.search(text, max(0, m.start() - 12), m.start())
            if month is not None:
                year = self._YEAR_AFTER.match(text, m.end())
                results.append(_result("DATE", month.start(), year.end() if year else m.end(),
                                       0.9, "date:month_the_ordinal"))
            elif not self._ordinal_deny.search(text[m.end():m.end() + 16].lower()):
                results.append(_result("DATE", m.start("phi"), m.end("phi"), 0.8,
                                       "date:ordinal"))
        return results


# ---- names -------------------------------------------------------------------------------

# Latin letters with diacritics count ("Krisztián Szöllösy", "Šárka Ottová"); the Latin
# Extended-A block mixes cases, so it is allowed on both sides. A lower-case Arabic article
# joined by a hyphen is part of the surname ("al-Harbi", "el-Sayed").
_UP = "A-ZÀ-ÖØ-ÞĀ-Ž"
_LOW = "a-zß-öø-ÿĀ-ž"
_CAP = (rf"(?:(?:Mc|Mac|O'|D'|De|Di|La|Le|al-|el-)?[{_UP}][{_LOW}]+(?:'[{_LOW}]+)?"
        rf"|[{_UP}][{_UP}'’]+)")
# A lower-case part after a hyphen is part of the given name ("Hye-jin", "Byung-ho").
NAME_TOKEN = rf"{_CAP}(?:-(?:{_CAP}|[{_LOW}]{{2,3}}(?![{_LOW}])))*"
_INIT = r"[A-Z](?:\.(?:[A-Z]\.)?|(?![\w&'/-]))"  # "T.", "T", "J.P."
# Irish (Ó, Ua, Ní, Nic), Arabic (ibn, bint, abu) and Gikuyu (wa) particles too: "Ruairí Ó
# Ceallaigh", "Abdullah ibn Saleh"; none is an English word that could join two names.
_PARTICLE = (r"(?:van|von|de|del|della|da|di|du|la|le|bin|al|ter|ten|der|den|dos|das|"
             r"Ó|ó|Ua|ua|Ní|ní|Nic|nic|ibn|bint|binti|abu|wa)")
# "Wendell T. Pursglove", "A. Grevitt", "Ludwig van Beethoven" (single spaces, one line).
_FORWARD = (rf"(?:{_INIT} (?:{_INIT} )?{NAME_TOKEN}|{NAME_TOKEN}"
            rf"(?: (?:{_PARTICLE} ){{0,2}}(?:{NAME_TOKEN}|{_INIT}(?![a-z]))){{0,3}})")
# "Pursglove, Wendell T.", "TRUELOVE-BAPTISTE, P."
_INVERTED = rf"{NAME_TOKEN}, (?:{NAME_TOKEN}(?: {_INIT}(?![a-z]))?|{_INIT})"
_TOKEN_RX = re.compile(rf"{NAME_TOKEN}|{_INIT}")
# Compiled once: built per word in the spaCy PERSON loop, the long pattern string was
# formatted and looked up in re's cache every time.
_NAME_WORD = re.compile(rf"{NAME_TOKEN}|{_INIT}")
_UPPER_TITLES = frozenset({"dr", "doctor", "prof", "professor", "mrs", "miss", "rev", "fr"})


class PhiNameRecognizer(EntityRecognizer):
    """Person names from evidence around them, a names dictionary and spaCy PERSON.

    Evidence, strongest first: a title before (``Dr.``), a credential after (``, MD``), a
    field label (``Attending:``), a relative (``daughter Nadia``), an inverted
    ``Last, First`` whose first name is in the dictionary, ``First Last`` with a dictionary
    first name, then spaCy PERSON entities. Words that a clinician writes capitalised for
    other reasons (section words, eponyms, drug and disease names) are never names on weak
    evidence; an eponym (``Parkinson's disease``, ``Foley catheter``) never is.
    """

    def __init__(self, rules: NameRules, *, first_names: frozenset[str],
                 surnames: frozenset[str], clinical_words: frozenset[str],
                 lexicon: NameLexicon | None = None) -> None:
        self.first_names = first_names
        self.surnames = surnames
        self.clinical_words = clinical_words
        self.lexicon = lexicon
        self.not_names = frozenset(w.lower() for w in rules.not_names)
        self.allow = frozenset(w.lower() for w in rules.allow_list)
        # Upper-case variants only for titles that are not clinical abbreviations
        # ("MR" is mitral regurgitation, "MS" multiple sclerosis).
        titles = _alternation({*rules.titles, *(t.upper() for t in rules.titles
                                                 if t.rstrip(".").lower() in _UPPER_TITLES)})
        self.not_names |= {t.lower().rstrip(".") for t in rules.titles}
        self.not_names |= {c.lower() for c in rules.credentials}
        creds = _alternation(rules.credentials)
        labels = _alternation(rules.labels)
        relations = _alternation(rules.relations)
        # Never a word run into digits: "MR ACK-7702215" is a record number after "MR".
        # Titles may stack: "Chaplain Fr. Aubertin", "Dr. Prof. Lenz".
        self._title = gated(
            rf"(?<![A-Za-z])(?:{titles})(?![A-Za-z])\.?\s+(?:(?:{titles})(?![A-Za-z])\.?\s+)?"
            rf"(?P<phi>{_FORWARD})(?![\w-]*\d)")
        self._credential = gated(
            rf"(?P<phi>{_INVERTED}|{_FORWARD}),?\s+(?:{creds})(?![A-Za-z])")
        self._label = gated(
            rf"(?:^|(?<=[\s(|/;,]))(?i:{labels})\s*(?::|-{{1,2}}|\|)?[ \t]*"
            rf"(?P<phi>{_INVERTED}|{_FORWARD})", re.MULTILINE)
        self._line_start = gated(rf"^[ \t]*(?P<phi>{_INVERTED}|{_FORWARD})(?=\s{{2,}}|\s*$|"
                                      rf"\s*[|(])", re.MULTILINE)
        self._relation = gated(
            rf"(?<![A-Za-z])(?i:{relations})(?:'s)?\s*(?:\(|,|:|-|\?)?\s*(?:(?i:is|named)\s+)?"
            rf"(?P<phi>{_FORWARD})")
        # 'goes by "Peg"', 'prefers "Bud"': the name a patient is called by.
        self._called = gated(
            r"\b(?i:goes\s+by|prefers(?:\s+to\s+be\s+called)?|called|aka|a\.k\.a\.|nicknamed|"
            r"known\s+as)\s+[\"“](?P<phi>[A-Za-z][A-Za-z'’-]+)[\"”]")
        # A signature line: a dash, a name (an initial, one or two words) and a credential
        # ending the line ("-- P. MAY RN", "-- b. long rn", "- wells cna"). The slot makes
        # the words a name even when they are English words.
        self._signature = gated(
            rf"^[ \t]*[-–—]{{1,2}}[ \t]*(?P<phi>(?:[A-Za-z]\.[ \t]*)?[A-Za-z][A-Za-z'’-]+"
            rf"(?:[ \t]+[A-Za-z][A-Za-z'’-]+)?)[ \t]*,?[ \t]+(?i:{creds})\.?[ \t]*$", re.MULTILINE)
        # "Kwabena Ofori-Atta's Medicare ID", "Pawel's cell": a possessive before what
        # belongs to a person (a phone, an id, a relative, a chart), not to a disease.
        self._possessive_person = gated(
            rf"(?<![\w'’-])(?P<phi>{NAME_TOKEN}(?: {NAME_TOKEN})?)['’]s\s+(?i:(?:(?:new|old|home|"
            rf"work|cell|mobile)\s+)?(?:cell|phone|number|chart|mrn|id|medicare|medicaid|insurance|"
            rf"address|wife|husband|son|daughter|mother|father|brother|sister|mom|dad|family|"
            rf"caregiver|pcp|appointment|room|email|dob|birthday|house|apartment|car))\b")
        # A pasted conversation: "chip: hows my brother" / "rain: icu still" lines, two or
        # more speakers each writing at least twice (section labels are clinical words).
        self._speaker_line = gated(
            r"^[ \t]*(?:\[[^\]\n]{0,25}\][ \t]*)?(?P<phi>[A-Za-z][A-Za-z'’-]{1,15}"
            r"(?:[ \t][A-Za-z][A-Za-z'’-]{1,15})?)[ \t]*:[ \t]+(?=[A-Za-z])", re.MULTILINE)
        # A quoted word after a relative ('SON WALTER JR "BUD"', 'brother "King"') or after
        # asking or calling for someone ('CALLING OUT FOR "RUBY"'): the name they go by.
        self._quoted_person = gated(
            rf"(?:(?<![A-Za-z])(?P<rel>(?i:{relations}))(?:[ \t]+[A-Z][\w.'’-]*){{0,3}}?"
            r"|\b(?i:asking|asks|asked|calling(?:[ \t]+out)?|calls|called|crying|looking|"
            r"screaming|yelling)[ \t]+(?i:for))[ \t]+[\"“](?P<phi>[A-Za-z][A-Za-z'’-]+)[\"”]")
        # Chat exports: "[03/01 07:41] priya v-h: ...", "jp gagnon rn 21:14: ...": the
        # speaker after a bracketed time stamp, or before a credential and a time.
        speaker = r"(?P<phi>[A-Za-z][A-Za-z.'’-]*(?:[ \t]+[A-Za-z][A-Za-z.'’-]*){0,2}?)"
        self._chat_speaker = gated(
            rf"^[ \t]*(?:\[[^\]\n]{{0,20}}\d:\d\d[^\]\n]{{0,6}}\][ \t]*{speaker}[ \t]*:(?=\s)"
            rf"|{speaker.replace('phi', 'phi2')}[ \t]+(?i:{creds})[ \t]+\d{{1,2}}:\d\d[ \t]*:)",
            re.MULTILINE)
        # "Rosa Aldana (sister)", 'asking for "Glo" (wife)': the relation written after.
        self._relation_after = gated(
            rf"(?<![\w'’])(?P<q>[\"“])?(?P<phi>{_FORWARD}|(?<=[\"“])[a-z][a-z'’-]+)"
            rf"(?(q)[\"”])[ \t]*\((?i:{relations})\)")
        # A query or triage line opening on a person and their age and sex ("Blessing
        # Nwachukwu 34F ...", "soo-ah jeong 29 yo w/ lupus", "L.M. Tsinajinnie, 91, from
        # Shiprock", "... to know: Byung-ho Kang, 78M"): any case, any script.
        word = r"(?:(?:[^\W\d_]\.){1,3}|[^\W\d_]+(?:['’-][^\W\d_]+)*)"
        self._before_age = gated(
            rf"(?:^|(?<=[:;|])|\b(?i:pt|patient|re)\b)[ \t]*(?P<phi>{word}(?:[ \t]+{word}){{0,3}})"
            r"[ \t]*,?[ \t]*(?P<age>\d{1,3})[ \t]*(?:(?i:yo|y/o|y\.o\.|yrs?|yof|yom|years?[- ]old"
            r"|-years?-old|[mf])\b|,)", re.MULTILINE)
        self._inverted = gated(rf"(?P<phi>{_INVERTED})")
        self._forward = gated(rf"(?P<phi>{NAME_TOKEN} (?:{_INIT} )?{NAME_TOKEN})")
        # "hi ana,", "thanks, Lindsay", "- lindsay" (messages): a greeting or sign-off.
        self._greeting = gated(
            r"(?:\b(?i:hi|hello|hey|dear|thanks|thank\s+you|regards|cheers)[ \t]*,?[ \t]+"
            r"|^[ \t]*[-–—][ \t]*)(?P<phi>[A-Za-z][a-z'’-]{2,})(?=[ \t]*(?:[,.!\n]|$))",
            re.MULTILINE)
        # "labs for J. Amundsen", "notes for Anselm Greco": a person a query is about.
        self._about = gated(
            rf"\b(?i:for|re:?|regarding|about)[ \t]+(?P<phi>(?:{_INIT} )?{NAME_TOKEN}"
            rf"(?: {NAME_TOKEN})?)(?![\w'’])")
        self._first_initial = gated(
            rf"(?<![\w.])(?P<phi>(?P<first>{NAME_TOKEN}) [A-Z](?:\.|(?=['’]s\b)|(?![\w&'/-])))")
        self._title_initial = gated(
            rf"(?<![A-Za-z])(?:{titles})(?![A-Za-z])\.?\s+(?P<phi>[A-Z]\.(?:\s?[A-Z]\.)?)"
            rf"(?!\s*{NAME_TOKEN})")
        # "Parkinson's disease", "Lou Gehrig's disease" (a first word before the eponym),
        # "Babcock and Kocher clamps" (eponyms sharing one head).
        self._eponym = re.compile(
            rf"^(?:\s+(?:(?:and|or|&)\s+)?[A-Z][a-z]+)?(?:['’]s?)?\s*"
            rf"(?:{_alternation(rules.eponym_heads)})\b",
            re.IGNORECASE)
        super().__init__(supported_entities=["NAME", "AGE"], name="name",
                         supported_language="en")

    def load(self) -> None:
        """Nothing to load: word lists are passed in."""

    # -- token checks
    def _is_field_word(self, token: str) -> bool:
        return token.lower().rstrip(".") in self.not_names

    def is_clinical(self, token: str) -> bool:
        low = token.lower().rstrip(".").removesuffix("'s").removesuffix("’s")
        return (low in self.not_names or low in self.allow or low in self.clinical_words)

    def _trim(self, text: str, start: int, end: int, *, strong: bool) -> tuple[int, int] | None:
        """Drop leading/trailing tokens that are not name words; None when nothing is left."""
        toks = [(m.start() + start, m.end() + start) for m in
                _TOKEN_RX.finditer(text[start:end])]
        # A title is evidence enough for an allow-listed word ("Dr. Parkinson"); section
        # and field words are dropped whatever the evidence.
        drop = self._is_field_word if strong else self.is_clinical
        while toks and drop(text[toks[0][0]:toks[0][1]]):
            toks.pop(0)
        while toks and drop(text[toks[-1][0]:toks[-1][1]]):
            toks.pop()
        if not toks:
            return None
        s, e = toks[0][0], toks[-1][1]
        words = [text[a:b] for a, b in toks if len(text[a:b].rstrip(".")) > 1]
        if not words:
            return None
        if not strong and any(self.is_clinical(w) for w in words):
            return None
        if self._eponym.match(text[e:e + 24]) and not strong:
            return None
        # An all-capitals token of 2-4 letters alone is an abbreviation, not a name.
        if len(words) == 1 and words[0].isupper() and len(words[0]) <= 4 and not strong:
            return None
        return s, e

    def _emit(self, out: list[RecognizerResult], text: str, m: re.Match, score: float,
              how: str, *, strong: bool) -> None:
        span = self._trim(text, m.start("phi"), m.end("phi"), strong=strong)
        if span is not None:
            out.append(_result("NAME", span[0], span[1], score, f"name:{how}"))

    def _known(self, tokens: list[str]) -> bool:
        return any(len(t) >= 3 and (self._in_dict(t, self.first_names)
                                    or self._in_dict(t, self.surnames)) for t in tokens)

    def _in_dict(self, token: str, names: frozenset[str]) -> bool:
        return token.upper().rstrip(".") in names

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None,
                ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for m in self._title.finditer(text):
            self._emit(out, text, m, 0.95, "title", strong=True)
        for m in self._credential.finditer(text):
            toks = _TOKEN_RX.findall(m.group("phi"))
            has_comma = text[m.end("phi"):m.end("phi") + 1] == ","
            if has_comma or len(toks) >= 2 or self._known(toks):
                self._emit(out, text, m, 0.9, "credential", strong=False)
        for m in self._label.finditer(text):
            self._emit(out, text, m, 0.85, "label", strong=False)
        for m in self._relation.finditer(text):
            self._emit(out, text, m, 0.85, "relation", strong=False)
        for m in self._chat_speaker.finditer(text):
            group = "phi" if m.group("phi") else "phi2"
            words = re.findall(r"[A-Za-z][A-Za-z'’-]*", m.group(group))
            # A speaker that is only English or clinical words is a role or a system
            # ("system:", "pharmacy:"), not a person.
            if any(not self.is_clinical(w) and self.lexicon is not None
                   and (not self.lexicon.is_common(w) or self._first_name(w))
                   for w in words if len(w) >= 2):
                out.append(_result("NAME", *m.span(group), 0.92, "name:chat_speaker"))
        out += self._conversation_speakers(text)
        for m in self._possessive_person.finditer(text):
            words = re.findall(r"[A-Za-z][A-Za-z'’-]*", m.group("phi"))
            if words[0][0].isupper() and not any(self.is_clinical(w) for w in words) and (
                    len(words) > 1 or self._known(words) or self.lexicon is None
                    or not self.lexicon.is_common(words[0])):
                out.append(_result("NAME", *m.span("phi"), 0.8, "name:possessive"))
        for m in self._signature.finditer(text):
            words = re.findall(r"[A-Za-z][A-Za-z'’-]+", m.group("phi"))
            initial = re.match(r"[A-Za-z]\.", m.group("phi")) is not None
            # After an initial any word is the surname ("P. MAY"); without one, a section or
            # clinical word is not ("- Plan RN"), an eponym may be ("- wells cna").
            if words and (initial or not all(w.lower() in self.not_names
                                             or w.lower() in self.clinical_words
                                             for w in words)):
                out.append(_result("NAME", *m.span("phi"), 0.85, "name:signature"))
        for m in self._quoted_person.finditer(text):
            word = m.group("phi")
            # A quoted thing asked for ('"water"') is a common word, at most a surname.
            known = self._known([word]) if m.group("rel") else self._first_name(word)
            if not self.is_clinical(word) and (
                    known or self.lexicon is None or not self.lexicon.is_common(word)):
                out.append(_result("NAME", *m.span("phi"), 0.85, "name:quoted_person"))
        for m in self._called.finditer(text):
            if not self.is_clinical(m.group("phi")):
                out.append(_result("NAME", *m.span("phi"), 0.85, "name:called"))
        for m in self._relation_after.finditer(text):
            # A family history writes conditions the same way ("Diabetes (father)").
            toks = [t for t in _TOKEN_RX.findall(m.group("phi")) if len(t.rstrip(".")) > 1]
            # A quoted word before a relation is what the patient calls them ("Bex").
            toks = toks or [m.group("phi")]
            if not any(t.lower() in disease_words() or (
                    self.lexicon is not None and self.lexicon.is_common(t) and not m.group("q")
                    and not self._first_name(t)) for t in toks):
                if m.group("phi").islower():  # a quoted nickname: nothing to trim
                    out.append(_result("NAME", *m.span("phi"), 0.85, "name:relation_after"))
                else:
                    self._emit(out, text, m, 0.85, "relation_after", strong=False)
        for m in self._line_start.finditer(text):
            toks = _TOKEN_RX.findall(m.group("phi"))
            if any(self._in_dict(t, self.first_names) or self._in_dict(t, self.surnames)
                   for t in toks if len(t) > 2) and len(toks) >= 2:
                self._emit(out, text, m, 0.75, "line_start", strong=False)
        for m in self._inverted.finditer(text):
            last, rest = m.group("phi").split(", ", 1)
            first = rest.split(" ")[0]
            # "with CKD, John Williams": a clinical word or an abbreviation before the comma
            # is the end of a phrase, not a surname.
            # "New York, April 2023": a month after the comma is a date, not a first name.
            if self._in_dict(first, self.first_names) and not self._phrase_word(last) \
                    and first.lower() not in self.not_names:
                self._emit(out, text, m, 0.8, "inverted_dict", strong=False)
        for m in self._forward.finditer(text):
            toks = m.group("phi").split(" ")
            first, last = toks[0], toks[-1]
            if (len(first) >= 3 and self._first_name(first) and not first.isupper()
                    and not last.isupper()):
                self._emit(out, text, m, 0.75, "first_last_dict", strong=False)
        for m in self._first_initial.finditer(text):
            # "Sam J.", "John D", "Paul M's case": a dictionary first name and an initial.
            if self._first_name(m.group("first")) and not self.is_clinical(m.group("first")):
                self._emit(out, text, m, 0.75, "first_initial", strong=False)
        for m in self._greeting.finditer(text):
            if self._first_name(m.group("phi")):
                out.append(_result("NAME", m.start("phi"), m.end("phi"), 0.8, "name:greeting"))
        for m in self._about.finditer(text):
            toks = _TOKEN_RX.findall(m.group("phi"))
            words = [t for t in toks if len(t.rstrip(".")) > 1]
            # Both words unknown to English and to the clinic ("for Anselm Greco"), or an
            # initial and a surname ("for J. Amundsen").
            if words and not any(self._phrase_word(w) or w.isupper() for w in words) and (
                    len(toks) >= 2):
                self._emit(out, text, m, 0.7, "about", strong=False)
        out += self._named_before_age(text)
        for m in self._title_initial.finditer(text):
            out.append(_result("NAME", m.start("phi"), m.end("phi"), 0.9, "name:title_initial"))
        if nlp_artifacts is not None:
            for ent in nlp_artifacts.entities:
                if ent.label_ != "PERSON" or re.search(r"\d", ent.text):
                    continue
                if not all(_NAME_WORD.fullmatch(w.strip(",.")) for w in ent.text.split()):
                    continue
                span = self._trim(text, ent.start_char, ent.end_char, strong=False)
                # spaCy's small model calls many lab and exam abbreviations PERSON ("Cr",
                # "Abd"): keep a one-word PERSON only when it is a known name.
                words = _TOKEN_RX.findall(text[span[0]:span[1]]) if span else []
                if span is not None and (self._known(words) or (
                        len(words) >= 2 and all(w[:1].isupper() and not w.isupper()
                                                for w in words))
                        or self._uncommon_word(words)):
                    out.append(_result("NAME", span[0], span[1], 0.6, "name:spacy"))
        if self.lexicon is not None:
            out += lexicon_names(text, self)
        return out

    def _named_before_age(self, text: str) -> list[RecognizerResult]:
        out = []
        for m in self._before_age.finditer(text):
            words = [w for w in re.findall(r"[^\W\d_][^\W\d_'’-]*", m.group("phi"))
                     if len(w) > 1]
            # Every word a possible name part, one at least no English word or a listed
            # name: "Seen today 55M" and "Chest pain 45F" are no one.
            # One word in capitals is as often a measure ("LAVI 44,") as a surname.
            if not words or len(m.group("phi").split()) == 1 and (
                    words[0].isupper() or m.group(0).endswith(",")):
                continue
            if any(self.is_clinical(w) for w in words) or not any(
                    self.lexicon is None or not self.lexicon.is_common(w) or self._known([w])
                    for w in words if len(w) >= 3):
                continue
            out.append(_result("NAME", *m.span("phi"), 0.8, "name:before_age"))
            if 90 <= int(m.group("age")) <= 119:
                out.append(_result("AGE", *m.span("age"), 0.8, "name:age_after_name"))
        return out

    def _conversation_speakers(self, text: str) -> list[RecognizerResult]:
        found = list(self._speaker_line.finditer(text))
        counts: dict[str, int] = {}
        for m in found:
            counts[m.group("phi").lower()] = counts.get(m.group("phi").lower(), 0) + 1
        speakers = {label for label, n in counts.items() if n >= 2 and not any(
            self.is_clinical(w) or w in _NOT_SPEAKERS for w in label.split())}
        if len(speakers) < 2:
            return []
        return [_result("NAME", *m.span("phi"), 0.8, "name:conversation")
                for m in found if m.group("phi").lower() in speakers]

    def _first_name(self, token: str) -> bool:
        """A dictionary first name, hyphenated ones by their parts ("Anne-Marie")."""
        return self._in_dict(token, self.first_names) or (
            "-" in token and all(self._in_dict(p, self.first_names)
                                 for p in token.split("-") if p))

    def _phrase_word(self, word: str) -> bool:
        """A word that ends a clinical phrase rather than starting a name."""
        return (self.is_clinical(word) or (word.isupper() and len(word) <= 5)
                or (self.lexicon is not None and self.lexicon.is_common(word)
                    and not self._in_dict(word, self.surnames)))

    def _uncommon_word(self, words: list[str]) -> bool:
        """One title-case word that is not an English or clinical word (spaCy PERSON)."""
        return (self.lexicon is not None and len(words) == 1 and len(words[0]) >= 3
                and words[0][:1].isupper() and not words[0].isupper()
                and not self.lexicon.is_common(words[0]) and not self.is_clinical(words[0]))


# Roles and message fields that speak in a pasted thread without being anyone's name (the
# pack's section words, titles, credentials and main relatives veto through is_clinical).
_NOT_SPEAKERS = frozenset({
    "mom", "dad", "me", "doc", "charge", "pharmacy", "reply", "subject", "re", "sent", "msg",
    "message", "text", "q", "a", "question", "answer", "provider", "caller", "system", "auto",
    "you", "i", "we", "he", "she", "they", "it", "us", "them", "grandma", "grandpa", "nana",
    "papa", "aunt", "uncle", "cousin", "friend", "neighbor", "caregiver", "tech", "aide", "sw",
    "cm", "intern", "ok", "yes", "update", "dx", "rx", "hx", "sx", "tx", "vs", "bp", "hr", "rr",
    "temp", "spo2", "sat", "sats"})


# ---- facilities and places ---------------------------------------------------------------


_PLACE_PREFIXES = frozenset({"new", "north", "south", "east", "west", "st", "saint", "mt",
                             "mount", "san", "santa", "los", "las", "fort", "port", "lake",
                             "grand", "upper", "lower", "central"})


class PhiHospitalRecognizer(EntityRecognizer):
    """Hospitals, clinics, labs and care facilities: a proper name before a facility word.

    At least one word must be neither generic (``Heart & Vascular Clinic`` is a service) nor
    a clinical or section word.
    """

    # Not a word a number follows: "Makai Clinic May 2021" is a clinic and a date.
    _TOWN_AFTER = re.compile(r"[ \t]+(?:of[ \t]+)?([A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?)"
                             r"(?![A-Za-z]|[ \t]*,?[ \t]*\d)")

    def __init__(self, rules: HospitalRules, *, not_names: frozenset[str],
                 clinical_words: frozenset[str], towns: frozenset[str] = frozenset(),
                 common: frozenset[str] = frozenset()) -> None:
        self.towns = towns
        self.common = common
        # Accented letters count ("Doña Ana Family Health Center").
        word = (r"(?:[A-ZÀ-Þ][a-zß-ÿ]+(?:['’]s)?(?:-[A-ZÀ-Þ][a-zß-ÿ]+(?:['’]s)?)*"
                r"|[A-ZÀ-Þ]{2,}(?:['’]S)?)")
        saint = r"(?:(?:St|Mt|Saint|Mount|ST|MT|SAINT|MOUNT)\.?\s+)?"
        # Title case too: a recased one-case line writes "BRIGHTWATER SNF" as "Snf".
        suffixes = _alternation({v for x in rules.suffixes for v in (x, x.upper(), x.title())})
        self._rx = gated(
            rf"(?P<phi>{saint}{word}"
            rf"(?:[ \t]+(?:&[ \t]+|and[ \t]+|of[ \t]+|for[ \t]+)?{word}){{0,4}}"
            rf"[ \t]+(?:{suffixes})(?:[ \t]+(?:&|and)[ \t]+(?:{suffixes}))?"
            rf"(?:[ \t]+(?:Services|SERVICES|Group|GROUP|Partners|PARTNERS|Network|NETWORK))?)"
            rf"(?![A-Za-z])")
        # "St. Barnaby's", "Mount Sinai's" alone: a saint's or mount's possessive names a
        # hospital, church or school (not "St. John's wort").
        self._saint = gated(
            r"(?<![A-Za-z])(?P<phi>(?:St|Saint|Mt|Mount|ST|SAINT|MT|MOUNT)\.?[ \t]+"
            r"[A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?['’]s)(?![ \t]+(?i:wort|dance|fire|disease)\b)"
            r"(?![\w'’])")
        # "at St. Wenceslaus", "ST. AMBROSE 3 NORTH": a saint's name without the possessive
        # names a hospital, church or town when the name is no English or clinical word
        # (the period or "Saint" tells it from "ST elevation").
        self._saint_bare = gated(
            r"(?<![A-Za-z])(?P<phi>(?:St\.|Saint|Mt\.|Mount|ST\.|SAINT|MT\.|MOUNT)[ \t]+"
            r"(?P<name>[A-Z][a-z]+|[A-Z]{3,}))(?![\w'’-])"
            r"(?![ \t]+(?i:wort|encephalitis|virus|dance|fire|disease)\b)")
        self.generic = frozenset(w.lower() for w in rules.generic_words)
        self.not_names = not_names
        self.clinical = clinical_words
        super().__init__(supported_entities=["HOSPITAL"], name="hospital",
                         supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def _proper(self, word: str) -> bool:
        if not word[:1].isalpha():
            return False
        low = word.lower().rstrip(".").removesuffix("'s")
        return not (low in self.generic or low in self.not_names or low in self.clinical)

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None,
                ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for m in self._rx.finditer(text):
            start, end = m.span("phi")
            words = list(re.finditer(r"\S+", text[start:end]))
            # Leading section or sentence words ("Discharge to", "Follow-up") are not part of it.
            # ... but "New", "North", "St." begin place names ("New York Presbyterian").
            while words and (words[0].group().lower() in ("to", "at", "from", "the", "&",
                                                          "and", "of", "for")
                             or (words[0].group().lower() in self.not_names
                                 and words[0].group().lower().rstrip(".")
                                 not in _PLACE_PREFIXES)):
                words.pop(0)
            if not words or not any(self._proper(w.group()) for w in words):
                continue
            # "Children's Hospital Boston", "Children's Hospital of Philadelphia": the town
            # after the facility word is part of its name.
            town = self._TOWN_AFTER.match(text, end)
            if town is not None and town.group(1).lower() in self.towns:
                end = town.end()
            out.append(_result("HOSPITAL", start + words[0].start(), end, 0.85,
                               "hospital:suffix"))
        out += [_result("HOSPITAL", *m.span("phi"), 0.8, "hospital:saint")
                for m in self._saint.finditer(text)]
        out += [_result("HOSPITAL", *m.span("phi"), 0.7, "hospital:saint_name")
                for m in self._saint_bare.finditer(text)
                if (low := m.group("name").lower()) not in self.common
                and low not in self.clinical and low not in self.not_names]
        return out
