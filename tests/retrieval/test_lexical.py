"""BM25 tokenisation and scoring."""

from __future__ import annotations

from retrieval.lexical import LexicalScorer, tokenize


def test_tokenize_keeps_doses_and_abbreviations_and_negations():
    assert tokenize("Metoprolol 12.5 mg PO q6h; no DVT.") == [
        "metoprolol", "12.5", "mg", "po", "q6h", "no", "dvt"]


def test_when_query_term_occurs_then_that_text_scores_highest():
    scorer = LexicalScorer(["apixaban 5 mg BID", "metoprolol 25 mg", "no chest pain"])
    scores = scorer.scores("metoprolol dose")
    assert scores.argmax() == 1 and scores[0] == 0


def test_when_no_texts_or_no_tokens_then_scores_are_empty_or_zero():
    assert LexicalScorer([]).scores("x").shape == (0,)
    assert LexicalScorer(["apixaban"]).scores("the of").tolist() == [0.0]
