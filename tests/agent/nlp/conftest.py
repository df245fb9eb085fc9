"""Fixtures of the extraction-rule tests."""

from __future__ import annotations

import pytest

from agent.nlp.assertion import assertion_of


@pytest.fixture
def assert_first(clinical_pipeline):
    """``assert_first(text, [(surface, type), ...])``: the assertion of the first target
    when the fragment holds exactly those entities (every target named, so that ConText sees
    the same entities as in a note)."""

    def first(text: str, targets: list[tuple[str, str]]) -> str:
        doc = clinical_pipeline.prepare(text)
        spans = []
        for surface, etype in targets:
            start = text.index(surface)
            spans.append(doc.char_span(start, start + len(surface), label=etype,
                                       alignment_mode="expand"))
        head = spans[0]
        doc.ents = sorted(spans, key=lambda s: s.start)
        doc = clinical_pipeline.annotate(doc)
        span = next(e for e in doc.ents if e.start == head.start)
        return assertion_of(span, targets[0][1])

    return first
