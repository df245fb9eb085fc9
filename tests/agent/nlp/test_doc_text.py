"""The doc readers of agent.nlp.doc_text give what spaCy's Token objects give."""

from __future__ import annotations

from agent.nlp.doc_text import doc_text, token_offsets, token_texts
from evals.synthetic import load_notes


def test_token_texts_and_offsets_are_the_tokens_own(clinical_pipeline):
    texts = [n.text for n in load_notes()[:8]] + ["", " ", "Dr. O'Brien's BP 120/80.\n\n  x"]
    for text in texts:
        doc = clinical_pipeline.prepare(text)
        assert token_texts(doc) == [t.text for t in doc]
        assert token_offsets(doc) == [t.idx for t in doc]
        assert doc_text(doc) == doc.text == text
