"""The own-corpora extraction evaluation and its medspaCy + dictionary anchor."""

from __future__ import annotations

import pytest

from evals import extract_corpora
from evals.synthetic import load_gold_entities, load_notes


@pytest.mark.parametrize(("group", "names"), [("frozen", extract_corpora.FROZEN),
                                               ("dev", extract_corpora.DEV)])
def test_when_corpora_are_listed_then_each_has_notes_and_entity_gold(group, names):
    for name in names:
        corpus = extract_corpora.corpus_path(group, name)
        notes = load_notes(corpus)
        gold = load_gold_entities(corpus)
        assert notes and sum(len(v) for v in gold.values()) > 100, name


@pytest.fixture(scope="module")
def baseline():
    from evals.medspacy_baseline import MedspacyBaseline

    return MedspacyBaseline()


@pytest.mark.heavy
def test_when_the_anchor_reads_a_note_then_dictionary_terms_get_context_assertions(baseline):
    ents = {(e.text, e.type, e.assertion) for e in baseline.extract(
        "No chest pain. Mother had breast cancer. Started metformin today.")}
    assert ("chest pain", "PROBLEM", "absent") in ents
    assert ("breast cancer", "PROBLEM", "family") in ents
    assert ("metformin", "MEDICATION", "present") in ents


@pytest.mark.heavy
def test_when_a_set_is_scored_then_both_systems_get_the_same_rows(baseline, extractor):
    report = {"clinagent": {"demo:demo": extract_corpora.score_set(extractor.extract, None)},
              "medspacy_dict": {"demo:demo": extract_corpora.score_set(baseline.extract, None)}}
    table = extract_corpora.format_rows(report)
    assert table.count("demo:demo") == 2
    ours = report["clinagent"]["demo:demo"]["med_prob_overlap"]["f1"]
    anchor = report["medspacy_dict"]["demo:demo"]["med_prob_overlap"]["f1"]
    assert 0 < anchor < ours <= 1
