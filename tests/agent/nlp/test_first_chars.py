"""Patterns compiled to skip the places no match can start (agent.nlp.first_chars) find
exactly what re.compile's find."""

from __future__ import annotations

import re
import sys

import pytest

from agent.nlp.first_chars import compile_skipping, first_chars
from evals.synthetic import load_notes

_EDGES = ["", "1", "a", "STENT kit \u017ftent \u212ait B\u0130D b\u0131d",
          "MRN: 12 mrn#3 \u017fig 4 ab1 Xx9 -c2", "123-45-6789", "x123-45-6789",
          "-555-0142 ", "Dr. Ng\n",
          "ÉLODIE Ó Ceallaigh", "call 555-0142 ext 12", "\n\n  3/4/26\n", "İstanbul ſ K", "Mc",
          "O'Brien, Ann T.", "Mon, 3/4 and 12/25", "seen:  42 ; x|7"]


def _key(rx, text):
    return [(m.span(), m.groups()) for m in rx.finditer(text)]


@pytest.mark.parametrize(("pattern", "flags", "expected"), [
    # A look-behind consumes nothing: the set is the digits after it.
    (r"(?<![\d/.-])(?P<phi>\d{3}-\d{4})", 0, [(re._constants.CATEGORY,
                                               re._constants.CATEGORY_DIGIT)]),
    # An optional part adds its first characters to what follows it.
    (r"(?:\+?1)?\d", 0, "+1d"),
    (r"\b(?:at|by) \d", 0, "ab"),
    # Digits have no case: a case-insensitive pattern keeps its set.
    (r"(?<!\d)\d{5}", re.IGNORECASE, "d"),
])
def test_the_first_characters_are_those_a_match_can_start_with(pattern, flags, expected):
    found = first_chars(pattern, flags)
    if isinstance(expected, str):
        C = re._constants
        want = []
        for ch in expected:
            want.append((C.CATEGORY, C.CATEGORY_DIGIT) if ch == "d" else (C.LITERAL, ord(ch)))
        expected = want
    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize(("pattern", "flags"), [
    (r"\d*", 0),  # matches the empty string
    (r"(?:x)?", 0),
    (r"[^a]b", 0),  # a negated class
    (r".b", 0),  # any character
    (r"(?i:é)x", 0),  # a non-ASCII letter under IGNORECASE: Unicode's case equivalences
    (r"(?i)\w+x", 0),  # \w under IGNORECASE also matches what folds into a word character
    (r"(?a:\w)x", 0),  # (?a:...) changes what \w means
    (r"^\d+", 0),  # re's search stops after the first position anyway
    (r"\A\d+", 0),
])
def test_what_is_not_worked_out_is_left_as_re_compiles_it(pattern, flags):
    assert first_chars(pattern, flags) is None
    rx = compile_skipping(pattern, flags)
    assert rx.pattern == pattern
    for text in _EDGES:
        assert _key(rx, text) == _key(re.compile(pattern, flags), text)


@pytest.mark.parametrize("pattern", [
    r"(?<![\d/.-])(?P<phi>\d{3}-\d{4})(?![\d-])",
    r"(?<![\w.])(?P<phi>[A-Z][a-z]+(?:-[A-Z][a-z]+)?), (?P<first>[A-Z])",
    r"(?:(?:Mon|Tue)\.?,?\s+)?(?<![\d/.])(?P<m>\d{1,2})/(?P<d>\d{1,2})",
    r"\b(?P<phi>[A-ZÀ-ÖØ-Þ][a-zß-ÿ]+|Mc[A-Z][a-z]+)\b",
    r"(?m)(?<=[:;|])[ \t]*(?P<phi>\d+)",
    r"(?:(?<=\s)|(?<=^))(?P<x>\d)\d",
])
def test_a_skipping_pattern_finds_what_the_pattern_finds(pattern):
    rx = compile_skipping(pattern)
    plain = re.compile(pattern)
    assert first_chars(pattern) is not None
    assert rx.pattern == plain.pattern and rx.groupindex == plain.groupindex
    texts = _EDGES + [n.text for n in load_notes()[:6]]
    for text in texts:
        assert _key(rx, text) == _key(plain, text)
        for pos in (0, 1, 5):
            for method in ("search", "match"):
                a, b = getattr(rx, method)(text, pos), getattr(plain, method)(text, pos)
                assert (a and a.span()) == (b and b.span())


def test_every_pattern_of_the_recognizers_finds_what_re_finds(deid_detector):
    texts = [n.text for n in load_notes()]
    texts += [deid_detector.recaser.recase(t) for t in texts] + _EDGES
    from agent.deid import name_lexicon

    patterns = [v for v in vars(name_lexicon).values() if isinstance(v, re.Pattern)]
    for recognizer in deid_detector._pack.recognizers:
        for value in [*vars(recognizer).values(), *vars(type(recognizer)).values()]:
            items = value if isinstance(value, list) else [value]
            for item in items:
                for x in item if isinstance(item, tuple) else (item,):
                    rx = getattr(x, "pattern_", x)
                    if isinstance(rx, re.Pattern):
                        patterns.append(rx)
    skipping = [rx for rx in patterns if first_chars(rx.pattern, rx.flags) is not None]
    # Most of the pack's patterns open on a look-behind, a boundary or an optional part.
    assert len(skipping) >= 60
    for rx in skipping:
        plain = re.compile(rx.pattern, rx.flags)
        for text in texts:
            assert _key(rx, text) == _key(plain, text), rx.pattern[:60]


def test_when_re_internals_change_the_pattern_is_compiled_as_re_compiles_it(monkeypatch):
    from agent.nlp import first_chars as module

    def gone(*args, **kwargs):
        raise AttributeError("module 're._compiler' has no attribute '_optimize_charset'")

    pattern = r"(?<![\d/.-])(?P<phi>\d{3}-\d{4})"
    plain = re.compile(pattern)
    assert module.compile_skipping(pattern) != plain  # a set in its info block
    monkeypatch.setattr(module, "_with_first_chars", gone)
    assert module.compile_skipping(pattern) == plain


def test_the_ignorecase_letters_table_is_what_re_folds():
    """Every non-ASCII character re.IGNORECASE matches to an ASCII letter is in the table the
    sets are widened with: a missing one would be a place a match is never tried."""
    from agent.nlp.first_chars import IGNORECASE_EXTRAS

    letters = re.compile("[a-z]", re.IGNORECASE)
    found: dict[str, str] = {}
    for code in range(128, sys.maxunicode + 1):
        ch = chr(code)
        if letters.fullmatch(ch):
            ascii_letter = next(x for x in "abcdefghijklmnopqrstuvwxyz"
                                if re.fullmatch(x, ch, re.IGNORECASE))
            found[ascii_letter] = found.get(ascii_letter, "") + ch
    assert {k: set(v) for k, v in found.items()} == {
        k: set(v) for k, v in IGNORECASE_EXTRAS.items()}


def test_every_vocabulary_rule_of_the_extractor_finds_what_re_finds():
    """The extraction's curated pattern rules (agent.nlp.vocab: GatedPattern, which scans
    through compile_skipping) give re's own matches on the demo and dev notes."""
    from agent.nlp.entities import default_extractor

    vocab = default_extractor().vocabularies
    texts = [n.text for n in load_notes()] + _EDGES
    texts += [t.upper() for t in texts[:10]]
    assert len(vocab.patterns) >= 30
    for rule in vocab.patterns:
        plain = re.compile(rule.regex.pattern, rule.regex.flags)
        for text in texts:
            assert _key(rule.finder, text) == _key(plain, text), rule.regex.pattern[:60]
