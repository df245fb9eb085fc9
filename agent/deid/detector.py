"""PHI detection: the :class:`Detector` (the Presidio analyzer with the clinical recognizer
pack, built once) and ``detect()``.

``detect(text) -> list[PhiSpan]`` runs the Presidio ``AnalyzerEngine`` (spaCy
``en_core_web_sm`` for PERSON/GPE entities, plus the clinical recognizers of
``recognizers.yaml``), resolves overlaps (higher score, then longer span, wins) and, given a
:class:`PatientMemory`, adds every other mention of identifiers already found in the same
patient's notes (``Pt Quintanilla-Brooke`` in a nursing note, ``Willowmere`` after
``Willowmere Assisted Living``).

Everything heavy (Presidio, spaCy, vocabularies) loads on first use, never at import.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from agent.deadline import checkpoint
from agent.deid.casing import TOWN_ENDING_PHRASE, Recaser, one_case
from agent.deid.labels import glued_label_spans
from agent.deid.lexicons import (
    PERSON_TITLES,
    city_names,
    clinical_words,
    country_names,
    disease_words,
    name_dictionaries,
    state_names,
    world_places,
)
from agent.deid.organisations import employers
from agent.deid.registry import PACK_FILE, build_analyzer, load_pack
from agent.deid.tables import column_spans
from agent.deid.wraps import Finding, Window, spans_across, wrap_windows
from agent.errors import ConfigError
from agent.nlp.segments import segments
from agent.schemas.deid import PHI_TYPES, PhiSpan

logger = logging.getLogger(__name__)
# Notes up to this size are analysed whole (names and labels keep their context).
_ANALYZE_MAX_CHARS = 100_000

DEFAULT_THRESHOLD = 0.5
# Identifier types whose confident mentions are looked for again in the patient's notes.
_LEARNED_TYPES = frozenset(PHI_TYPES) - {"DATE", "AGE", "ZIP"}
_LEARN_MIN_SCORE = 0.8
_NOT_IN_ACRONYM = frozenset({"&", "and", "of", "the", "de", "del", "for", "at"})


_ADDRESS_TOWN = frozenset({"city_cues:city_before_state_zip", "city_cues:city_before_zip",
                           "city_cues:city_after_street"})
# Roles written before a person's surname in notes that are no titles of the pack ("SW
# OKONKWO"; "Dr", "Officer", "NP" ... come from the pack's titles).
_PERSON_ROLES = frozenset({"sw", "cm", "coach"})


@dataclass
class PatientMemory:
    """Identifiers confidently found in one patient's notes, to find their other mentions.

    Held in process memory only, never written anywhere.
    """

    surfaces: dict[str, str] = field(default_factory=dict)  # lower-cased surface -> type
    # Initials of a facility ("NBMC"): found in capitals only, never as a word ("she").
    acronyms: dict[str, str] = field(default_factory=dict)
    # One-word surfaces that are English words ("Hope", "Orange"): recalled only where they
    # are written as a name (see Detector.recall_from_memory).
    words: set[str] = field(default_factory=set)
    _rx: re.Pattern | None = None

    def add(self, surface: str, entity_type: str, *, acronym: bool = False,
            word: bool = False) -> None:
        key = surface.strip()
        if word:
            self.words.add(key.lower())
        if acronym:
            if len(key) >= 3 and key.upper() not in self.acronyms:
                self.acronyms[key.upper()] = entity_type
                self._rx = None
            return
        key = key.lower()
        if len(key) >= 3 and key not in self.surfaces:
            self.surfaces[key] = entity_type
            self._rx = None

    def type_of(self, found: str) -> str:
        return self.acronyms.get(found) or self.surfaces[found.lower()]

    def pattern(self) -> re.Pattern | None:
        if self._rx is None and (self.surfaces or self.acronyms):
            words = "|".join(re.escape(s) for s in sorted(self.surfaces, key=len, reverse=True))
            caps = "|".join(re.escape(s) for s in sorted(self.acronyms, key=len, reverse=True))
            alts = "|".join(a for a in (f"(?i:{words})" if words else "", caps) if a)
            self._rx = re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])")
        return self._rx


@dataclass
class _PieceSpans:
    """One piece's spans, in the order the detector adds them, with the windows around its
    line breaks still to read (their spans go between ``before`` and ``after``)."""

    offset: int
    found: list[PhiSpan]  # the recognizers' (offsets in the text)
    before: list[PhiSpan]  # table cells and glued labels (offsets in the piece)
    after: list[PhiSpan]  # employers (offsets in the piece)
    typed: list[tuple[int, int, str]]  # the recognizers' (start, end, type) in the piece
    windows: list[Window]

    def spans(self, findings: Iterator[list[Finding]], wanted: frozenset[str]) -> list[PhiSpan]:
        """All the piece's spans, offsets in the text; takes this piece's windows' results
        from ``findings``."""
        across = spans_across(self.windows, [next(findings) for _ in self.windows],
                              self.typed)
        extra = self.before + across + self.after
        return self.found + [s.model_copy(update={"start": s.start + self.offset,
                                                  "end": s.end + self.offset})
                             for s in extra if s.entity_type in wanted]


class Detector:
    """The Presidio analyzer with the clinical recognizer pack (build once, reuse)."""

    def __init__(self, pack_file: str | Path | None = None) -> None:
        # The recognizers subclass Presidio's, which imports spaCy: loaded on first build.
        from agent.deid import places
        from agent.deid import recognizers as rec
        from agent.deid.name_lexicon import load_name_lexicon
        from agent.deid.pack_analyzer import PackAnalyzer

        self._facility_acronym = places.FACILITY_ACRONYM

        self.pack, self.pack_sha256 = load_pack(pack_file)
        first, last = name_dictionaries()
        clinical = clinical_words()
        self.names = rec.PhiNameRecognizer(self.pack.names, first_names=first, surnames=last,
                                        clinical_words=clinical, lexicon=load_name_lexicon())
        towns = city_names() | world_places()
        # Towns smaller than a state: what a facility's name or a place before may end on.
        self._towns_after = towns - state_names() - country_names()
        self.hospitals = rec.PhiHospitalRecognizer(self.pack.hospitals,
                                                not_names=self.names.not_names | self.names.allow,
                                                clinical_words=clinical,
                                                towns=self._towns_after,
                                                common=self.names.lexicon.common)
        recognizers = [rec.pattern_recognizer(r) for r in self.pack.recognizers]
        recognizers += [
            rec.PhiDateRecognizer(self.pack.dates), self.names, self.hospitals,
            places.PhiGeoNerRecognizer(states=state_names() | country_names(),
                                       cities=city_names(),
                                       not_names=self.names.not_names | self.names.allow,
                                       clinical_words=clinical),
            places.PhiAddressRecognizer(
                skip_words=self.names.not_names | self.names.allow | clinical,
                regions=state_names() | country_names()),
        ]
        skip = self.names.not_names | self.names.allow | clinical
        recognizers += [
            places.PhiCareSlotRecognizer(
                # Service words alone ("in Heart & Vascular Clinic") name no facility.
                skip_words=skip | {w.lower() for w in self.pack.hospitals.generic_words},
                # "New York", "Washington": a state's name that is also a city's is kept;
                # a country never is.
                regions=country_names() | (state_names() - world_places()),
                places=towns,
                titles=frozenset(t.lower().rstrip(".") for t in self.pack.names.titles),
                suffix_words=frozenset({"hospital", "general", "clinic", "health", "medical",
                                        "center", "centre", "infirmary", "memorial"})),
            places.PhiGazetteerRecognizer(
                places=towns - country_names(), skip_words=skip,
                state_codes=frozenset(x for x in state_names() if len(x) == 2),
                first_names=first),
        ]
        self._not_places = self.names.not_names | self.names.allow | clinical
        self._relations = frozenset(r.lower() for r in self.pack.names.relations
                                    if " " not in r)
        suffix_words = {w.lower().rstrip(".") for x in [*self.pack.hospitals.suffixes,
                                                        *self.pack.hospitals.generic_words]
                        for w in x.split() if len(w.rstrip(".")) >= 4}
        self.recaser = Recaser(
            common=self.names.lexicon.common if self.names.lexicon else frozenset(),
            clinical=(self.names.not_names | self.names.allow | clinical) - suffix_words,
            place_words=frozenset(suffix_words | _PLACE_WORDS | _CALENDAR_WORDS | {
                t.lower().rstrip(".") for t in self.pack.names.titles}),
            towns=frozenset(t for t in world_places() if " " in t or len(t) >= 5),
            local_towns=frozenset(t for t in city_names() if len(t) >= 5) - state_names(),
            state_codes=frozenset(x for x in state_names() if len(x) == 2),
            first_names=first, names=first | last,
            upper_words=frozenset(c.lower().rstrip(".") for c in self.pack.names.credentials
                                  if "." not in c.rstrip(".")),
            facility_heads=frozenset(x.lower() for x in self.pack.hospitals.suffixes
                                     if x.lower() in _FACILITY_HEADS),
            # Words of disease names ("chronic", "heart failure") begin a service, not
            # a facility's name; place and facility words, and surnames ("Hill"), may.
            lead_stop=(disease_words() - suffix_words - _PLACE_WORDS
                       - {w.lower() for w in first | last} - world_places()),
            person_cues=frozenset(
                {r.lower() for r in self.pack.names.relations if " " not in r}
                | {t.lower().rstrip(".") for t in self.pack.names.titles} | _PERSON_ROLES))
        self.supported_types = frozenset(e for r in recognizers for e in r.supported_entities)
        # Presidio's engine, kept for the adapters (agent.adapters.presidio_pack); detection
        # runs the same recognizers through PackAnalyzer (batched parses, same results).
        self.analyzer = build_analyzer(recognizers)
        self._pack = PackAnalyzer(self.analyzer)

    def detect(self, text: str, *, entities: list[str] | None = None,
               memory: PatientMemory | None = None,
               threshold: float = DEFAULT_THRESHOLD) -> list[PhiSpan]:
        """See :func:`detect`."""
        wanted = self._check_entities(entities)
        if not text.strip():
            return []
        spans = self._spans([text], wanted, threshold)[0]
        if memory is not None:
            return self.with_memory(text, spans, memory, wanted)
        return self._finish(text, spans, wanted)

    def detect_many(self, texts: list[str], *,
                    threshold: float = DEFAULT_THRESHOLD) -> list[list[PhiSpan]]:
        """``detect(text, threshold=threshold)`` of each text, every type, no memory; spaCy
        parses all the texts in batches (what a patient's notes need: see
        :meth:`agent.deid.batch.PatientDeidentifier.detect_patient`)."""
        wanted = self.supported_types
        return [self._finish(t, spans, wanted) if t.strip() else []
                for t, spans in zip(texts, self._spans(texts, wanted, threshold), strict=True)]

    def _parsed(self, texts: list[str]) -> Iterator[tuple[str, object]]:
        """(recased piece, its spaCy doc) of every piece of every non-blank text, in order,
        parsed lazily in batches."""
        # One-case lines (ALL-CAPS nursing notes, lower-case messages) are read in a
        # recased copy of the same length (agent.deid.casing).
        pieces = [self.recaser.recase(piece)
                  for text in texts if text.strip() for _, piece in _pieces(text)]
        return zip(pieces, self._pack.parse(pieces), strict=True)

    def _spans(self, texts: list[str], wanted: frozenset[str],
               threshold: float) -> list[list[PhiSpan]]:
        """The spans of each text before overlaps are resolved ([] for a blank one). The
        windows around line breaks of all the texts are read after their pieces, in one
        batch of parses (one spaCy call per window cost ~1 ms of model overhead each)."""
        parsed = self._parsed(texts)
        pieces = [self._piece_spans(offset, piece, parsed, wanted, threshold)
                  for text in texts if text.strip() for offset, piece in _pieces(text)]
        findings = iter(self._findings([w.text for p in pieces for w in p.windows],
                                       threshold))
        done = iter([p.spans(findings, wanted) for p in pieces])
        out = []
        for text in texts:
            if not text.strip():
                out.append([])
                continue
            spans = [s for _ in _pieces(text) for s in next(done)]
            # The town slot of an address (before a state and ZIP, after a street) names a
            # town whatever else the word means ("104 North St, Normal, IL 61761").
            spans = [s for s in spans if s.entity_type != "CITY" or self._is_place(
                text[s.start:s.end], address_slot=s.recognizer in _ADDRESS_TOWN)]
            out.append(towns_in_facilities(spans))
        return out

    def _piece_spans(self, offset: int, piece: str, parsed: Iterator[tuple[str, object]],
                     wanted: frozenset[str], threshold: float) -> _PieceSpans:
        """A piece's spans but those across its line breaks, and the windows to read for
        them; ``parsed`` yields this piece's recased text and parse next."""
        # A service request past its deadline stops here, between pieces.
        checkpoint()
        recased, doc = next(parsed)
        results = self._pack.analyze(recased, doc, threshold=threshold)
        # A phrase the care slot took only for its capitals is no evidence where the
        # capitals are the recaser's guesses: there it needs a town, a facility noun or
        # a hospital acronym's shape ("transfer to cwmc").
        results = [r for r in results
                   if r.recognition_metadata.get("recognizer_name") != "care_slot:facility"
                   or not one_case(_line_at(piece, r.start))
                   or self._town_follows(piece, r.start, r.end)
                   or self._acronym_shape(piece[r.start:r.end])]
        found = [PhiSpan(entity_type=r.entity_type, start=offset + r.start,
                         end=offset + r.end, score=round(float(r.score), 3),
                         recognizer=r.recognition_metadata.get("recognizer_name", "?"))
                 for r in results if r.entity_type in wanted]
        # Shapes no single-token recognizer sees: table cells typed by their column's
        # header, labels glued to or misspelt before their value, identifiers cut by a
        # line break (agent.deid.tables / labels / wraps).
        before = column_spans(piece, is_clinical=self.names.is_clinical)
        before += glued_label_spans(piece, is_clinical=self.names.is_clinical,
                                    relations=self._relations)
        typed = [(r.start, r.end, r.entity_type) for r in results]
        after = (employers(piece, common=self.recaser.common,
                           is_clinical=self.names.is_clinical)
                 if "HOSPITAL" in wanted else [])
        return _PieceSpans(offset=offset, found=found, before=before, after=after,
                           typed=typed, windows=wrap_windows(piece, typed))

    def _findings(self, windows: list[str], threshold: float) -> Iterator[list[Finding]]:
        """The recognizers' results on each short window (a joined line break), parsed in
        batches."""
        recased = [self.recaser.recase(w) for w in windows]
        for text, doc in zip(recased, self._pack.parse(recased), strict=True):
            yield [(r.entity_type, r.start, r.end, round(float(r.score), 3),
                    r.recognition_metadata.get("recognizer_name", "?"))
                   for r in self._pack.analyze(text, doc, threshold=threshold)]

    def with_memory(self, text: str, spans: list[PhiSpan], memory: PatientMemory,
                    wanted: frozenset[str] | None = None) -> list[PhiSpan]:
        """``spans`` of ``text`` with the patient's remembered identifiers added, resolved
        and finished (the second pass of patient-level detection)."""
        wanted = wanted or self.supported_types
        remembered = self.recall_from_memory(text, memory, wanted)
        return self._finish(text, spans + prefer_longer(spans, remembered), wanted)

    def _finish(self, text: str, spans: list[PhiSpan], wanted: frozenset[str]) -> list[PhiSpan]:
        spans = resolve_overlaps(spans)
        if "CITY" in wanted:
            spans = resolve_overlaps(spans + self._towns_after_places(text, spans))
        return finish_spans(text, self._rest_of_names(text, spans))

    def _rest_of_names(self, text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
        """A name span runs on over what follows it on the line when that is the rest of the
        name: an initial ("ferreira, ana l.", "Dr A. Ashworth"), a particle and a word ("Van
        Horn") or one word that is no English, clinical, calendar or place word ("McCrary,
        Deshawn Terrell")."""
        out = []
        for i, s in enumerate(spans):
            if s.entity_type == "NAME":
                nxt = spans[i + 1].start if i + 1 < len(spans) else len(text)
                m = _NAME_REST.match(text, s.end)
                if m is not None and m.end() <= nxt and self._rest_of_name(m):
                    s = s.model_copy(update={"end": m.end()})
            out.append(s)
        return out

    def _rest_of_name(self, m: re.Match[str]) -> bool:
        if m.group("initial"):
            return True
        word = m.group("word")
        low = word.lower()
        # Listed surnames that are also English words ("went", "can", "found" are census
        # surnames too) do not count: the next word is too often the sentence's verb.
        # After a particle the word is the surname whatever else it means ("Van Horn").
        return (len(word) >= 3 and (low not in self.recaser.common or bool(m.group("particle")))
                and not self.names.is_clinical(word) and low not in _CALENDAR_WORDS
                and low not in self.recaser.place_words)

    def _towns_after_places(self, text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
        """A known town written right after a facility, street or town ("Mula-Mutha Cardiac
        Centre, Pune", "Kothrud, Pune", "Mercy Bluff Hospital (Davenport)"): the place
        before says what the word is, so one-word towns count here."""
        out = []
        for s in spans:
            # ... or after a person ("case manager Bronwyn Talbot (Brisbane)"): the known town
            # in the parentheses or after the comma is where that person is.
            if s.entity_type not in ("HOSPITAL", "STREET_ADDRESS", "CITY", "NAME"):
                continue
            alias = self._initials_after(text, s) if s.entity_type == "HOSPITAL" else None
            if alias is not None:
                out.append(alias)
                continue
            m = _TOWN_AFTER_PLACE.match(text, s.end)
            if m is None:
                continue
            town = self._known_town_at(text, m)
            if town is not None:
                out.append(town)
                continue
            town = self._town_in_parentheses(text, s, m) if s.entity_type == "HOSPITAL" else None
            if town is not None:
                out.append(town)
                continue
            # "Bapat Clinic, Aundh, Pune": a locality the gazetteer lacks between the place
            # and a town it knows is a place too.
            after = _TOWN_AFTER_PLACE.match(text, m.end("town"))
            town = self._known_town_at(text, after) if after is not None and \
                text[m.end("town"):after.start("town")].strip() == "," else None
            if town is not None and s.entity_type != "NAME" and self._is_place(m.group("town")):
                out += [PhiSpan(entity_type="CITY", start=m.start("town"), end=m.end("town"),
                                score=0.65, recognizer="gazetteer:before_town"), town]
        return out

    @staticmethod
    def _initials_after(text: str, s: PhiSpan) -> PhiSpan | None:
        """A facility's initials written after it ('Rome Memorial ("RMH")', "(SLH)") are the
        facility again, wherever else the patient's notes use them."""
        quoted = _ALIAS_AFTER.match(text, s.end)
        if quoted is None:
            return None
        initials = "".join(w[0] for w in re.findall(r"[A-Za-z][\w'’-]*",
                                                    text[s.start:s.end])).upper()
        alias = quoted.group("alias").upper()
        # The acronym may add the kind the name leaves out ("Rome Memorial" -> RMH).
        if len(initials) < 2 or not alias.startswith(initials) or len(alias) > len(initials) + 1:
            return None
        return PhiSpan(entity_type="HOSPITAL", start=quoted.start("alias"),
                       end=quoted.end("alias"), score=0.7, recognizer="shape:facility_initials")

    def _town_in_parentheses(self, text: str, s: PhiSpan,
                             m: re.Match[str]) -> PhiSpan | None:
        """One to three words no dictionary holds that close a facility's parentheses
        ("CROSSKEYS REHAB (WYOMISSING)", "(PRETZEL CO, EPHRATA)") are its town, known to
        the gazetteer or not: a facility is followed by where it is."""
        line_start = text.rfind("\n", 0, s.start) + 1
        if not _CLOSES_PARENTHESIS.match(text, m.end("town")) or (
                "(" not in text[s.end:m.start("town")] and "(" not in text[line_start:s.start]):
            return None
        words = m.group("town").split()
        if any(len(w) < 4 or w.lower() in self.recaser.common or self.names.is_clinical(w)
               or w.lower() in self._not_places for w in words):
            return None
        return PhiSpan(entity_type="CITY", start=m.start("town"), end=m.end("town"),
                       score=0.6, recognizer="shape:town_after_facility")

    def _known_town_at(self, text: str, m: re.Match[str]) -> PhiSpan | None:
        words = m.group("town").split()
        a = m.start("town")
        for n in range(len(words), 0, -1):
            name = " ".join(words[:n])
            # The town must end the phrase ("(Davenport)", ", Pune 411038"), not begin
            # one ("(LONG TERM CARE, ...").
            if not _TOWN_END.match(text, a + len(name)):
                continue
            if name.lower() in self._towns_after and self._is_place(name):
                return PhiSpan(entity_type="CITY", start=a, end=a + len(name), score=0.7,
                               recognizer="gazetteer:after_place")
        return None

    def _acronym_shape(self, surface: str) -> bool:
        """A hospital acronym ("cwmc", "NWMC"), not an English word ending alike ("church")."""
        return (self._facility_acronym.fullmatch(surface.upper()) is not None
                and surface.lower() not in self.recaser.common)

    def _town_follows(self, text: str, start: int, end: int) -> bool:
        """A known town right after a phrase ("HARBOR LEDGE IN CAMDEN", "BRANDYWINE HOUSE
        (MILFORD)"): the phrase is a place of that town, a facility. One common word is
        not a name ("WENT TO CHURCH IN DOVER")."""
        words = text[start:end].split()
        if len(words) == 1 and words[0].lower() in self.recaser.common:
            return False
        m = _TOWN_FOLLOWS.match(text, end)
        return m is not None and m.group("town").lower() in self._towns_after

    def _is_place(self, surface: str, *, address_slot: bool = False) -> bool:
        """A town is never a unit or clinical word ("moved to ICU", "returned to Rehab"),
        except in the town slot of an address, where the slot decides."""
        words = [w.lower().rstrip(".") for w in surface.split()]
        if len(surface) <= 2:
            return False  # a state or country code
        return bool(words) and (address_slot or not all(w in self._not_places for w in words))

    def learn(self, text: str, spans: list[PhiSpan], memory: PatientMemory) -> None:
        """Add a note's confident identifiers (and a name's own words) to ``memory``."""
        for s in spans:
            if s.entity_type not in _LEARNED_TYPES or s.score < _LEARN_MIN_SCORE:
                continue
            surface = text[s.start:s.end]
            memory.add(surface, s.entity_type, word=" " not in surface.strip()
                       and self._common_word(surface))
            if s.entity_type == "NAME":
                for tok in re.findall(r"[A-Za-z][A-Za-z'-]+", surface):
                    parts = [tok, *tok.split("-")] if "-" in tok else [tok]
                    for part in parts:
                        # A part that is also an English word ("White", "Hill") alone
                        # would mask that word all through the notes.
                        if len(part) >= 4 and not self.names.is_clinical(part):
                            memory.add(part, "NAME", word=self._common_word(part))
            elif s.entity_type == "HOSPITAL":
                words = surface.split()
                # "Narragansett Bay Medical Center" is "NBMC" in the next note.
                acronym = "".join(w[0] for w in words if w.lower() not in _NOT_IN_ACRONYM
                                  and w[0].isalpha())
                if len(acronym) >= 3 and not self.names.is_clinical(acronym):
                    memory.add(acronym, "HOSPITAL", acronym=True)
                while len(words) > 1:
                    words.pop()
                    if self.hospitals._proper(words[-1]):
                        memory.add(" ".join(words), "HOSPITAL")

    def _common_word(self, word: str) -> bool:
        return word.strip().lower() in self.recaser.common

    def recall_from_memory(self, text: str, memory: PatientMemory,
                           wanted: frozenset[str]) -> list[PhiSpan]:
        rx = memory.pattern()
        if rx is None:
            return []
        out = []
        for m in rx.finditer(text):
            etype = memory.type_of(m.group())
            if etype not in wanted:
                continue
            # An English word the patient's notes also use as a name or town ("Orange
            # juice", "WHITE patches", "mobile w/ walker") counts only where it is written
            # as a name: capitalised in a mixed-case line; in a one-case line only a first
            # name ("FAITH", a granddaughter named with her relation elsewhere).
            found = m.group()
            if found.lower() in memory.words:
                if one_case(_line_at(text, m.start())):
                    if etype != "NAME" or found.upper() not in self.recaser.first_names:
                        continue
                elif not found[:1].isupper() or found.isupper():
                    continue
            if etype == "NAME" and self.names._eponym.match(text[m.end():m.end() + 24]):
                continue
            out.append(PhiSpan(entity_type=etype, start=m.start(), end=m.end(), score=0.72,
                               recognizer="memory"))
        return out

    def _check_entities(self, entities: list[str] | None) -> frozenset[str]:
        if entities is None:
            return self.supported_types
        missing = [e for e in entities if e not in self.supported_types]
        if missing:
            raise ConfigError("deid.entities", f"no recognizer for {', '.join(missing)}",
                              f"Use types from: {', '.join(sorted(self.supported_types))}")
        return frozenset(entities)


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """spaCy refuses texts over 1,000,000 characters; very long notes are analysed in
    pieces cut at blank lines or line ends, offsets shifted back (never truncated)."""
    return segments(text, _ANALYZE_MAX_CHARS)


def towns_in_facilities(spans: list[PhiSpan]) -> list[PhiSpan]:
    """Without the towns a facility's name holds: "resident of Maple Hollow Assisted
    Living" is a facility, not the town "Maple Hollow Assisted"."""
    facilities = sorted((s.start, s.end) for s in spans if s.entity_type == "HOSPITAL")
    if not facilities:
        return spans
    starts = [a for a, _ in facilities]
    out = []
    for s in spans:
        if s.entity_type == "CITY":
            i = bisect.bisect_right(starts, s.start) - 1
            near = facilities[max(0, i):i + 2]
            if any(a <= s.start and s.end < b or (s.start < a < s.end < b) for a, b in near):
                continue
        out.append(s)
    return out


def prefer_longer(found: list[PhiSpan], remembered: list[PhiSpan]) -> list[PhiSpan]:
    """Memory spans, each raised to the best score of a shorter span of the same type it
    contains: the patient's full facility or name ("Three Rivers Visiting Nurses") wins over
    the part one note's recognizers saw ("Rivers Visiting Nurses")."""
    by_start = sorted(found, key=lambda x: x.start)
    starts = [x.start for x in by_start]
    out = []
    for m in remembered:
        i = bisect.bisect_left(starts, m.start)
        best = m.score
        while i < len(by_start) and by_start[i].start < m.end:
            f = by_start[i]
            if f.entity_type == m.entity_type and f.end <= m.end:
                best = max(best, f.score)
            i += 1
        out.append(m if best == m.score else m.model_copy(update={"score": best}))
    return out


def resolve_overlaps(spans: list[PhiSpan]) -> list[PhiSpan]:
    """Keep non-overlapping spans: higher score first, then the longer span."""
    # Kept spans never overlap, so sorted by start their ends are sorted too: one
    # bisect finds the only neighbours a new span could touch (a long note has
    # thousands of spans; a pairwise check made de-id quadratic in note length).
    starts: list[int] = []
    kept: list[PhiSpan] = []
    for s in sorted(spans, key=lambda x: (-x.score, -(x.end - x.start), x.start)):
        i = bisect.bisect_left(starts, s.start)
        if i > 0 and kept[i - 1].end > s.start:
            continue
        if i < len(kept) and kept[i].start < s.end:
            continue
        starts.insert(i, s.start)
        kept.insert(i, s)
    return kept


_NICKNAME_GAP = re.compile(r" [\"“][A-Za-z][A-Za-z'’-]{0,15}[\"”] ")


def merge_names(text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
    """Join NAME spans separated only by a space, ``", "`` or a quoted nickname on one line
    (one person: ``Dr. Felipe "Phil" Archuleta``)."""
    out: list[PhiSpan] = []
    for s in spans:
        prev = out[-1] if out else None
        if (prev is not None and prev.entity_type == s.entity_type == "NAME"
                and (text[prev.end:s.start] in (" ", ", ")
                     or _NICKNAME_GAP.fullmatch(text, prev.end, s.start))):
            out[-1] = PhiSpan(entity_type="NAME", start=prev.start, end=s.end,
                              score=max(prev.score, s.score), recognizer=prev.recognizer)
        else:
            out.append(s)
    return out


# Words that end or begin facility and place names, capitalised in a one-case line.
_PLACE_WORDS = frozenset({"north", "south", "east", "west", "saint", "mount", "st", "mt", "ft",
                          "general", "street", "avenue", "ave", "road", "rd", "lane", "ln",
                          "drive", "boulevard", "blvd", "court", "ct", "place", "pl",
                          "highway", "hwy", "parkway", "pkwy", "circle", "terrace",
                          "memorial", "regional", "county", "valley", "gardens", "heights",
                          "university", "community", "rehab", "manor", "village"})
# Facility nouns a one-case line writes a facility's name before (agent.deid.casing); the
# pack's shorter suffixes ("Center", "Health", "Drug") end ordinary phrases too often.
_FACILITY_HEADS = frozenset({
    "hospital", "medical center", "medical centre", "clinic", "health center",
    "assisted living", "nursing home", "nursing facility", "skilled nursing facility",
    "rehabilitation center", "rehab center", "home infusion", "home health", "home care",
    "hospice", "urgent care", "pharmacy", "surgical associates", "transitional care",
    "visiting nurses", "visiting nurse association", "memorial", "infirmary",
    "dialysis center", "cancer center", "surgery center", "imaging center", "senior living",
    "retirement community", "manor", "gardens", "family medicine", "primary care",
    "funeral home", "medical supply", "credit union", "counseling", "middle school",
    "high school", "elementary school", "academy", "adult day health", "adult day care",
    "behavioral health", "palliative care", "rehab", "nrsg & rehab", "health & rehab",
    "nursing & rehabilitation", "snf", "clin lab", "clinical lab", "church", "chapel",
    "fellowship", "college", "community college", "school", "recovery center",
    "memory care", "funeral chapel", "medical transport", "rehabilitation hospital",
    "care center", "living center", "medical group", "cathedral", "tabernacle", "parish",
    # businesses named by their trade (an employer is an identifier of the patient's)
    "diner", "cafe", "restaurant", "bakery", "hardware", "grocery", "paving", "towing",
    "lumber", "fabrication", "manufacturing", "construction", "trucking", "logistics",
    "motors", "industries", "packers", "feed & grain"})
_CALENDAR_WORDS = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
    "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "january", "february", "march",
    "april", "june", "july", "august", "september", "october", "november", "december", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"})
# ", MN", ", Texas", "NORWOOD OH 45212": the state after a town or facility goes with it.
_STATE_AFTER = re.compile(r"(?:,[ \t]*(?:[A-Z]{2}|[A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?)"
                          r"|[ \t]+[A-Z]{2}(?=[ \t]+\d{5}\b))(?![A-Za-z])")
_TOWN_AFTER_PLACE = re.compile(
    r"(?:,[ \t]*|[ \t]*\([ \t]*)(?P<town>[A-ZÀ-ÖØ-Þ][\w'’-]*(?:[ \t](?:(?:de|du|del|la|le)[ \t])?"
    r"[A-ZÀ-ÖØ-Þ][\w'’-]*){0,2})")
_TOWN_FOLLOWS = re.compile(rf"(?:[ \t]+(?i:in)[ \t]+|[ \t]*\([ \t]*){TOWN_ENDING_PHRASE}",
                           re.MULTILINE | re.IGNORECASE)
# What may follow a name on its line: an initial, or (a particle and) one word.
_NAME_REST = re.compile(
    r"[ \t](?:(?P<initial>[A-Za-z]\.)(?![\w])|(?:(?P<particle>(?i:van|von|de|der|den|del|la|le|"
    r"da|di|du))[ \t])?(?P<word>[A-Za-z][a-z-]+|[A-Z][A-Z-]+))(?![\w'’-])")
# A facility's initials written after it, in parentheses or quotes ("(RMH)", '("RMH")').
_ALIAS_AFTER = re.compile(r"[ \t]*\(?[ \t]*[\"“']?(?P<alias>[A-Z]{2,6})[\"”']?[ \t]*\)")
_CLOSES_PARENTHESIS = re.compile(r"[ \t]*\)")
_TOWN_END = re.compile(r"[ \t]*(?:[),;.(\n]|$|\d{5}|[A-Z]{2}\b)")
_PLACE_PREFIX_BEFORE = re.compile(r"(?<![\w.])(?i:Mt|Mount|St|Saint|Ft|Fort|Pt|Port)\.?[ \t]$")


def _line_at(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start:end if end != -1 else len(text)]


def join_places(text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
    """Extend a town or facility over the state written after it ("Atlanta, GA"): the
    state alone is not an identifier, but left between redactions it narrows the place."""
    states = state_names()
    out: list[PhiSpan] = []
    for s in spans:
        if s.entity_type == "CITY":
            # "Mt. Lebanon", "Fort Wayne": the prefix is part of the town's name.
            p = _PLACE_PREFIX_BEFORE.search(text, max(0, s.start - 8), s.start)
            if p is not None:
                s = s.model_copy(update={"start": p.start()})
        if s.entity_type in ("CITY", "HOSPITAL"):
            m = _STATE_AFTER.match(text, s.end)
            if m is not None and m.group().strip(", \t").lower() in states:
                s = s.model_copy(update={"end": m.end()})
        if out and s.start < out[-1].end:
            continue  # the state just joined was found as a span of its own
        out.append(s)
    return out


def finish_spans(text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
    """The last steps over resolved spans: one person per name, titles with names, one
    place per place, ages and nicknames written after a name."""
    names = with_titles(text, merge_names(text, spans))
    return after_names(text, join_places(text, names))


# "husband Leo (92)", "father Giuseppe Marchetti, 94,", "mother Hilde Voth is 93": an age
# written after a person; "DOB 3-19-1929 (97)": after a birth date.
_AGE_AFTER = re.compile(r"(?:,[ \t]*|[ \t]*\([ \t]*|[ \t]+(?i:is|was|aged?)[ \t]+)"
                        r"(?P<age>9\d|1[01]\d)(?=[ \t]*[),;.]|[ \t]*$|[ \t]+(?:y/?o|yrs?|years)\b)",
                        re.MULTILINE)
# 'Ingeborg Halvorsen ("Inga")': the name a person goes by, in brackets after the name.
_NICKNAME_AFTER = re.compile(
    r"[ \t]*\([ \t]*[\"“](?P<nick>[A-Za-z][A-Za-z .'’-]{0,20}[A-Za-z])[\"”]")


def after_names(text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
    """Add an age over 89 written right after a name or a birth date (a HIPAA identifier of
    its own), and a nickname in brackets after a name."""
    out: list[PhiSpan] = []
    for i, s in enumerate(spans):
        out.append(s)
        nxt = spans[i + 1].start if i + 1 < len(spans) else len(text)
        if s.entity_type == "NAME":
            nick = _NICKNAME_AFTER.match(text, s.end)
            if nick is not None and nick.end() <= nxt:
                out.append(PhiSpan(entity_type="NAME", start=nick.start("nick"),
                                   end=nick.end("nick"), score=0.85,
                                   recognizer="name:nickname_after"))
        if s.entity_type not in ("NAME", "DATE"):
            continue
        m = _AGE_AFTER.match(text, s.end)
        # After a date only the bracketed form is an age ("DOB 3/19/1929 (97)").
        if s.entity_type == "DATE" and (m is None or "(" not in m.group()):
            continue
        if m is not None and m.end("age") <= nxt:
            out.append(PhiSpan(entity_type="AGE", start=m.start("age"), end=m.end("age"),
                               score=0.8, recognizer="age:after_name"))
    return out


_TITLE_BEFORE = re.compile(rf"(?:\b(?:{'|'.join(sorted(PERSON_TITLES))})\.?[ \t]+)$",
                           re.IGNORECASE)


_RELATION_TITLES = frozenset({"father", "sister", "mother", "brother", "nurse"})


def with_titles(text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
    """A person's title goes with the name ("Dr. Patel", not "Dr. [NAME]"): the title
    with the name is what identifies them, and a kept title leaks the person's role."""
    out = []
    for s in spans:
        if s.entity_type == "NAME":
            m = _TITLE_BEFORE.search(text, max(0, s.start - 12), s.start)
            # "father", "sister" in lower case are relatives, not a priest or a nun.
            if m is not None and m.group().strip(" \t.").lower() in _RELATION_TITLES \
                    and m.group()[:1].islower():
                m = None
            if m is not None and (not out or out[-1].end <= m.start()):
                s = s.model_copy(update={"start": m.start()})
        out.append(s)
    return out


@lru_cache(maxsize=4)
def get_detector(pack_file: str | None = None) -> Detector:
    """The detector for a pack file (the packaged one by default), built once per process."""
    logger.info("building the PHI analyzer (pack %s)", pack_file or PACK_FILE)
    return Detector(pack_file)


def detect(text: str, *, entities: list[str] | None = None,
           memory: PatientMemory | None = None, detector: Detector | None = None,
           threshold: float = DEFAULT_THRESHOLD) -> list[PhiSpan]:
    """Find PHI in one text.

    Args:
        text: the note text.
        entities: PHI types to report (default: all supported).
        memory: identifiers already found in this patient's notes (see
            :meth:`Detector.learn`); their other mentions are reported too.
        detector: a prebuilt detector (default: the packaged pack, built on first use).
        threshold: minimum score.

    Returns:
        Non-overlapping spans in text order, offsets into ``text``.

    Raises:
        ConfigError: a requested type has no recognizer.
    """
    return (detector or get_detector()).detect(text, entities=entities, memory=memory,
                                               threshold=threshold)
