"""Retrieval metric functions and query building (the evaluation itself is not a test)."""

from __future__ import annotations

from evals.retrieval import (
    Fact,
    build_queries,
    clean_code_display,
    first_relevant_rank,
    mean_reciprocal_rank,
    recall_at,
)


def test_first_relevant_rank_needs_same_note_and_overlap():
    evidence = [("n1", 10, 20)]
    assert first_relevant_rank([("n2", 0, 50), ("n1", 0, 10), ("n1", 15, 30)], evidence) == 3
    assert first_relevant_rank([("n2", 10, 20)], evidence) is None


def test_recall_and_mrr():
    ranks = [1, 3, None, 10]
    assert recall_at(ranks, 1) == 0.25 and recall_at(ranks, 5) == 0.5
    assert abs(mean_reciprocal_rank(ranks) - (1 + 1 / 3 + 0.1) / 4) < 1e-9
    assert recall_at([], 5) == 0.0 and mean_reciprocal_rank([]) == 0.0


def test_clean_code_display_drops_classification_boilerplate():
    assert clean_code_display("Essential (primary) hypertension") == "Essential hypertension"
    assert clean_code_display("Gout, unspecified") == "Gout"


def test_queries_use_type_templates_and_paraphrases():
    facts = [Fact("P1", "MEDICATION", "lasix", [("n", 0, 5)], paraphrase="furosemide"),
             Fact("P1", "PROBLEM", "htn", [("n", 9, 12)])]
    assert [(q.family, q.text) for q in build_queries(facts)] == [
        ("surface", "lasix dose"), ("paraphrase", "furosemide dose"), ("surface", "htn")]
