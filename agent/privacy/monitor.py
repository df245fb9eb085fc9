"""Output monitoring: a second, conservative detector run over de-identified text.

The main pass reads context (Presidio, spaCy NER, labels, patient memory); this one reads
shapes and dictionaries only, so it fails differently: e-mail, URL, IP, phone, long
number and date shapes, and capitalised words that are census first names or surnames
and no English or clinical word. Whatever it finds outside the spans the main pass
replaced is a find for the privacy officer's review queue. A find holds offsets and a type
guess, never the value: the caller stores and counts it without the text.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from agent.deid.lexicons import PERSON_TITLES, clinical_words, name_dictionaries

DETECTOR = "shape-dictionary-v1"

_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "a.b@x.org", "a.b at x dot org", "a.b[at]x[dot]org": spelled-out forms included.
    ("EMAIL", re.compile(r"[\w.+-]+(?:@|\s*\[at\]\s*|\s*\(at\)\s*|\s+at\s+)[\w-]+"
                         r"(?:(?:\.|\s*\[dot\]\s*|\s+dot\s+)[\w-]+)*"
                         r"(?:\.|\s*\[dot\]\s*|\s+dot\s+)(?:com|org|net|edu|gov|io|us|uk|ca|"
                         r"de|info|biz)\b", re.IGNORECASE)),
    ("URL", re.compile(r"\b(?:h[tx]{2}ps?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|"
                       r"edu|gov|io)(?:/\S*)?\b", re.IGNORECASE)),
    ("IP_ADDRESS", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4})"
                              r"{2,7}\b", re.IGNORECASE)),
    ("PHONE", re.compile(r"(?<!\d)\(?\d{3}\)?[\s.-]{0,2}\d{3}[\s.-]{1,2}\d{4}(?!\d)")),
    ("DATE", re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b|\b(?:19|20)\d{2}-\d{2}-"
                        r"\d{2}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
                        r"\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2}\b", re.IGNORECASE)),
    ("ID", re.compile(r"(?<![\w.])(?=[A-Z0-9-]*\d{5})[A-Z]{0,4}-?\d[\dA-Z-]{4,}(?![\w.])")),
)
_WORD = re.compile(r"(?<![\w'])[A-Z][A-Za-z'-]+|(?<![\w'])[A-Z]{2,}(?![\w'])")


@dataclass(frozen=True)
class MonitorFind:
    """A possible leak: ``text[start:end]`` of the de-identified output (offsets only)."""

    start: int
    end: int
    type_guess: str
    detector: str = DETECTOR


@lru_cache(maxsize=1)
def _name_words() -> frozenset[str]:
    # philter-lite's list of English words that are no names (shipped, offline).
    from agent.deid.philter_sets import philter_sets

    first, last = name_dictionaries()
    not_names = {w.upper() for w in philter_sets().get("nonames", [])}
    clinical = {w.upper() for w in clinical_words()}
    return frozenset((first | last) - not_names - clinical)


def _inside(replaced: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    i = bisect_right(starts, start) - 1
    return any(a < end and start < b for a, b in replaced[max(0, i):i + 2])


def scan(text: str, replaced: list[tuple[int, int]]) -> list[MonitorFind]:
    """Possible leaks in de-identified ``text`` outside the ``replaced`` spans (the
    offsets of the main pass's replacements in that text), in text order."""
    replaced = sorted(replaced)
    starts = [a for a, _ in replaced]
    finds: list[MonitorFind] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _SHAPES:
        for m in rx.finditer(text):
            if _inside(replaced, starts, m.start(), m.end()) or \
                    any(a < m.end() and m.start() < b for a, b in taken):
                continue
            finds.append(MonitorFind(m.start(), m.end(), kind))
            taken.append((m.start(), m.end()))
    names = _name_words()
    for m in _WORD.finditer(text):
        word = m.group()
        if word.upper() not in names or word.lower().rstrip(".") in PERSON_TITLES:
            continue
        # "[NAME]" placeholders are the main pass's own output.
        if text[max(0, m.start() - 1):m.start()] == "[" or \
                _inside(replaced, starts, m.start(), m.end()) or \
                any(a < m.end() and m.start() < b for a, b in taken):
            continue
        finds.append(MonitorFind(m.start(), m.end(), "NAME"))
    return sorted(finds, key=lambda f: f.start)


def is_sampled(rate: float, rng: random.Random | None = None) -> bool:
    """Whether this output is monitored (``privacy.monitor_sample_rate``)."""
    if rate >= 1.0:
        return True
    return rate > 0.0 and (rng or random).random() < rate
