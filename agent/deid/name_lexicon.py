"""Names found by dictionary alone, where no title, label or relative points at them.

The dictionaries are the US Census lists of the ``names`` package and philter-lite's
(BSD-3-Clause, installed): about 97,000 first names and 161,000 surnames from many countries,
and 195,000 words that are not names (English and medical vocabulary). A word counts as a
name on its own only when it is in a name list and in neither the non-name list nor the
clinical vocabularies: ``Katrine`` is a name, ``Will``, ``Hope`` and ``Foley`` are not.

Patterns, each with a lower score than evidence-based names:

- a single title-case first name (``Why is Katrine so impulsive?``);
- a speaker turn at the start of a line (``Halldór: What a wife.``);
- a list or pair of surnames (``Kónya, Becker and Vasquez``, ``Marrero and Murphy``);
- a lower-case first name and surname (``follow up with patricia desrosiers``);
- a title-case pair, also at the start of a sentence, whose words are both listed names
  (``Tomomi Nishiyama lives at ...``), or a pair around a middle initial with one listed
  name and no English or clinical word (``Faina D. Yefremova``, ``Ravil G Yefimov``);
- a quoted nickname between two name words with one listed (``Rosalind "Roz" Achterberg``);
- an initial and a surname that is no English or clinical word (``T. Engqvist``), and an
  inverted pair of listed names (``Okafor, Chukwuemeka``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from presidio_analyzer import RecognizerResult

from agent.deid.lexicons import name_dictionaries
from agent.deid.philter_sets import philter_sets
from agent.nlp.first_chars import compile_skipping

_META = RecognizerResult.RECOGNIZER_NAME_KEY
_UP = "A-ZÀ-ÖØ-ÞĀ-Ž"
_LOW = "a-zß-öø-ÿĀ-ž"
_TITLE = rf"[{_UP}][{_LOW}]+(?:-[{_UP}][{_LOW}]+)?"
# The patterns searched over whole notes skip the places no match can start
# (agent.nlp.first_chars); the others are matched at a place or over a line.
_SINGLE = compile_skipping(rf"(?<![\w'’.-])(?P<phi>{_TITLE})(?![\w'’-])")
_SENTENCE_START = re.compile(r"(?:^|[.!?;:\n\"“(>])[ \t]*$")
_SPEAKER = re.compile(rf"^[ \t>]*(?P<phi>{_TITLE})[ \t]*:[ \t]*[\"“A-Za-z]", re.MULTILINE)
_SERIES = compile_skipping(rf"(?<![\w'’-])(?P<phi>{_TITLE}(?:, {_TITLE})*,? (?:and|&) "
                           rf"{_TITLE})(?![\w'’-])")
# Zero-width like _LOWER_PAIR: "Tomomi Nishiyama", "Faina D. Yefremova", "Ravil G Yefimov".
_TITLE_PAIR = re.compile(rf"(?<![\w'’.-])(?=(?P<phi>(?P<a>{_TITLE}) (?P<i>[{_UP}]\.? )?"
                         rf"(?P<b>{_TITLE}))(?![\w-]))")
_NICKNAMED = re.compile(rf"(?<![\w'’.-])(?P<phi>(?P<a>{_TITLE}) [\"“](?P<n>[{_UP}{_LOW}]+)[\"”] "
                        rf"(?P<b>{_TITLE}))(?![\w-])", re.IGNORECASE)
_INITIAL_SURNAME = compile_skipping(rf"(?<![\w'’.-])(?P<phi>[{_UP}]\. ?(?P<b>{_TITLE}))"
                                    rf"(?![\w'’-])")
_INVERTED_PAIR = compile_skipping(rf"(?<![\w'’.-])(?P<phi>(?P<a>{_TITLE}), (?P<b>{_TITLE}))"
                                  rf"(?![\w'’-])")
# Zero-width, so that overlapping candidates ("with patricia", "patricia desrosiers") are
# all seen.
_LOWER_PAIR = re.compile(rf"(?<![\w'’.-])(?=(?P<phi>[{_LOW}]{{3,}} (?:[a-z]\. )?[{_LOW}]{{3,}})"
                         rf"(?![\w-]))")


class _NameChecks(Protocol):
    """What the lexicon patterns need from the name recognizer."""

    lexicon: NameLexicon | None
    _eponym: re.Pattern

    def is_clinical(self, token: str) -> bool: ...


@dataclass(frozen=True)
class NameLexicon:
    """First names, surnames and non-name words, lower case."""

    first: frozenset[str]
    last: frozenset[str]
    common: frozenset[str]

    def is_common(self, word: str) -> bool:
        return word.lower().removesuffix("'s").removesuffix("’s") in self.common

    def is_first(self, word: str) -> bool:
        low = word.lower()
        return low in self.first and low not in self.common

    def is_name(self, word: str) -> bool:
        """A first name or surname of any list (``last`` holds philter's first names too),
        also with its accents removed (``Kónya`` is listed as ``konya``)."""
        low = word.lower()
        folded = "".join(c for c in unicodedata.normalize("NFKD", low)
                         if not unicodedata.combining(c))
        listed = any(w in self.first or w in self.last for w in (low, folded))
        return listed and low not in self.common and folded not in self.common


def load_name_lexicon() -> NameLexicon:
    """philter-lite's name and non-name lists plus the US Census names (loaded once)."""
    raw = philter_sets()
    census_first, census_last = name_dictionaries()
    # philter's non-name list leaves out words that are also names somewhere ("love",
    # "mystery"), so a first name alone must come from the curated Census list; the larger
    # lists only back words already shaped like a name series.
    first = {w.lower() for w in census_first}
    last = ({w.lower() for w in raw["lastnames"]} | {w.lower() for w in raw["firstnames"]}
            | {w.lower() for w in census_last})
    return NameLexicon(first=frozenset(first), last=frozenset(last),
                       common=frozenset(w.lower() for w in raw["nonames"] if w))


def _result(start: int, end: int, score: float, how: str) -> RecognizerResult:
    return RecognizerResult("NAME", start, end, score, recognition_metadata={_META: f"name:{how}"})


def lexicon_names(text: str, rec: _NameChecks) -> list[RecognizerResult]:
    """NAME results found by the dictionaries alone (see the module docstring)."""
    lex = rec.lexicon
    if lex is None:
        return []
    out: list[RecognizerResult] = []

    def plausible(word: str, end: int) -> bool:
        return not rec.is_clinical(word) and not rec._eponym.match(text[end:end + 24])

    for m in _SINGLE.finditer(text):
        word = m.group("phi")
        # A capital at the start of a sentence or line says nothing ("Grace period ...").
        if _SENTENCE_START.search(text[max(0, m.start() - 4):m.start()]) or m.start() == 0:
            continue
        if lex.is_first(word) and plausible(word, m.end()):
            out.append(_result(m.start(), m.end(), 0.6, "first_name_dict"))
    for m in _SPEAKER.finditer(text):
        word = m.group("phi")
        if lex.is_name(word) and plausible(word, m.end("phi")):
            out.append(_result(*m.span("phi"), 0.6, "speaker"))
    for m in _SERIES.finditer(text):
        words = list(re.finditer(_TITLE, m.group("phi")))
        if all(lex.is_name(w.group()) and plausible(w.group(), m.start() + w.end())
               for w in words):
            out += [_result(m.start() + w.start(), m.start() + w.end(), 0.6, "name_series")
                    for w in words]
    for m in _TITLE_PAIR.finditer(text):
        a, b = m.group("a"), m.group("b")
        if any(lex.is_common(w) or not plausible(w, m.end("phi")) for w in (a, b)):
            continue
        # Both words listed, or a middle initial (a shape English prose rarely makes)
        # and one listed word.
        # Or a listed first name and a surname no list knows ("Shayla Oduya").
        if (lex.is_name(a) and lex.is_name(b)) or (
                m.group("i") and (lex.is_name(a) or lex.is_name(b))) or (
                lex.is_first(a) and len(b) >= 4 and not b.isupper()):
            out.append(_result(*m.span("phi"), 0.6, "name_pair"))
    for m in _NICKNAMED.finditer(text):
        a, b = m.group("a"), m.group("b")
        if (lex.is_name(a) or lex.is_name(b) or lex.is_first(a)) and all(
                plausible(w, m.end("phi")) for w in (a, b)):
            # Surer than a title's span, which stops at the quote ("Dr. Felipe").
            out.append(_result(*m.span("phi"), 0.96, "nicknamed"))
    for m in _INITIAL_SURNAME.finditer(text):
        b = m.group("b")
        if len(b) >= 4 and not lex.is_common(b) and plausible(b, m.end("phi")):
            out.append(_result(*m.span("phi"), 0.7, "initial_surname"))
    for m in _INVERTED_PAIR.finditer(text):
        a, b = m.group("a"), m.group("b")
        if all(lex.is_name(w) and plausible(w, m.end("phi")) for w in (a, b)):
            out.append(_result(*m.span("phi"), 0.6, "inverted_pair"))
    for m in _LOWER_PAIR.finditer(text):
        words = m.group("phi").split()
        if (lex.is_first(words[0]) and words[-1].lower() in lex.last
                and not lex.is_common(words[-1])
                and not any(rec.is_clinical(w) for w in words)):
            out.append(_result(*m.span("phi"), 0.6, "lower_case_dict"))
    return out
