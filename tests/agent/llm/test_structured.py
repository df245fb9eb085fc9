"""The validate-and-reask loop (instructor over any backend) with a scripted backend."""

from __future__ import annotations

import logging

import pytest

from agent.errors import BackendUnavailable, ExtractionFailed, PromptTooLong
from agent.llm.base import Completion, GenerationParams
from agent.llm.structured import REASK_TEMPERATURE, generate_structured, structured_output_ref
from agent.schemas.llm import MAX_ENTITIES_PER_CHUNK, LLMEntityList

VALID = '{"entities": [{"type": "MEDICATION", "quote": "metoprolol"}]}'
MESSAGES = [{"role": "user", "content": "extract"}]
# instructor's re-ask message (instructor/v2/providers/openai/handlers.py, reask_md_json).
INSTRUCTOR_REASK = "Correct your JSON ONLY RESPONSE"


def test_when_first_reply_valid_then_one_attempt_and_plain_model(fake_backend):
    fake_backend.enqueue(VALID)
    result = generate_structured(fake_backend, MESSAGES, LLMEntityList)
    assert result.attempts == 1
    assert type(result.value) is LLMEntityList
    assert result.value.entities[0].quote == "metoprolol"
    assert fake_backend.schemas[0]["properties"]["entities"]["maxItems"] == \
        MAX_ENTITIES_PER_CHUNK
    assert fake_backend.calls[0] == MESSAGES  # instructor's JSON_SCHEMA mode adds no prose


def test_structured_output_ref_names_instructor_and_mode():
    import instructor

    assert structured_output_ref() == f"instructor {instructor.__version__} json_schema_mode"


# fmt: off
@pytest.mark.parametrize("bad_reply, expected_error", [
    ('{"entities": [{"type": "MEDICATION", "quote": "meto', "Invalid JSON"),
    ("", "Invalid JSON"),
    ("   \n", "Invalid JSON"),
    ('{"entities": [{"type": 7, "quote": ["x"]}]}', "entities.0.type"),
    ('{"entities": [{"type": "DRUG", "quote": "x"}]}', "entities.0.type"),
    ('{"entities": "none"}', "entities"),
    ('{"entities": [], "extra": 1}', "extra"),
])
# fmt: on
def test_when_reply_invalid_then_instructor_reasks_with_error_and_recovers(
        fake_backend, bad_reply, expected_error):
    fake_backend.enqueue(bad_reply, VALID)
    result = generate_structured(fake_backend, MESSAGES, LLMEntityList, max_retries=2)
    assert result.attempts == 2
    reask = fake_backend.calls[1][-1]["content"]
    assert reask.startswith(INSTRUCTOR_REASK) and expected_error in reask
    assert fake_backend.calls[1][-2] == {"role": "assistant", "content": bad_reply}
    assert fake_backend.calls[1][:-2] == MESSAGES


def test_when_reasked_then_sampled_with_per_attempt_seed(fake_backend):
    fake_backend.enqueue("{", "{", VALID)
    generate_structured(fake_backend, MESSAGES, LLMEntityList, max_retries=2,
                        params=GenerationParams(max_tokens=99, seed=7))
    first, second, third = fake_backend.params
    assert first.temperature == 0.0 and first.seed == 7
    assert second.temperature == third.temperature == REASK_TEMPERATURE
    assert (second.seed, third.seed) == (9, 10)
    assert {p.max_tokens for p in fake_backend.params} == {99}


def test_when_too_many_items_then_reasked(fake_backend):
    items = ",".join('{"type": "PROBLEM", "quote": "x"}'
                     for _ in range(MAX_ENTITIES_PER_CHUNK + 1))
    fake_backend.enqueue('{"entities": [' + items + "]}", VALID)
    assert generate_structured(fake_backend, MESSAGES, LLMEntityList).attempts == 2
    assert "at most" in fake_backend.calls[1][-1]["content"]


def test_when_reply_cut_at_max_tokens_then_reasked_not_fatal(fake_backend):
    cut = Completion(text='{"entities": [{"type": "PROB', prompt_tokens=10,
                     completion_tokens=64, backend="fake", model="fake-model",
                     finish_reason="length")
    fake_backend.enqueue(cut, VALID)
    result = generate_structured(fake_backend, MESSAGES, LLMEntityList)
    assert result.attempts == 2 and result.completions[0].finish_reason == "length"


def test_when_replies_stay_invalid_then_extraction_failed_with_attempts(fake_backend):
    cut = Completion(text='{"entities": [', prompt_tokens=10, completion_tokens=5,
                     backend="fake", model="fake-model", finish_reason="length")
    fake_backend.enqueue("not json", "", cut)
    with pytest.raises(ExtractionFailed) as exc:
        generate_structured(fake_backend, MESSAGES, LLMEntityList, max_retries=2)
    assert exc.value.attempts == 3
    assert "Invalid JSON" in exc.value.last_error and "cut at max_tokens" in \
        exc.value.last_error
    assert exc.value.prompt_tokens == 30 and exc.value.completion_tokens == 15
    assert not fake_backend.queue


def test_when_last_reply_empty_then_error_says_empty(fake_backend):
    fake_backend.enqueue("{", " ")
    with pytest.raises(ExtractionFailed, match="the reply was empty"):
        generate_structured(fake_backend, MESSAGES, LLMEntityList, max_retries=1)


def test_when_validation_fails_then_no_reply_values_in_error_or_logs(fake_backend, caplog):
    fake_backend.enqueue('{"entities": [{"type": "SECRET_NAME_SMITH", "quote": "x"}]}',
                         '{"entities": [{"type": "SMITH_AGAIN", "quote": "x"}]}')
    with caplog.at_level(logging.DEBUG), pytest.raises(ExtractionFailed) as exc:
        generate_structured(fake_backend, MESSAGES, LLMEntityList, max_retries=1)
    assert "SMITH" not in str(exc.value)
    assert caplog.records, "each invalid attempt is logged"
    assert not [r for r in caplog.records if "SMITH" in r.getMessage()]


def test_when_backend_unavailable_then_error_propagates_without_reask(fake_backend):
    fake_backend.enqueue(BackendUnavailable("server down"), VALID)
    with pytest.raises(BackendUnavailable, match="server down"):
        generate_structured(fake_backend, MESSAGES, LLMEntityList)
    assert len(fake_backend.calls) == 1


def test_when_backend_fails_on_reask_then_its_error_not_extraction_failed(fake_backend):
    fake_backend.enqueue("{", PromptTooLong(512, "exceed context window"))
    with pytest.raises(PromptTooLong):
        generate_structured(fake_backend, MESSAGES, LLMEntityList)
    assert len(fake_backend.calls) == 2
