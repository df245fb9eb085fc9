"""Place recognizers: addresses in any national format, the towns and postcodes around
them, and spaCy GPE/LOC places.

US street addresses with a USPS suffix are pattern entries of ``recognizers.yaml``. What is
here needs more than one regex: an address written the European way (``Søndergade 52``,
``Rua do Arenque 1634``, house number first or last) is recognised by its shape and its place
in a line, and the lines after it (a flat, a town, a postcode) by their place in the block.
Importing this module imports Presidio.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult

_META = RecognizerResult.RECOGNIZER_NAME_KEY
# A word of letters in any script, and one that starts upper case (Latin, Greek, Cyrillic).
_WORD = r"[^\W\d_][^\W\d_'’.-]*\.?"
_CAPWORD = r"[A-ZÀ-ÖØ-ÞĀ-ŽΆ-ΫА-Я][^\W\d_'’-]+"
_PARTICLE = r"(?:de|del|la|do|da|di|dos|das|du|le|sur|am|an|upon|on)"
_UNIT = r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|APT|SUITE|apt|suite|unit)\.?"
_UNITS_AFTER = ("mg", "mcg", "g", "ml", "units", "unit", "tab", "tabs", "mmhg", "%", "cm", "mm",
                "kg", "lb", "lbs", "bpm", "min", "hr", "hrs", "days", "weeks")


def _result(entity: str, start: int, end: int, score: float, name: str) -> RecognizerResult:
    return RecognizerResult(entity, start, end, score, recognition_metadata={_META: name})


class PhiAddressRecognizer(EntityRecognizer):
    """Street addresses by shape, and the town and postcode lines of an address block.

    - ``5049 Harjukuja 54``, ``86036 Rua do Arenque 1634``, ``846 31 Rue Al Bakri``: a house
      number, one to five words, a number, at the start of a line or after ``at``/``is``/``:``
      and before a comma, a line end or a flat number;
    - a flat or suite alone on its line (``Apt. 656``);
    - ``the corner of Dalbraut 99 and Frederikke Coves``;
    - the line after an address line, when it is one to four words (a town, with an optional
      region code and postcode), and the words after ``<address>,`` on the same line;
    - ``in <Town> 6091``: a capitalised place name followed by a postcode.

    Words that are clinical (drug and disease names, section and unit words) veto a match.
    """

    _STREET = re.compile(
        rf"(?:^[ \t>]*|\b(?:at|is|to|address|with|of|from)[ \t]+|:[ \t]*)"
        rf"(?P<phi>\d{{1,6}}[ \t]+(?:\d{{1,4}}[ \t]+(?:{_WORD}[ \t]+){{0,4}}{_WORD}"
        rf"|(?:{_WORD}[ \t]+){{1,5}}\d{{1,4}}[A-Za-z]?\.?))"
        rf"(?=[ \t]*(?:,|\n|$|{_UNIT}|st\.))", re.MULTILINE)
    _UNIT_LINE = re.compile(rf"^[ \t>]*(?P<phi>{_UNIT}[ \t]*#?[A-Z0-9-]+)[ \t]*$", re.MULTILINE)
    _CORNER = re.compile(
        r"\bcorner\s+of\s+(?P<phi>[^\n,.;]{3,60}?\s+and\s+[^\n,.;]{3,60}?)(?=\s*(?:[.,;\n]|$))",
        re.IGNORECASE)
    _TOWN_LINE = re.compile(
        rf"^[ \t>,]*(?P<town>{_WORD}(?:[ \t]+{_WORD}){{0,3}}?)"
        rf"(?:,?[ \t]+[A-Z]{{2}})?(?:,?[ \t]+(?P<zip>\d{{3,5}}(?:-\d{{3,4}})?))?[ \t]*$")
    _TOWN_AFTER = re.compile(rf"[ \t]*,[ \t]*(?P<town>{_WORD}(?:[ \t]+{_WORD}){{0,3}}?)"
                             rf"(?:,[ \t]*{_WORD}(?:[ \t]+{_WORD})?)?[ \t]*(?=[.!?]|$)",
                             re.MULTILINE)
    _TOWN_POSTCODE = re.compile(
        rf"\b(?:in|from|to|at)[ \t]+(?P<town>{_CAPWORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)*"
        rf"(?:{_CAPWORD}|[A-Z]\b)){{0,3}})[ \t]+(?P<zip>\d{{4,5}}(?:-\d{{3,4}})?)\b")

    def __init__(self, *, skip_words: frozenset[str], regions: frozenset[str]) -> None:
        # skip_words: clinical, section and field words (lower case); regions: countries,
        # states and provinces, which are not HIPAA subdivisions and not towns.
        self.skip = skip_words
        self.regions = regions
        super().__init__(supported_entities=["STREET_ADDRESS", "CITY", "ZIP"],
                         name="address", supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def _clinical(self, words: list[str]) -> bool:
        # Particles ("do", "de") are also credentials in the skip list: only real words count.
        return any(w.lower().rstrip(".").removesuffix("'s") in self.skip
                   for w in words if len(w.rstrip(".")) >= 3)

    def _town(self, text: str, start: int, end: int, out: list[RecognizerResult],
              how: str) -> None:
        surface = text[start:end]
        words = surface.split()
        if (not words or surface.lower() in self.regions or self._clinical(words)
                or surface.lower() == "nan" or not any(len(w) >= 3 for w in words)):
            return
        out.append(_result("CITY", start, end, 0.8, f"address:{how}"))

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None,
                ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        address_lines: list[int] = []  # end offsets of address lines
        for m in self._STREET.finditer(text):
            start, end = m.span("phi")
            words = re.findall(r"[^\W\d_]+", text[start:end])
            after = text[end:end + 8].lower().lstrip()
            if (not any(len(w) >= 4 for w in words) or self._clinical(words)
                    or after.startswith(_UNITS_AFTER) and not after.startswith(("unit ",))):
                continue
            out.append(_result("STREET_ADDRESS", start, end, 0.8, "address:street"))
            address_lines.append(end)
            tail = self._TOWN_AFTER.match(text, end)
            if tail:
                self._town(text, *tail.span("town"), out, "town_after_street")
        for m in self._UNIT_LINE.finditer(text):
            out.append(_result("STREET_ADDRESS", *m.span("phi"), 0.85, "address:unit_line"))
            address_lines.append(m.end())
        for m in self._CORNER.finditer(text):
            words = re.findall(r"[^\W\d_]+", m.group("phi"))
            if not self._clinical(words):
                out.append(_result("STREET_ADDRESS", *m.span("phi"), 0.8, "address:corner"))
        for end in address_lines:
            self._town_line(text, end, out)
        for m in self._TOWN_POSTCODE.finditer(text):
            after = text[m.end():m.end() + 8].lower().lstrip()
            words = m.group("town").split()
            # "PCI to LAD 2019": a year or an abbreviation is not a town and its postcode.
            if (after.startswith(_UNITS_AFTER) or self._clinical(words)
                    or re.fullmatch(r"(?:19|20)\d\d", m.group("zip"))
                    or any(w.isupper() and len(w) <= 4 for w in words)):
                continue
            self._town(text, *m.span("town"), out, "town_postcode")
            out.append(_result("ZIP", *m.span("zip"), 0.75, "address:town_postcode"))
        return out

    def _town_line(self, text: str, end: int, out: list[RecognizerResult]) -> None:
        """The next non-empty line after an address line, when it is a town (and postcode)."""
        nl = text.find("\n", end)
        while nl != -1:
            line_end = text.find("\n", nl + 1)
            line_end = len(text) if line_end == -1 else line_end
            line = text[nl + 1:line_end]
            if line.strip(" \t>"):
                break
            nl = line_end if line_end < len(text) else -1
        if nl == -1:
            return
        m = self._TOWN_LINE.match(line)
        if m is None or self._UNIT_LINE.match(line) or self._STREET.match(line):
            return
        base = nl + 1
        self._town(text, base + m.start("town"), base + m.end("town"), out, "town_line")
        if m.group("zip"):
            out.append(_result("ZIP", base + m.start("zip"), base + m.end("zip"), 0.75,
                               "address:town_line"))


class PhiGeoNerRecognizer(EntityRecognizer):
    """Cities from spaCy GPE/LOC entities that are US place names (``zipcodes``), or follow a
    place preposition, minus states, countries and clinical words."""

    _PREP = re.compile(r"\b(?:in|from|to|near|of|at)\s+$")

    def __init__(self, *, states: frozenset[str], cities: frozenset[str],
                 not_names: frozenset[str], clinical_words: frozenset[str]) -> None:
        self.skip = states | not_names | clinical_words
        self.cities = cities
        super().__init__(supported_entities=["CITY"], name="city_ner", supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None,
                ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        if nlp_artifacts is None:
            return out
        for ent in nlp_artifacts.entities:
            if ent.label_ not in ("GPE", "LOC"):
                continue
            surface = ent.text
            if (surface.lower() in self.skip or not surface[:1].isupper()
                    or (surface.isupper() and len(surface) <= 4)
                    or any(w.lower() in self.skip for w in surface.split())
                    or not re.fullmatch(r"[^\W\d_][^\W\d_ .'-]+", surface)
                    or not (surface.lower() in self.cities or self._PREP.search(
                        text[max(0, ent.start_char - 8):ent.start_char]))):
                continue
            out.append(_result("CITY", ent.start_char, ent.end_char, 0.55, "city:spacy"))
        return out
