"""LLM extraction over a scripted backend: grounding, merge with the rules, chunking,
failures reported instead of dropped."""

from __future__ import annotations

import json

import pytest

from agent.errors import BackendUnavailable, InputError
from agent.extract.llm import LLMExtractor, _Span, merge, merge_spans, split_span
from agent.schemas.extraction import Entity
from agent.schemas.llm import MergedEntity
from agent.schemas.notes import Note

NOTE = Note(patient_id="p1", note_id="p1-n1", text=(
    "HPI: 70 yo M with atrial fibrillation. Denies chest pain.\n\n"
    "Medications:\n- metoprolol 25 mg PO BID\n"
))


def _reply(*items: tuple[str, str]) -> str:
    return json.dumps({"entities": [{"type": t, "quote": q} for t, q in items]})


def _queue_for_every_chunk(extractor, fake, *replies):
    n = len(extractor.chunks(NOTE))
    fake.enqueue(*(replies[i] if i < len(replies) else _reply() for i in range(n)))
    return n


def test_when_llm_and_rules_agree_then_both_with_rule_attributes(fake_backend, extractor):
    ex = LLMExtractor(fake_backend, extractor, chunk_chars=2000, merge_chars=60)
    assert [s.section for s in ex.chunks(NOTE)] == ["HPI", "MEDICATIONS"]
    _queue_for_every_chunk(ex, fake_backend,
                           _reply(("PROBLEM", "atrial fibrillation"),
                                  ("PROBLEM", "chest pain"),
                                  ("MEDICATION", "warfarin 5 mg")),
                           _reply(("MEDICATION", "metoprolol")))
    out = ex.extract_note(NOTE)
    by_text = {e.text or e.quote: e for e in out.entities}
    meto = by_text["metoprolol"]
    assert meto.provenance == "both" and meto.grounded and meto.match == "exact"
    assert NOTE.text[meto.start:meto.end] == "metoprolol"
    assert {"strength", "route", "frequency"} <= set(meto.attributes)
    assert by_text["chest pain"].assertion == "absent"
    warfarin = by_text["warfarin 5 mg"]
    assert not warfarin.grounded and warfarin.start is None and warfarin.match == "none"
    for ent in out.entities:
        assert ent.grounded == (ent.start is not None)
        if ent.grounded:
            assert NOTE.text[ent.start:ent.end] == ent.text
    assert out.llm.prompt == "extraction/entities@1" and len(out.llm.prompt_sha256) == 64
    assert out.llm.structured_output.startswith("instructor ")
    assert out.llm.backend_used == "fake" and out.llm.model == "fake-model"
    assert out.llm.chunks == 2
    assert out.llm.prompt_tokens == 20 and out.llm.completion_tokens == 10
    assert out.provenance.prompt.startswith("extraction/entities@1 sha256:")


def test_when_rules_find_what_llm_missed_then_rules_only_items_kept(fake_backend, extractor):
    ex = LLMExtractor(fake_backend, extractor, chunk_chars=2000)
    _queue_for_every_chunk(ex, fake_backend)
    out = ex.extract_note(NOTE)
    assert out.entities and all(e.provenance == "rules" for e in out.entities)
    assert {"atrial fibrillation", "metoprolol"} <= {e.text for e in out.entities}


def test_when_llm_type_differs_from_overlapping_rule_then_llm_with_rule_assertion():
    rule = Entity(start=0, end=10, text="chest pain", type="PROBLEM", assertion="absent")
    llm = MergedEntity(type="TEST", start=0, end=5, text="chest", grounded=True,
                       match="exact", match_score=100, provenance="llm", quote="chest")
    merged = merge([llm], [rule])
    assert [(e.provenance, e.type, e.assertion) for e in merged] == [
        ("llm", "TEST", "absent"), ("rules", "PROBLEM", "absent")]


def test_when_chunk_replies_stay_invalid_then_failure_listed_not_dropped(fake_backend,
                                                                         extractor):
    ex = LLMExtractor(fake_backend, extractor, chunk_chars=2000, merge_chars=60,
                      max_retries=1)
    fake_backend.enqueue("{oops", "", _reply())
    out = ex.extract_note(NOTE)
    assert len(out.failed_chunks) == 1 and out.failed_chunks[0].attempts == 2
    assert out.failed_chunks[0].section == "HPI"
    assert out.llm.attempts == 3 and out.llm.prompt_tokens == 30
    assert all(e.provenance == "rules" for e in out.entities)


def test_when_backend_times_out_then_backend_unavailable(fake_backend, extractor):
    ex = LLMExtractor(fake_backend, extractor, chunk_chars=2000)
    fake_backend.enqueue(BackendUnavailable("no reply within 1 s"))
    with pytest.raises(BackendUnavailable, match="no reply"):
        ex.extract_note(NOTE)


def test_when_note_longer_than_chunk_then_split_into_chunks_within_limit(fake_backend,
                                                                         extractor):
    ex = LLMExtractor(fake_backend, extractor, chunk_chars=200)
    long_note = NOTE.model_copy(update={"text": NOTE.text + "Plan: " + "continue rate "
                                        "control and monitor. " * 30})
    spans = ex.chunks(long_note)
    assert len(spans) > 2
    assert all(s.end - s.start <= 200 for s in spans)
    covered = "".join(long_note.text[s.start:s.end] for s in spans)
    assert len(covered.replace(" ", "")) >= len(long_note.text.split("Plan:")[1]
                                                .replace(" ", "").strip()) 


def test_when_span_has_no_whitespace_to_cut_then_input_error_not_truncation():
    text = "x" * 500
    with pytest.raises(InputError, match="not truncated"):
        split_span(text, _Span(0, 500, None), 100, "n1")


def test_when_prompt_exceeds_context_then_chunk_split_and_reasked(fake_backend, extractor):
    from agent.errors import PromptTooLong

    ex = LLMExtractor(fake_backend, extractor, chunk_chars=2000)
    note = NOTE.model_copy(update={"text": "HPI: " + "rate control and monitoring. " * 10})
    fake_backend.enqueue(PromptTooLong(512, "Requested tokens exceed context window"))
    fake_backend.enqueue(*[_reply()] * 10)
    out = ex.extract_note(note)
    assert out.llm.chunks >= 2 and not out.failed_chunks
    assert len(fake_backend.calls) == out.llm.chunks + 1
    assert all(len(c[-1]["content"]) < len(note.text) for c in fake_backend.calls[1:])


SECTIONED = Note(patient_id="p1", note_id="p1-n2", text="\n".join([
    "CC: dyspnea", "",
    "HPI: 68F with COPD. Denies hemoptysis.", "",
    "PMH: remote cholecystectomy.", "",
    "FHx: mother with ovarian cancer.", "",
    "Meds:", "- tiotropium 18 mcg inh daily", "",
    "Allergies: NKDA", "",
    "Plan: consider chest CT if no improvement.", "",
]))


def test_when_small_sections_then_merged_into_fewer_chunks_cut_at_sections(fake_backend,
                                                                           extractor):
    from agent.indexing import note_layout
    from retrieval.chunking import chunk_note

    merged = LLMExtractor(fake_backend, extractor, chunk_chars=2000, merge_chars=120)
    one = LLMExtractor(fake_backend, extractor, chunk_chars=2000)
    sections = chunk_note(SECTIONED, *note_layout(SECTIONED.text, extractor.pipeline))
    chunks = merged.chunks(SECTIONED)
    assert len(sections) == 7
    assert 1 < len(chunks) < len(sections)
    assert all(c.end - c.start <= 120 for c in chunks)
    # Every merged chunk starts and ends where a section chunk does: cuts fall between
    # sections, never inside one.
    assert {c.start for c in chunks} <= {s.start for s in sections}
    assert {c.end for c in chunks} <= {s.end for s in sections}
    assert sum(len(c.sections) for c in chunks) == len(sections)
    assert [c.section for c in sections] == [s for c in chunks for s in c.sections]
    assert [(c.start, c.end) for c in one.chunks(SECTIONED)] == [
        (sections[0].start, sections[-1].end)]
    assert one.chunks(SECTIONED)[0].section is None


def test_when_chunk_merged_then_prompt_names_its_sections(fake_backend, extractor):
    ex = LLMExtractor(fake_backend, extractor, chunk_chars=2000)
    fake_backend.enqueue(_reply())
    out = ex.extract_note(SECTIONED)
    assert out.llm.chunks == 1 and len(fake_backend.calls) == 1
    user = fake_backend.calls[0][-1]["content"]
    assert "Section: CHIEF_COMPLAINT, HPI, PMH" in user and "tiotropium" in user


def test_merge_spans_never_exceeds_limit_nor_merges_overlaps():
    spans = [_Span(0, 50, "A"), _Span(52, 90, "B"), _Span(91, 200, "B"), _Span(150, 210, "C")]
    merged = merge_spans(spans, 100)
    assert [(s.start, s.end, s.sections) for s in merged] == [
        (0, 90, ("A", "B")), (91, 200, ("B",)), (150, 210, ("C",))]
    assert merged[0].section is None and merged[1].section == "B"


# fmt: off
@pytest.mark.parametrize("quote, etype, assertion, section", [
    ("hemoptysis", "PROBLEM", "absent", "HPI"),
    ("cholecystectomy", "PROCEDURE", "historical", "PMH"),
    ("ovarian cancer", "PROBLEM", "family", "FAMILY_HISTORY"),
    ("chest CT", "TEST", "hypothetical", "ASSESSMENT_PLAN"),
    ("dyspnea", "PROBLEM", "present", "CHIEF_COMPLAINT"),
])
# fmt: on
def test_when_llm_only_entity_grounded_then_asserted_like_the_rules(
        fake_backend, extractor, quote, etype, assertion, section):
    rules = extractor.extract(SECTIONED.text)
    start = SECTIONED.text.index(quote)
    end = start + len(quote)
    overlapping = [r for r in rules if r.start < end and start < r.end]
    ex = LLMExtractor(fake_backend, extractor, chunk_chars=2000)
    fake_backend.enqueue(_reply((etype, quote)))
    out = ex.extract_note(SECTIONED)
    (item,) = [e for e in out.entities if e.quote == quote]
    assert item.grounded and (item.start, item.end) == (start, end)
    assert (item.assertion, item.section) == (assertion, section)
    if not overlapping:
        assert item.provenance == "llm"


def test_when_llm_only_entity_has_no_rule_overlap_then_still_asserted(fake_backend,
                                                                      extractor):
    # Made-up words no lexicon or shape knows (no disease suffix such as -itis: those are
    # PROBLEM shapes): the items are LLM-only for sure, so the assertion
    # can only come from the span assertion, not from an overlapping rule entity.
    note = Note(patient_id="p1", note_id="p1-n3",
                text="HPI: Denies zorbulance. Plan: avoid frobnication.")
    ex = LLMExtractor(fake_backend, extractor, chunk_chars=2000)
    fake_backend.enqueue(_reply(("PROBLEM", "zorbulance"), ("PROCEDURE", "frobnication"),
                                ("PROBLEM", "not in the note")))
    out = ex.extract_note(note)
    by_quote = {e.quote: e for e in out.entities}
    assert by_quote["zorbulance"].provenance == "llm"
    assert by_quote["zorbulance"].assertion == "absent"
    assert by_quote["zorbulance"].section == "HPI"
    assert by_quote["frobnication"].assertion is not None
    missing = by_quote["not in the note"]
    assert not missing.grounded and missing.assertion is None


def test_when_chunk_size_too_small_then_config_error(fake_backend, extractor):
    from agent.errors import ConfigError

    with pytest.raises(ConfigError, match="too small"):
        LLMExtractor(fake_backend, extractor, chunk_chars=2000, merge_chars=10)
