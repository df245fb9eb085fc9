"""The LLM judge: a second opinion that can lower a verdict, never raise one."""

from __future__ import annotations

import json

import pytest

from agent.errors import BackendUnavailable
from agent.judge import LLMJudge, combine
from agent.patient import PatientRecord
from agent.rules import Rules
from agent.schemas.verification import ModelOpinion, Verification
from agent.verify import parse_summary

NOTES_TEXT = ("Medications:\n- Aspirin 81 mg PO daily\n- Metoprolol 25 mg PO BID\n")


def _reply(label: str, ids=("E1",)) -> str:
    return json.dumps({"label": label, "passage_ids": list(ids), "reason": "test"})


# fmt: off
@pytest.mark.parametrize("verdict, label, expected", [
    ("SUPPORTED", "contradicted", "UNSUPPORTED"),
    ("SUPPORTED", "not_enough_info", "UNSUPPORTED"),
    ("SUPPORTED", "entailed", "SUPPORTED"),
    ("UNSUPPORTED", "entailed", "UNSUPPORTED"),
    ("CONTRADICTED", "entailed", "CONTRADICTED"),
    ("NOT_CHECKABLE", "entailed", "NOT_CHECKABLE"),
    ("SUPPORTED", "failed", "SUPPORTED"),
])
# fmt: on
def test_when_model_opines_then_verdict_only_ever_lowered(verdict, label, expected):
    got = combine(Verification(verdict=verdict), ModelOpinion(label=label))
    assert got.verdict == expected
    assert got.model_opinion is not None and got.model_opinion.label == label
    assert got.model_opinion.changed_verdict == (expected != verdict)


@pytest.fixture(scope="module")
def record(extractor):
    from agent.schemas.notes import Note

    notes = [Note(patient_id="J", note_id="J-1", date="2026-05-01", text=NOTES_TEXT)]
    return PatientRecord.prepare(notes, extractor, Rules.load())


def test_judge_with_scripted_model_lowers_a_supported_statement(record, fake_backend):
    summary = record.verify(parse_summary("Aspirin 81 mg daily.\nMetoprolol 25 mg BID.",
                                          patient_id="J"))
    assert [s.verification.verdict for s in summary.statements] == ["SUPPORTED"] * 2
    fake_backend.enqueue(_reply("entailed"), _reply("contradicted"))
    judged = LLMJudge(fake_backend).review(record, summary)
    first, second = (s.verification for s in judged.statements)
    assert first.verdict == "SUPPORTED" and first.model_opinion.label == "entailed"
    assert second.verdict == "UNSUPPORTED" and second.model_opinion.changed_verdict
    assert first.model_opinion.prompt == "verify/judge@1"
    # The passages sent are the lines of the notes the verifier cited.
    assert "Aspirin 81 mg PO daily" in fake_backend.calls[0][-1]["content"]
    ev = first.model_opinion.evidence[0]
    assert NOTES_TEXT[ev.start:ev.end] == "- Aspirin 81 mg PO daily"


def test_judge_down_or_garbage_changes_nothing_and_says_failed(record, fake_backend):
    summary = record.verify(parse_summary("Aspirin 81 mg daily.", patient_id="J"))
    fake_backend.enqueue(BackendUnavailable("server refused the connection"))
    judged = LLMJudge(fake_backend).review(record, summary)
    v = judged.statements[0].verification
    assert v.verdict == "SUPPORTED" and v.model_opinion.label == "failed"
    fake_backend.enqueue("not json", "still not json", "{}")
    judged = LLMJudge(fake_backend, max_retries=2).review(record, summary)
    assert judged.statements[0].verification.model_opinion.label == "failed"


@pytest.mark.llm
def test_judge_with_the_real_small_model(record, local_backend):
    summary = record.verify(parse_summary("Aspirin 81 mg daily.\nMetoprolol 50 mg BID.",
                                          patient_id="J"))
    before = [s.verification.verdict for s in summary.statements]
    judged = LLMJudge(local_backend, max_retries=1).review(record, summary)
    order = ["CONTRADICTED", "UNSUPPORTED", "NOT_CHECKABLE", "SUPPORTED"]
    for was, st in zip(before, judged.statements, strict=True):
        o = st.verification.model_opinion
        assert o is not None and o.prompt == "verify/judge@1" and o.backend
        # Never raised: SUPPORTED stays or goes down, anything else is unchanged.
        assert order.index(st.verification.verdict) <= order.index(was)
        assert was != "SUPPORTED" or st.verification.verdict in ("SUPPORTED", "UNSUPPORTED")
