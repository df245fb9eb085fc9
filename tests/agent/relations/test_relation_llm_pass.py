"""The optional LLM relation pass: grounded to the rules' entities, merged with provenance."""

from __future__ import annotations

import json

from agent.relations.llm_pass import llm_relations, merge_relations
from agent.schemas.extraction import entity_id
from agent.schemas.notes import Note

TEXT = "Rash after vancomycin; patient also on metoprolol for atrial fibrillation."


def test_when_model_links_listed_entities_then_grounded_and_merged(extractor, fake_backend):
    ext = extractor.extract_note(Note(note_id="n", patient_id="p", text=TEXT))
    reply = {"relations": [
        {"type": "CAUSES", "head": "vancomycin", "tail": "rash", "assertion": "present"},
        {"type": "TREATS", "head": "Metoprolol", "tail": "atrial fibrillation"},
        {"type": "CAUSES", "head": "aspirin", "tail": "Rash"},  # not in the sentence
    ]}
    fake_backend.enqueue(json.dumps(reply))
    run = llm_relations(fake_backend, TEXT, ext)
    assert len(fake_backend.calls) == 1 and run.ungrounded == 1
    assert run.prompt.startswith("extraction/relations@1:")
    by_id = {entity_id(e): e.text for e in ext.entities}
    assert sorted((r.type, by_id[r.head], by_id[r.tail]) for r in run.relations) == [
        ("CAUSES", "vancomycin", "Rash"), ("TREATS", "metoprolol", "atrial fibrillation")]
    merged = merge_relations(ext.relations, run.relations)
    sources = {(r.type, by_id[r.head]): r.source for r in merged}
    assert sources[("CAUSES", "vancomycin")] == "rules+llm"
    assert [r.id for r in merged] == [f"r{i}" for i in range(1, len(merged) + 1)]


def test_when_reply_never_validates_then_sentence_reported_and_rules_kept(extractor,
                                                                          fake_backend):
    ext = extractor.extract_note(Note(note_id="n", patient_id="p", text=TEXT))
    fake_backend.enqueue("not json", "still not json", "{}")
    run = llm_relations(fake_backend, TEXT, ext)
    assert run.relations == [] and len(run.failed_sentences) == 1
    assert merge_relations(ext.relations, run.relations) == ext.relations
