"""The extractor's speed-ups give exactly medspaCy's own results on the demo notes."""

from __future__ import annotations

import pytest
from spacy.util import filter_spans

from agent.nlp.token_patterns import DocTokens
from evals.synthetic import load_notes


@pytest.fixture(scope="module")
def demo_docs(extractor):
    """Prepared docs of the demo notes with the extractor's entities as ``doc.ents``."""
    docs = []
    for note in load_notes()[:12]:
        text = note.text[:5000]
        doc = extractor.pipeline.prepare(text)
        spans = [doc.char_span(h.start, h.end, label=h.label, alignment_mode="expand")
                 for h in extractor.vocabularies.find(text)]
        doc.ents = filter_spans([s for s in spans if s is not None])
        docs.append(doc)
    return docs


def _context_matcher(pipeline):
    return pipeline.context._ConText__matcher._MedspacyMatcher__matcher


def test_filtered_context_matcher_finds_what_the_full_matcher_finds(clinical_pipeline,
                                                                    demo_docs):
    matcher = _context_matcher(clinical_pipeline)
    assert type(matcher).__name__ == "_WordFilteredMatcher"
    for doc in demo_docs:
        found = matcher(doc)
        assert found, "the demo notes hold ConText cues"
        # Same matches in the same order as one Matcher holding every pattern.
        assert found == matcher._all(doc)
        assert len(matcher._active(DocTokens(doc))) < len(matcher)


def test_filtered_context_matcher_skips_patterns_whose_words_are_absent(clinical_pipeline):
    matcher = _context_matcher(clinical_pipeline)
    doc = clinical_pipeline.nlp.make_doc("Denies chest pain.")
    assert len(matcher._active(DocTokens(doc))) < len(matcher) // 4


def _edges(doc):
    return [((t.start, t.end), m.modifier_span, m.category) for t, m in
            doc._.context_graph.edges]


def test_context_graph_pairs_targets_and_cues_as_medspacy_does(clinical_pipeline, demo_docs):
    for doc in demo_docs:
        ours = _edges(clinical_pipeline.annotate(doc.copy()))
        theirs = _edges(clinical_pipeline.context(doc.copy()))
        assert ours == theirs
    assert any(_edges(clinical_pipeline.context(d.copy())) for d in demo_docs)


def test_sectionizer_line_gates_find_what_scanning_every_character_finds(
        clinical_pipeline, monkeypatch):
    import agent.nlp.pipeline as pipeline_module

    inner = clinical_pipeline.sectionizer._Sectionizer__matcher._MedspacyMatcher__regex_matcher
    texts = [n.text for n in load_notes()[:12]] + [
        # Tabs, a long indent, a Kelvin sign (folds to "k" under IGNORECASE), a header
        # inside a line, Windows line ends, a header on the last line without a newline.
        "\tAllergies: none\r\n" + " " * 90 + "PLAN:\n\u212aey meds: x\nsee plan: y\nHPI:",
    ]
    assert pipeline_module._LINE_GATES
    for text in texts:
        doc = clinical_pipeline.nlp.make_doc(text)
        gated = inner(doc)
        with monkeypatch.context() as m:
            m.setattr(pipeline_module, "_LINE_GATES", {})
            assert inner(doc) == gated


def test_primed_tokenizer_cache_gives_the_same_tokens(clinical_pipeline):
    """Chunks primed into spaCy's cache come out as an unprimed tokenizer cuts them."""
    import spacy

    from agent.nlp.tokenizer_cache import TokenizerCachePrimer

    fresh = spacy.blank("en")
    primed = spacy.blank("en")
    primer = TokenizerCachePrimer(primed.tokenizer)
    texts = [n.text for n in load_notes()[:12]] + [
        "Dr. Smith's pt (don't) e.g. a.m.:) 5mg/kg x2 -- N/V/D, s/p CABG.\u00a0Done!"]
    for text in texts:
        primer.prime(text)
        ours = [(t.text, t.whitespace_, t.norm_) for t in primed.make_doc(text)]
        assert ours == [(t.text, t.whitespace_, t.norm_) for t in fresh.make_doc(text)]


def test_prepared_docs_keep_their_text(clinical_pipeline):
    from agent.nlp.doc_text import doc_text

    for note in load_notes()[:5]:
        doc = clinical_pipeline.prepare(note.text[:5000])
        assert doc_text(doc) == doc.text == note.text[:5000]
