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

from agent.nlp.first_chars import compile_skipping
from agent.nlp.literal_gate import gated

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

    Words that are clinical (drug and disease names, section and unit words) veto a match;
    a house number never starts with 0 (a clock time: "at 0315 SBP dropped to 82").
    """

    _STREET = compile_skipping(
        rf"(?:^[ \t>]*|\b(?:at|is|to|address|with|of|from)[ \t]+|:[ \t]*)"
        rf"(?P<phi>[1-9]\d{{0,5}}[ \t]+(?:\d{{1,4}}[ \t]+(?:{_WORD}[ \t]+){{0,4}}{_WORD}"
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
    _TOWN_POSTCODE = compile_skipping(
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


# A care preposition, then a capitalised phrase: where a patient was seen, admitted, sent.
_SLOT_WORD = (r"(?:(?:St|Mt|Ft|Med|Hosp|Ctr|Univ)\.|[A-Z][a-z]+(?:['’]s)?(?![\w’'])"
              r"|[A-Z]{2,6}(?:['’]s)?(?![\w’']))")
_FACILITY_NOUN = (r"(?:downtown\s+|main\s+|outpatient\s+)?(?:clinic|facility|branch|office|center|"
                  r"centre|hospital|hosp\.?|med(?:ical)?\.?\s+c(?:en)?te?r\.?|med\.?|er|ed|campus|"
                  r"practice|urgent\s+care|location|site|rehab|nursing\s+home)")


_CARE_VERB = re.compile(
    r"\b(?:seen|treated|admitted|presented|presenting|transferred|transfer|followed|evaluated|"
    r"assessed|reviewed|operated|observed|visited|visit|discharged|referred|ref'd|diagnosed|"
    r"hospitali[sz]ed|hospitali[sz]ation|admission|admit|stay|managed|examined|consulted|"
    r"surgery|checked in|appointment|appt|seen by|"
    r"records?|care|sent|went|came|moved|lives?|living|resides?|works?)\b[^;\n]*$",
    re.IGNORECASE)
# Hospital abbreviations end in a facility letter pair ("UCMC", "NSHC", "DPVH").
FACILITY_ACRONYM = re.compile(r"[A-Z]{1,4}(?:MC|HC|VH|MH|CH|GH|VA)")
_NOT_FACILITY_HEADS = frozenset({"study", "studies", "trial", "trials", "registry", "cohort",
                                 "criteria", "score", "scale", "guidelines", "guideline",
                                 "protocol", "classification", "index", "questionnaire"})
_FUNCTION_WORDS = frozenset({"on", "in", "at", "for", "and", "with", "to", "from", "last", "since",
                             "where", "who", "which", "during", "before", "after", "by", "via",
                             "or", "under", "until", "recently", "previously", "earlier"})


_MONTH_TAIL = re.compile(r"[ \t]+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
                         r"[a-z]*\.?$")


class PhiCareSlotRecognizer(EntityRecognizer):
    """Facilities and towns named without a facility word, by the slot they stand in.

    ``seen at Cedar Sinai on 3/10``, ``admitted to Stanford``, ``transferred from UCMC``,
    ``seen in San Fran``, ``our Dallas clinic``: a capitalised phrase (proper words,
    acronyms, ``St.``/``Mt.``) right after ``at``/``to``/``from``/``in``, with an optional
    facility noun after it. The phrase is a town when the gazetteer knows it and no
    facility noun follows, else a facility. Vetoes: section, unit, service and clinical
    words (``transferred to MICU``, ``switched to Keflex``), months and days, titles
    (``referred to Dr. Lee`` is a name's), states and countries. Text written in capitals
    has no capitalised phrases to find: the slot is not used there (the gazetteers are).
    """

    _RX = gated(
        rf"(?:(?<![A-Za-z])(?:at|to|from|in|into|near|From|At)[ \t]+"
        rf"(?:the[ \t]+|our[ \t]+|an?[ \t]+)?"
        rf"|@[ \t]*"
        rf"|(?P<our>our|their|the)[ \t]+)"
        rf"(?P<phi>{_SLOT_WORD}(?:(?:[ \t]+(?:&[ \t]+|of[ \t]+|and[ \t]+)?|-){_SLOT_WORD}){{0,4}})"
        rf"(?P<noun>[ \t]+{_FACILITY_NOUN}\b)?")

    def __init__(self, *, skip_words: frozenset[str], regions: frozenset[str],
                 places: frozenset[str], titles: frozenset[str],
                 suffix_words: frozenset[str] = frozenset()) -> None:
        self.skip = skip_words
        self.suffix_words = suffix_words
        self.regions = regions
        self.places = places
        self.titles = titles
        super().__init__(supported_entities=["HOSPITAL", "CITY"], name="care_slot",
                         supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def _vetoed(self, words: list[str]) -> bool:
        first = words[0].lower().rstrip(".")
        if first in self.titles:
            return True
        # Every word generic or clinical: a unit, a service, a drug, a month.
        return all(w.lower().rstrip(".").removesuffix("'s").removesuffix("’s") in self.skip
                   or w == "&" for w in words)

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None,
                ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        if _mostly_capitals(text):
            return out
        for m in self._RX.finditer(text):
            start, end = m.span("phi")
            # "at St. Wenceslaus Dec 3 2025": a month before a number starts a date.
            tail = _MONTH_TAIL.search(text, start, end)
            if tail is not None and tail.start() > start and re.match(r"[ \t]*\d", text[end:]):
                end = tail.start()
            words = re.findall(r"[^\s-]+", text[start:end])
            surface = " ".join(words).lower()
            head = text[max(0, m.start() - 1):start].strip().lower()
            if surface in self.regions or (self._vetoed(words) and not (
                    len(words) >= 2 and words[-1].lower() in self.suffix_words
                    and head.split()[:1] in (["at"], ["to"], ["from"]))):
                # Service words alone name no facility ("in Heart & Vascular Clinic"), but
                # "admitted to City Hospital", "at County General" do.
                continue
            if words[-1].lower() in _NOT_FACILITY_HEADS:
                continue  # "in the Framingham Heart Study": a study, a trial, a score
            noun = m.group("noun")
            if m.group("our") and noun is None:
                continue  # "our Dallas clinic" needs its facility noun
            if noun is None and surface not in self.places and all(
                    w.isupper() for w in words) and not _CARE_VERB.search(
                    text, max(0, start - 45), start) and not FACILITY_ACRONYM.fullmatch(
                    words[-1]):
                # An abbreviation alone ("PCI to LAD", "in AF") needs a care verb before it
                # ("seen at UCSF", "transferred from UCMC"), a facility noun or a town.
                continue
            if noun is None and len(words) == 1 and words[0].isupper():
                # An acronym alone after a preposition: a facility ("seen at UCSF") unless
                # a lower-case word follows it ("allergic to ACE inhibitors").
                after = re.match(r"[ \t]+([a-z]+)", text[end:end + 20])
                if after and after.group(1) not in _FUNCTION_WORDS:
                    continue
            elif noun is None and surface in self.places:
                out.append(_result("CITY", start, end, 0.7, "care_slot:town"))
                continue
            if noun is not None:
                end = m.end("noun")
            # With its facility noun the slot is surer than a town inside it.
            # With its facility noun, or longer than a town inside it ("New York
            # Presbyterian"), the slot is surer than the town.
            out.append(_result("HOSPITAL", start, end,
                               0.75 if noun else 0.72 if len(words) > 1 else 0.65,
                               "care_slot:facility_noun" if noun else "care_slot:facility"))
        return out


class PhiGazetteerRecognizer(EntityRecognizer):
    """Towns of two or three capitalised words that the gazetteer knows ("San Francisco",
    "New York City", "Los Angeles"), anywhere; one-word towns only before a state
    ("Fairfield, CT"). A first name followed by a surname ("Mary Esther") is left to the
    name recognizer unless a state follows."""

    # Accented letters count ("Doña Ana County", "Québec City", "Zürich").
    _RUN = compile_skipping(r"(?<![A-Za-zÀ-ÿ])[A-ZÀ-Þ][a-zß-ÿ]+(?:[ \t-][A-ZÀ-Þ][a-zß-ÿ]+){1,2}"
                            r"(?![A-Za-zÀ-ÿ])")
    # "Québec City", "Doña Ana County": a known town and the word that says what it is.
    _KIND = frozenset({"city", "county", "parish", "township", "borough"})
    _ONE_BEFORE_STATE = compile_skipping(r"(?<![A-Za-z])(?P<phi>[A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?)"
                                         r",?[ \t]+(?P<st>[A-Z]{2})(?![A-Za-z])")

    def __init__(self, *, places: frozenset[str], skip_words: frozenset[str],
                 state_codes: frozenset[str], first_names: frozenset[str]) -> None:
        self.places = places
        self.skip = skip_words
        self.state_codes = state_codes
        self.first_names = first_names
        super().__init__(supported_entities=["CITY"], name="gazetteer", supported_language="en")

    def load(self) -> None:
        """Nothing to load."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None,
                ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for m in self._RUN.finditer(text):
            words = re.split(r"[ \t-]", m.group())
            # Longest known town inside the run ("Los Angeles" in "Los Angeles County");
            # one word only with its kind after it ("Québec City").
            for n in range(len(words), 0, -1):
                if n == 1 and not (len(words) > 1 and words[1].lower() in self._KIND):
                    break
                for i in range(len(words) - n + 1):
                    name = " ".join(words[i:i + n]).lower()
                    if name not in self.places or all(w.lower() in self.skip
                                                      for w in words[i:i + n]):
                        continue
                    if words[i].upper() in self.first_names and n == 2:
                        continue  # "Mary Esther": a person more often than a town
                    a = m.start() + len(" ".join(words[:i])) + (1 if i else 0)
                    end = a + len(name)
                    if i + n < len(words) and words[i + n].lower() in self._KIND:
                        end += 1 + len(words[i + n])
                    out.append(_result("CITY", a, end, 0.7, "gazetteer:town"))
                    break
                else:
                    continue
                break
        for m in self._ONE_BEFORE_STATE.finditer(text):
            if m.group("st").lower() not in self.state_codes:
                continue
            name = m.group("phi").lower()
            if name in self.places and name not in self.skip:
                out.append(_result("CITY", m.start("phi"), m.end("phi"), 0.8,
                                   "gazetteer:town_state"))
        return out


def _mostly_capitals(text: str) -> bool:
    """Whether a text is written in capitals (nursing notes, old systems)."""
    if text.isascii():
        # Counted in C; an ASCII capital is a letter, so the count is the same.
        letters, upper = sum(map(str.isalpha, text)), sum(map(str.isupper, text))
    else:
        alpha = [c for c in text if c.isalpha()]
        letters, upper = len(alpha), sum(c.isupper() for c in alpha)
    return letters >= 20 and upper > 0.6 * letters
