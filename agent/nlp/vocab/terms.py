"""Token normalisation shared by the vocabulary coders (ICD-10-CM, ICD-10-PCS).

Vocabulary descriptions and note mentions are compared as bags of light stems so that
"diabetic"/"diabetes", "infected"/"infection" or "haemorrhage"/"hemorrhage" meet. The stemmer
is a deliberately small suffix stripper: it only has to map both sides consistently, and a
full Porter stemmer would add a dependency for little gain on short clinical phrases.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Words that carry no clinical meaning when matching a mention to a code description.
STOPWORDS: frozenset[str] = frozenset({
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "as", "from",
    "with", "is", "was", "are", "be", "its", "their", "his", "her", "this", "that", "into",
    "due", "than", "s",
})

# Description words that mark a code as the default ("unspecified") member of its family;
# they do not make a description more specific than the mention, so they are not held
# against it (ICD-10-CM convention: NOS = not otherwise specified).
FILLER_WORDS: tuple[str, ...] = (
    "unspecified", "nos", "not", "specified", "elsewhere", "classified", "nec", "site",
    "initial", "encounter", "organism", "part", "uncomplicated",
)

_SPLIT = re.compile(r"[^a-z0-9]+")
_PAREN = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")

# Longest suffix first; (suffix, replacement). Minimum stem length is 3 characters.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ically", ""), ("ations", ""), ("ation", ""), ("ities", ""), ("ness", ""),
    ("ions", ""), ("ious", ""), ("ical", ""), ("ives", ""), ("ing", ""), ("ies", "y"),
    ("ion", ""), ("ity", ""), ("ive", ""), ("ous", ""), ("ias", ""), ("ics", ""),
    ("ed", ""), ("ic", ""), ("ia", ""), ("al", ""), ("es", ""), ("s", ""), ("e", ""),
)
_KEEP_S = ("ss", "us", "is")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Return the light stem of one lower-case word.

    Args:
        word: a lower-case alphanumeric token.

    Returns:
        The stem; digits and words of three letters or fewer are returned unchanged.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    # British spellings (haemorrhage, oedema, anaemia) are common in translated case reports.
    w = word.replace("ae", "e").replace("oe", "e")
    for suffix, repl in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w.endswith(_KEEP_S):
                continue
            if suffix == "e" and len(w) <= 4:  # "nose" must not become the filler "nos"
                continue
            return w[: len(w) - len(suffix)] + repl
    return w


# Stems of FILLER_WORDS, computed so they always agree with stem().
FILLER: frozenset[str] = frozenset(stem(w) for w in FILLER_WORDS)


def tokens(text: str) -> list[str]:
    """Split text into stems, dropping stop words.

    Args:
        text: any text (case is ignored).

    Returns:
        Stems in text order, duplicates kept.
    """
    return [stem(t) for t in _SPLIT.split(text.lower()) if t and t not in STOPWORDS]


def core_and_optional(description: str) -> tuple[list[str], list[str]]:
    """Split a vocabulary description into required and optional stems.

    ICD descriptions put nonessential modifiers in parentheses or brackets, e.g.
    "Essential (primary) hypertension": a mention need not contain them.

    Args:
        description: a code description or inclusion term.

    Returns:
        (core stems, optional stems).
    """
    optional: list[str] = []
    for m in _PAREN.finditer(description):
        optional.extend(tokens(m.group(0)))
    core = tokens(_PAREN.sub(" ", description))
    return core, optional


def normalize_phrase(text: str) -> str:
    """Lower-case a phrase and collapse punctuation to single spaces (for dictionary keys)."""
    return " ".join(t for t in _SPLIT.split(text.lower()) if t)
