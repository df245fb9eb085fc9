"""agent.nlp.alternation_dispatch finds what finditer of the whole pattern finds."""

from __future__ import annotations

import random
import re
from dataclasses import fields as dataclass_fields

from agent.nlp.alternation_dispatch import AlternationDispatch, first_class
from agent.nlp.first_chars import compile_skipping, first_chars
from agent.nlp.medication.lexicon import default_lexicon
from agent.nlp.medication.matches import _Grammar, _grammar
from evals.synthetic import load_notes


def _both(d: AlternationDispatch, text: str, lo: int = 0, hi: int | None = None):
    full = [(m.span(), m.lastgroup) for m in d.full.finditer(text, lo, len(text) if hi is None
                                                            else hi)]
    return full, [(m.span(), m.lastgroup) for m in d.finditer(text, lo, hi)]


def test_the_medication_terms_match_the_demo_notes_as_the_whole_alternation():
    d = default_lexicon().terms_combined
    assert d.dispatches
    found = 0
    for note in load_notes():
        for lo, hi in ((0, None), (50, 400), (333, 334)):
            full, ours = _both(d, note.text, lo, hi)
            assert ours == full
            found += len(ours)
    assert found > 300


def test_generated_alternations_match_as_finditer_does():
    """Case-insensitive parts, classes, digits, optional heads, look-arounds, overlapping
    branches whose order decides the match."""
    pieces = ["a", "ab", "(?i:b)", "[a-c]x", r"\d+a", "(?:x)?b", "(?<!c)a", "(?i:ab|ba)",
              "A", r"a(?=b)", r"\sb", "k", "(?i:k)"]
    rng = random.Random(3)
    for _ in range(300):
        branches = [f"(?P<g{i}>{rng.choice(pieces)}{rng.choice(['', 'b', 'x?'])})"
                    for i in range(rng.randint(1, 5))]
        d = AlternationDispatch(r"(?<![A-Za-z0-9])", branches, r"(?![a-z])")
        text = "".join(rng.choice("aAbBcx1 \u212ak") for _ in range(rng.randint(0, 30)))
        full, ours = _both(d, text)
        assert ours == full, (branches, text)


def test_a_branch_that_can_match_nothing_turns_the_dispatch_off():
    assert first_class("a?")[1]
    d = AlternationDispatch(r"(?<!x)", ["(?P<a>b)", "(?P<b>c*)"])
    assert not d.dispatches
    assert [m.span() for m in d.finditer("bcc")] == [m.span() for m in d.full.finditer("bcc")]


def test_unreadable_branches_are_tried_everywhere():
    assert first_class(".a")[0] is None
    assert first_class("[^a]b")[0] is None
    d = AlternationDispatch("", ["(?P<a>.x)", "(?P<b>ab)"])
    assert [m.span() for m in d.finditer("zxab")] == [(0, 2), (2, 4)]


def test_the_medication_grammar_patterns_skip_and_find_what_re_finds():
    """The number-led medication patterns open on look-behinds: compiled to skip the places
    no match can start (agent.nlp.first_chars), over whole notes and regions of them."""
    grammar = _grammar(default_lexicon())
    scans = [getattr(grammar, f.name) for f in dataclass_fields(_Grammar)
             if isinstance(getattr(grammar, f.name), re.Pattern)]
    assert len(scans) == 8
    assert sum(first_chars(rx.pattern, rx.flags) is not None for rx in scans) >= 7
    found = 0
    for note in load_notes():
        text = note.text
        for lo, hi in ((0, len(text)), (17, max(17, len(text) - 40))):
            for rx in scans:
                plain = re.compile(rx.pattern, rx.flags)
                ours = [(m.span(), m.groupdict()) for m in rx.finditer(text, lo, hi)]
                assert ours == [(m.span(), m.groupdict()) for m in plain.finditer(text, lo, hi)]
                found += len(ours)
    assert found > 500


def test_generated_skipping_patterns_match_as_re_does():
    pieces = ["a", "(?i:b)", "[a-c]x", r"\d+a", "(?:x)?b", "(?i:ab|ba)", "A", r"\sb", "k"]
    rng = random.Random(5)
    for _ in range(300):
        lead = rng.choice(["", r"(?<![A-Za-z0-9])", r"(?<!x)(?<!\d)"])
        body = "|".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
        pattern, flags = f"{lead}(?:{body})(?![a-z])", rng.choice([0, re.IGNORECASE])
        text = "".join(rng.choice("aAbBcx1 \u212ak\u017f") for _ in range(rng.randint(0, 30)))
        plain = re.compile(pattern, flags)
        assert [m.span() for m in compile_skipping(pattern, flags).finditer(text)] == \
            [m.span() for m in plain.finditer(text)]
