"""Fast dictionary matching of large vocabularies (drugs, diseases, procedures, labs).

spaCy's PhraseMatcher needs one tokenised Doc per term; for ~200k vocabulary variants that
costs tens of seconds at start-up. An Aho-Corasick automaton over lower-cased text builds in
about a second and matches a note in well under a millisecond, and character offsets come
out exact. Matches must start and end on word boundaries so "ace" never fires inside "place".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ahocorasick


@dataclass(frozen=True)
class LexiconHit:
    """A vocabulary match: offsets into the text, the label and the canonical concept."""

    start: int
    end: int
    label: str
    canonical: str
    source: str


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


class LexiconMatcher:
    """Longest-match dictionary tagger over several labelled vocabularies.

    Args:
        vocabularies: ``{source_name: (label, {variant: canonical})}``; variants are matched
            case-insensitively.
        case_sensitive: ``{source_name: (label, {variant: canonical})}`` matched with exact
            case, for abbreviations such as "MS" or "PE" whose lower-case forms are words.
        min_length: shorter variants are ignored (single letters, "ad", "pm").
    """

    def __init__(
        self,
        vocabularies: Mapping[str, tuple[str, Mapping[str, str]]],
        case_sensitive: Mapping[str, tuple[str, Mapping[str, str]]] | None = None,
        *,
        min_length: int = 3,
    ) -> None:
        self._lower = self._build(vocabularies, lower=True, min_length=min_length)
        self._exact = self._build(case_sensitive or {}, lower=False, min_length=2)

    @staticmethod
    def _build(
        vocabularies: Mapping[str, tuple[str, Mapping[str, str]]], *, lower: bool,
        min_length: int,
    ) -> ahocorasick.Automaton | None:
        automaton = ahocorasick.Automaton()
        count = 0
        for source, (label, variants) in vocabularies.items():
            for variant, canonical in variants.items():
                key = variant.lower() if lower else variant
                if len(key) < min_length:
                    continue
                if key in automaton:
                    # First vocabulary wins a shared variant; callers list the most
                    # specific vocabulary first.
                    continue
                automaton.add_word(key, (len(key), label, canonical, source))
                count += 1
        if not count:
            return None
        automaton.make_automaton()
        return automaton

    def find(self, text: str) -> list[LexiconHit]:
        """All longest, non-overlapping, word-bounded matches in ``text``, in offset order."""
        hits: list[LexiconHit] = []
        for automaton, haystack in ((self._lower, text.lower()), (self._exact, text)):
            if automaton is None:
                continue
            # str.lower() can change length for a few non-ASCII characters; offsets
            # would then drift, so fall back to exact-case matching for such text.
            if len(haystack) != len(text):
                haystack = text
            for end_idx, (length, label, canonical, source) in automaton.iter(haystack):
                start = end_idx - length + 1
                end = end_idx + 1
                if start > 0 and _is_word_char(text[start - 1]):
                    continue
                if end < len(text) and _is_word_char(text[end]):
                    continue
                hits.append(LexiconHit(start, end, label, canonical, source))
        return longest_non_overlapping(hits)


def longest_non_overlapping(hits: Iterable[LexiconHit]) -> list[LexiconHit]:
    """Keep the longest hit among overlapping ones (earliest start breaks ties)."""
    ordered = sorted(hits, key=lambda h: (-(h.end - h.start), h.start))
    if not ordered:
        return []
    # A character occupancy map keeps this linear in text length: a 1 MB note can have
    # tens of thousands of hits, and pairwise overlap checks would be quadratic.
    occupied = bytearray(max(h.end for h in ordered))
    taken: list[LexiconHit] = []
    for h in ordered:
        if any(occupied[h.start:h.end]):
            continue
        taken.append(h)
        occupied[h.start:h.end] = b"\x01" * (h.end - h.start)
    return sorted(taken, key=lambda h: h.start)
