"""agent.nlp.section_store gives the sections medspaCy's own Sectionizer gives."""

from __future__ import annotations

import json
from pathlib import Path

from agent.nlp.layout import set_sentence_starts
from agent.nlp.section_store import apply_sectionizer, section_category
from evals.synthetic import load_notes

_DEV = Path(__file__).resolve().parents[3] / "evals" / "data" / "dev"


def _texts() -> list[str]:
    texts = [n.text for n in load_notes()]
    for f in sorted(_DEV.glob("multinote_dev*/notes.jsonl"))[:6]:
        texts += [json.loads(line)["text"] for line in f.open(encoding="utf-8") if line.strip()]
    return [t[:5000] for t in texts]


def _state(doc):
    sections = [(s.category, s.title_span, s.body_span, s.parent.category if s.parent else None)
                for s in doc._.sections]
    per_token = [(t._.section.category, t._.section.section_span) if t._.section else None
                 for t in doc]
    return sections, per_token, [t.is_sent_start for t in doc]


def test_sections_and_token_sections_are_medspacys(clinical_pipeline):
    nlp, sectionizer = clinical_pipeline.nlp, clinical_pipeline.sectionizer
    with_headers = 0
    for text in _texts():
        ours = apply_sectionizer(sectionizer, set_sentence_starts(nlp.make_doc(text)))
        theirs = sectionizer(set_sentence_starts(nlp.make_doc(text)))
        assert _state(ours) == _state(theirs)
        for start in range(0, len(ours), 7):
            span = ours[start:start + 3]
            assert section_category(span) == theirs[start:start + 3]._.section_category
        with_headers += len(ours._.sections) > 1
    assert with_headers > 30


def test_a_doc_with_no_header_is_one_section(clinical_pipeline):
    nlp = clinical_pipeline.nlp
    doc = apply_sectionizer(clinical_pipeline.sectionizer, nlp.make_doc("feels well today"))
    assert [(s.category, s.body_span) for s in doc._.sections] == [(None, (0, 3))]
    assert section_category(doc[0:2]) is None
