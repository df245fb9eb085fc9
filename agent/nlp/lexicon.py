"""Fast dictionary matching of large vocabularies (drugs, diseases, procedures, labs).

spaCy's PhraseMatcher needs one tokenised Doc per term; for ~200k vocabulary variants that
costs tens of seconds at start-up. An Aho-Corasick automaton over lower-cased text builds in
about a second and matches a note in well under a millisecond, and character offsets come
out exact. Matches must start and end on word boundaries so "ace" never fires inside "place".

Two medication matches joined by a hyphen are one combination product
("carbidopa-levodopa", "trimethoprim-sulfamethoxazole"): the vocabularies list few
combinations in that spelling, and the annotation guideline labels the combination as one
drug name. A slash is not a joiner: it lists a regimen or alternatives as often as a
product ("paclitaxel/carboplatin", "heparin/LMWH"); fixed slash products the vocabulary
lists whole ("lopinavir/ritonavir") still match whole.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
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


# "insulin-like growth factor", "heparin-like": resemblance, not the named thing.
_LIKE_SUFFIX = re.compile(r"-like\b", re.IGNORECASE)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


_DECIMAL_GOES_ON = re.compile(r"[.,]\d")
_PLURAL_S = re.compile(r"s(?![\w'’])")


class LexiconMatcher:
    """Longest-match dictionary tagger over several labelled vocabularies.

    Args:
        vocabularies: ``{source_name: (label, {variant: canonical})}``; variants are matched
            case-insensitively.
        case_sensitive: ``{source_name: (label, {variant: canonical})}`` matched with exact
            case, for abbreviations such as "MS" or "PE" whose lower-case forms are words.
        min_length: shorter variants are ignored (single letters, "ad", "pm").
        joined_labels: labels whose adjacent matches joined by a hyphen (no spaces)
            become one match, for combination products.
        abbreviation_labels: labels whose match in parentheses right after a match with
            the same canonical ("methotrexate (MTX)") is dropped: it defines an
            abbreviation and is not a second mention.
    """

    def __init__(
        self,
        vocabularies: Mapping[str, tuple[str, Mapping[str, str]]],
        case_sensitive: Mapping[str, tuple[str, Mapping[str, str]]] | None = None,
        *,
        min_length: int = 3,
        joined_labels: Collection[str] = ("MEDICATION",),
        abbreviation_labels: Collection[str] = ("MEDICATION",),
    ) -> None:
        self._lower = self._build(vocabularies, lower=True, min_length=min_length)
        self._exact = self._build(case_sensitive or {}, lower=False, min_length=2)
        self._joined_labels = frozenset(joined_labels)
        self._abbreviation_labels = frozenset(abbreviation_labels)

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
                if not key[0].isalnum() or not (key[-1].isalnum() or key[-1] in ")+"):
                    # Inverted vocabulary forms ("alcohol, ethyl" split badly -> "alcohol,")
                    # would swallow the punctuation of the sentence.
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
                if _PLURAL_S.match(text, end) and length >= 4 and text[end - 1].isalpha() \
                        and text[end - 1] not in "sS":
                    # "chest tubes", "drains", "polyps": a plural names the same thing.
                    end += 1
                if end < len(text) and _is_word_char(text[end]):
                    continue
                if text[end - 1].isdigit() and _DECIMAL_GOES_ON.match(text, end):
                    # "Vitamin K 2.5 mg" is not vitamin K2: a match may not end inside a
                    # number.
                    continue
                if _LIKE_SUFFIX.match(text, end):
                    continue
                hits.append(LexiconHit(start, end, label, canonical, source))
        hits = join_combinations(text, longest_non_overlapping(hits), self._joined_labels)
        return drop_abbreviation_definitions(text, hits, self._abbreviation_labels)


# "sitagliptin-lovastatin interaction", "tramadol-citalopram combination": two drugs named
# together, not one combination product.
_SEPARATE_DRUGS_CUE = re.compile(r"\s+(?:interactions?|combinations?|co-?administration)\b",
                                 re.IGNORECASE)


def join_combinations(text: str, hits: list[LexiconHit],
                      labels: Collection[str]) -> list[LexiconHit]:
    """Merge runs of same-label hits separated by exactly one hyphen.

    Args:
        text: the matched text.
        hits: non-overlapping hits in offset order.
        labels: labels that form combinations (MEDICATION).

    Returns:
        Hits in offset order; a merged hit spans the whole run, its canonical is the
        parts' canonicals joined by " / " and its source is the first part's. A run
        followed by "interaction" or "combination" stays split (two drugs, one event).
    """
    out: list[LexiconHit] = []
    runs: list[list[LexiconHit]] = []
    for hit in hits:
        prev = runs[-1][-1] if runs else None
        if (prev is not None and hit.label in labels and prev.label == hit.label
                and hit.start == prev.end + 1 and text[prev.end] == "-"):
            runs[-1].append(hit)
        else:
            runs.append([hit])
    for run in runs:
        if len(run) == 1 or _SEPARATE_DRUGS_CUE.match(text, run[-1].end):
            out.extend(run)
        else:
            out.append(LexiconHit(run[0].start, run[-1].end, run[0].label,
                                  " / ".join(h.canonical for h in run), run[0].source))
    return out


_OPEN_PAREN = re.compile(r"\s*\(\s*$")
_CLOSE_PAREN = re.compile(r"\s*\)")


def drop_abbreviation_definitions(text: str, hits: list[LexiconHit],
                                  labels: Collection[str]) -> list[LexiconHit]:
    """Drop a hit that is the parenthesised abbreviation of the hit just before it.

    "interferon-alpha (IFN-alpha)" and "carboplatin (CBDCA)" name one drug once; case
    reports and their annotations (PHEE) label the full name only.

    Args:
        text: the matched text.
        hits: non-overlapping hits in offset order.
        labels: labels the rule applies to.

    Returns:
        The hits without such abbreviation definitions.
    """
    out: list[LexiconHit] = []
    for hit in hits:
        prev = out[-1] if out else None
        if (prev is not None and hit.label in labels and prev.label == hit.label
                and prev.canonical == hit.canonical
                and _OPEN_PAREN.match(text, prev.end, hit.start)
                and _CLOSE_PAREN.match(text, hit.end)):
            continue
        out.append(hit)
    return out


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
