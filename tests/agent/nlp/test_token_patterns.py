"""agent.nlp.token_patterns returns exactly spaCy's Matcher output, order included."""

from __future__ import annotations

import random

import pytest
import spacy
from spacy.matcher import Matcher

from agent.nlp.token_patterns import DocTokens, StartIndex, compile_pattern, find_all
from evals.synthetic import load_notes


def _spacy(nlp, patterns, doc):
    matcher = Matcher(nlp.vocab)
    for key, pattern in patterns:
        matcher.add(key, [pattern])
    return matcher(doc)


def _ours(nlp, patterns, doc):
    compiled = [(nlp.vocab.strings.add(key), compile_pattern(p)) for key, p in patterns]
    assert all(c is not None for _, c in compiled)
    return find_all(DocTokens(doc), compiled)


_WORDS = ["a", "b", "c", "no", "not"]
_OPS = [None, None, "?", "*", "+"]


def _random_spec(rng: random.Random) -> dict:
    kind = rng.randrange(5)
    if kind == 0:
        spec: dict = {"LOWER": rng.choice(_WORDS)}
    elif kind == 1:
        spec = {"LOWER": {"IN": rng.sample(_WORDS, 2)}}
    elif kind == 2:
        spec = {"IS_SPACE": True}
    elif kind == 3:
        spec = {"LOWER": {"NOT_IN": rng.sample(_WORDS, 2)}}
    else:
        spec = {"TEXT": {"REGEX": "^[ab]"}}
    op = rng.choice(_OPS)
    if op is not None:
        spec["OP"] = op
    return spec


def test_random_patterns_and_docs_match_as_spacy_does():
    """Every quantifier combination, overlapping patterns and repeated words: the cases
    where the order of spaCy's output depends on forks and late matches."""
    nlp = spacy.blank("en")
    rng = random.Random(7)
    for _ in range(300):
        patterns = [(f"P{k % 3}", [_random_spec(rng) for _ in range(rng.randint(1, 4))])
                    for k in range(rng.randint(1, 5))]
        words = [rng.choice(_WORDS + ["x"]) for _ in range(rng.randint(1, 12))]
        text = "".join(w + rng.choice([" ", " ", "  ", "\n"]) for w in words)
        doc = nlp.make_doc(text)
        assert _ours(nlp, patterns, doc) == _spacy(nlp, patterns, doc), (patterns, text)


@pytest.fixture(scope="module")
def context_patterns(clinical_pipeline):
    matcher = clinical_pipeline.context._ConText__matcher._MedspacyMatcher__matcher
    return [(key, pattern) for key, pattern, _, _ in matcher._specs]


def test_the_context_rules_match_the_demo_notes_as_spacy_does(clinical_pipeline,
                                                              context_patterns):
    nlp = clinical_pipeline.nlp
    found = 0
    for note in load_notes():
        doc = nlp.make_doc(note.text[:5000])
        ours = _ours(nlp, context_patterns, doc)
        assert ours == _spacy(nlp, context_patterns, doc)
        found += len(ours)
    assert found > 500


def test_unsupported_specs_are_left_to_spacy():
    assert compile_pattern([{"POS": "NOUN"}]) is None
    assert compile_pattern([{"LOWER": "a", "OP": "!"}]) is None
    assert compile_pattern([{"LOWER": {"FUZZY": "a"}}]) is None
    assert compile_pattern([]) is None


def test_the_start_index_gives_each_patterns_own_start_positions(clinical_pipeline,
                                                               context_patterns):
    nlp = clinical_pipeline.nlp
    compiled = [compile_pattern(p) for _, p in context_patterns]
    index = StartIndex(compiled)
    assert index.other, "some rules start with a flag or a regex: the fallback is covered"
    for note in load_notes()[:12]:
        toks = DocTokens(nlp.make_doc(note.text[:5000]))
        wanted = {p: p for p in range(0, len(compiled), 2)}  # every other pattern
        expected: dict[int, list[int]] = {}
        for p in sorted(wanted):
            for i in compiled[p].starts(toks):
                expected.setdefault(i, []).append(p)
        assert index.starting(toks, wanted) == expected
        numbered = [(nlp.vocab.strings.add(k), c) for (k, _), c in zip(context_patterns,
                                                                        compiled, strict=True)]
        everything = index.starting(toks, {p: p for p in range(len(compiled))})
        assert find_all(toks, numbered, everything) == find_all(toks, numbered)


def test_token_flags_are_read_per_distinct_word_as_spacy_gives_them(clinical_pipeline):
    """DocTokens.flag reads each distinct word's lexeme once: the same values as the
    tokens' own IS_*/LIKE_NUM properties, token for token."""
    from agent.nlp.token_patterns import _FLAGS, DocTokens

    for note in load_notes()[:8]:
        doc = clinical_pipeline.prepare(note.text)
        toks = DocTokens(doc)
        for name in _FLAGS:
            assert toks.flag(name) == [bool(getattr(t, name.lower())) for t in doc], name
