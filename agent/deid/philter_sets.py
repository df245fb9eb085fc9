"""philter-lite's word sets (``filters/set.toml``): common English words, first names and
surnames, about 450,000 strings.

Kept apart from :mod:`agent.deid.name_lexicon` so the extractor, which needs only the
English words, does not import Presidio with it; and the file is located without importing
``philter_lite``, whose import alone parses it with ``tomllib`` (~2 s of start-up).
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache

from agent.nlp.vocab.packaged_data import package_file

# One ``key = [ "word", "word", ...]`` array per line, as philter-lite ships the file: plain
# basic strings without escapes or control characters, so each item's text is its value.
_ARRAY_LINE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*) = \[((?: ?"[^"\\\x00-\x1f\x7f]*",)*'
                         r'(?: ?"[^"\\\x00-\x1f\x7f]*")?) ?\]')
_ITEM = re.compile(r'"([^"]*)"')


def parse_word_sets(text: str) -> dict[str, list[str]]:
    """Parse a TOML file of string arrays, the same result as ``tomllib.loads``.

    ``tomllib`` reads the 5.5 MB file in ~0.8 s of pure Python; a file made only of
    one-line arrays of plain strings is read here with two regular expressions instead
    (~0.15 s). Anything else in the file (escapes, comments, tables, repeated keys) goes to
    ``tomllib``, so the result is always what the TOML parser gives
    (tests/agent/deid/test_philter_sets.py compares the two on the packaged file).
    """
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _ARRAY_LINE.fullmatch(line)
        if m is None or m.group(1) in out:
            return tomllib.loads(text)
        out[m.group(1)] = _ITEM.findall(m.group(2))
    return out


@lru_cache(maxsize=1)
def philter_sets() -> dict[str, list[str]]:
    """philter-lite's word lists by name (``nonames``, ``firstnames``, ``lastnames``).

    Raises:
        VocabularyError: philter-lite is not installed.
    """
    # Located without importing philter_lite, whose import parses this file with tomllib.
    return parse_word_sets(package_file("philter_lite", "filters/set.toml").read_text(
        encoding="utf-8"))


def common_english_words() -> frozenset[str]:
    """philter-lite's list of common English words (lower case), without the name lists."""
    return frozenset(w.lower() for w in philter_sets()["nonames"] if w)
