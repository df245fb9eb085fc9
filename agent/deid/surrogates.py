"""Realistic surrogates, consistent and keyed by a secret.

Every surrogate is derived from HMAC-SHA256(secret, type + normalised value): the same real
value always gets the same fake one (a clinician across all notes, a patient across their
notes), nothing maps back without the secret, and no table of real values is kept. Dates
are shifted by one offset per patient, HMAC(secret, patient_id), so intervals stay true.
Formats are kept: a phone stays a phone, an MRN keeps its letters, digits and dashes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from agent.deid.dates import shift_date
from agent.deid.lexicons import PERSON_TITLES

# HIPAA Safe Harbor: 3-digit ZIP prefixes with 20,000 people or fewer (2000 Census) become 000.
RESTRICTED_ZIP3 = frozenset({
    "036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878",
    "879", "884", "890", "893",
})
MIN_SHIFT_DAYS = 30
MAX_SHIFT_DAYS = 365
_CITY_ENDINGS = ("field", "ton", "wood", "dale", "ford", "brook", "ville", "haven")




def keyed_hash(secret: bytes, *parts: str) -> bytes:
    """HMAC-SHA256 of the parts (joined with a separator that cannot occur in them)."""
    return hmac.new(secret, "\x1f".join(parts).encode("utf-8"), hashlib.sha256).digest()


def value_hash(secret: bytes, entity_type: str, value: str) -> str:
    """A short, secret-keyed link for an audit: equal values give equal hashes."""
    return keyed_hash(secret, "audit", entity_type, _norm(value)).hex()[:16]


def patient_key(secret: bytes, patient_id: str) -> str:
    """A pseudonymous patient key for audit records."""
    return keyed_hash(secret, "patient", patient_id).hex()[:16]


def date_offset(secret: bytes, patient_id: str) -> int:
    """The patient's date shift in days: +-30..365, never 0."""
    n = int.from_bytes(keyed_hash(secret, "date-shift", patient_id)[:8], "big")
    days = MIN_SHIFT_DAYS + n % (MAX_SHIFT_DAYS - MIN_SHIFT_DAYS + 1)
    return days if (n >> 40) & 1 else -days


def _norm(value: str) -> str:
    return " ".join(value.lower().split())


def _like(word: str, template: str) -> str:
    """Give ``word`` the capitalisation of ``template``."""
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word.capitalize()
    return word.lower()


class SurrogateGenerator:
    """Fake values for one patient's notes.

    Args:
        secret: the de-identification key (bytes, from settings; never logged).
        patient_id: the patient whose date offset applies.
        first_names, surnames: pools to draw fake names from (upper case).
        reference_date: the note's date, for dates written without a year.
    """

    def __init__(self, secret: bytes, patient_id: str, *, first_names: list[str],
                 surnames: list[str], reference_date: date | None = None) -> None:
        self._secret = secret
        self.offset_days = date_offset(secret, patient_id)
        self._first = first_names
        self._last = surnames
        self.reference_date = reference_date

    def _int(self, *parts: str) -> int:
        return int.from_bytes(keyed_hash(self._secret, *parts)[:8], "big")

    def _pick(self, pool: list[str], *parts: str) -> str:
        return pool[self._int(*parts) % len(pool)]

    def _digits_letters(self, kind: str, value: str) -> str:
        """Same shape: each digit -> digit, letter -> letter (same case), rest kept."""
        stream = keyed_hash(self._secret, kind, _norm(value))
        stream += keyed_hash(self._secret, kind + "2", _norm(value))
        out = []
        for i, ch in enumerate(value):
            b = stream[i % len(stream)]
            if ch.isdigit():
                out.append(str(b % 10))
            elif ch.isalpha() and ch.isascii():
                letter = chr(ord("A") + b % 26)
                out.append(letter if ch.isupper() else letter.lower())
            else:
                out.append(ch)
        return "".join(out)

    def name_word(self, word: str, first_names: frozenset[str]) -> str:
        if word.rstrip(".").lower() in PERSON_TITLES:
            return word  # "Dr. Patel" -> "Dr. Okafor": the title is kept, the name replaced
        if len(word.rstrip(".")) <= 1:  # an initial
            letter = chr(ord("A") + self._int("initial", word[0].upper()) % 26)
            return _like(letter, word[0]) + word[1:]
        pool = self._first if word.upper() in first_names else self._last
        return _like(self._pick(pool, "name", word.lower()).lower(), word)

    def replace(self, entity_type: str, value: str, first_names: frozenset[str] = frozenset(),
                ) -> str:
        """The surrogate of one PHI value.

        Returns:
            A value of the same kind; ``[DATE]`` when a date cannot be parsed.
        """
        if entity_type == "NAME":
            return re.sub(r"[A-Za-z][A-Za-z']*\.?",
                          lambda m: self.name_word(m.group(), first_names), value)
        if entity_type == "DATE":
            shifted = shift_date(value, self.offset_days, self.reference_date)
            return shifted if shifted is not None else "[DATE]"
        if entity_type == "AGE":
            return "90+"
        if entity_type == "ZIP":
            zip3 = value[:3]
            return "000" if zip3 in RESTRICTED_ZIP3 else zip3
        if entity_type in ("PHONE", "FAX"):
            fake = self._digits_letters("phone", value)
            digits = [i for i, ch in enumerate(fake) if ch.isdigit()]
            chars = list(fake)
            # Area code 555 and exchange 01xx: reserved for fiction, never a real line.
            for pos, ch in zip(digits[-10:-5] if len(digits) >= 10 else digits[:5],
                               "55501", strict=False):
                chars[pos] = ch
            return "".join(chars)
        if entity_type == "SSN":
            fake = self._digits_letters("ssn", value)
            return "9" + fake[1:] if fake[:1].isdigit() else fake  # 9xx: never issued
        if entity_type == "EMAIL":
            user = self._pick(self._first, "email", _norm(value)).lower()
            return f"{user}{self._int('email-n', _norm(value)) % 100}@example.org"
        if entity_type == "URL":
            return f"https://example.org/{keyed_hash(self._secret, 'url', value).hex()[:8]}"
        if entity_type == "IP_ADDRESS":
            if ":" in value:
                return f"2001:db8::{self._int('ip6', value) % 65536:x}"
            return f"192.0.2.{1 + self._int('ip', value) % 254}"
        if entity_type == "STREET_ADDRESS":
            return self._street(value)
        if entity_type == "CITY":
            stem = self._pick(self._last, "city", _norm(value)).lower()
            ending = _CITY_ENDINGS[self._int("city-end", _norm(value)) % len(_CITY_ENDINGS)]
            return _like(stem + ending, value)
        if entity_type == "HOSPITAL":
            return re.sub(r"[A-Z][A-Za-z']+", lambda m: self._facility_word(m.group()), value)
        return self._digits_letters(entity_type, value)

    def _street(self, value: str) -> str:
        def word(m: re.Match) -> str:
            w = m.group()
            if w.isdigit():
                return str(1 + self._int("street-n", w) % 9899)
            if w[:1].isupper() and w.lower().rstrip(".") not in _STREET_KEEP:
                return _like(self._pick(self._last, "street", w.lower()).lower(), w)
            return w
        return re.sub(r"[A-Za-z][A-Za-z'.]*|\d+", word, value)

    def _facility_word(self, word: str) -> str:
        if word.lower() in _FACILITY_KEEP:
            return word
        return _like(self._pick(self._last, "facility", word.lower()).lower(), word)


_STREET_KEEP = frozenset({
    "street", "st", "avenue", "ave", "road", "rd", "lane", "ln", "drive", "dr", "boulevard",
    "blvd", "pike", "way", "court", "ct", "place", "pl", "terrace", "circle", "highway", "hwy",
    "parkway", "pkwy", "apt", "apartment", "unit", "suite", "ste", "po", "box", "north",
    "south", "east", "west", "n", "s", "e", "w", "old", "new", "floor", "fl", "rm", "room",
})
_FACILITY_KEEP = frozenset({
    "hospital", "medical", "center", "centre", "clinic", "health", "healthcare", "general",
    "university", "regional", "memorial", "community", "lab", "laboratory", "associates",
    "assisted", "living", "nursing", "home", "rehabilitation", "rehab", "care", "hospice",
    "heart", "vascular", "lung", "diabetes", "digestive", "movement", "disorders",
    "outpatient", "st", "saint", "mount", "and", "of", "the", "for", "children's", "women's",
    "cancer", "institute", "pharmacy", "surgery", "surgical", "urgent", "neurology",
    "department", "emergency",
})
