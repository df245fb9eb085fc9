"""The validate-and-reask loop over a scripted backend."""

from __future__ import annotations

import pytest

from agent.errors import BackendUnavailable, ExtractionFailed
from agent.llm.structured import generate_structured
from agent.schemas.llm import MAX_ENTITIES_PER_CHUNK, LLMEntityList

VALID = '{"entities": [{"type": "MEDICATION", "quote": "metoprolol"}]}'
MESSAGES = [{"role": "user", "content": "extract"}]


def test_when_first_reply_valid_then_one_attempt(fake_backend):
    fake_backend.enqueue(VALID)
    result = generate_structured(fake_backend, MESSAGES, LLMEntityList)
    assert result.attempts == 1
    assert result.value.entities[0].quote == "metoprolol"
    assert fake_backend.schemas[0]["properties"]["entities"]["maxItems"] == \
        MAX_ENTITIES_PER_CHUNK


# fmt: off
@pytest.mark.parametrize("bad_reply, expected_error", [
    ('{"entities": [{"type": "MEDICATION", "quote": "meto', "Invalid JSON"),
    ("", "empty"),
    ("   \n", "empty"),
    ('{"entities": [{"type": 7, "quote": ["x"]}]}', "entities.0.type"),
    ('{"entities": [{"type": "DRUG", "quote": "x"}]}', "entities.0.type"),
    ('{"entities": "none"}', "entities"),
    ('{"entities": [], "extra": 1}', "extra"),
])
# fmt: on
def test_when_reply_invalid_then_reasked_with_error_and_recovers(fake_backend, bad_reply,
                                                                 expected_error):
    fake_backend.enqueue(bad_reply, VALID)
    result = generate_structured(fake_backend, MESSAGES, LLMEntityList, max_retries=2)
    assert result.attempts == 2
    reask = fake_backend.calls[1][-1]["content"]
    assert expected_error in reask
    assert fake_backend.calls[1][-2] == {"role": "assistant", "content": bad_reply}


def test_when_too_many_items_then_reasked(fake_backend):
    items = ",".join('{"type": "PROBLEM", "quote": "x"}'
                     for _ in range(MAX_ENTITIES_PER_CHUNK + 1))
    fake_backend.enqueue('{"entities": [' + items + "]}", VALID)
    assert generate_structured(fake_backend, MESSAGES, LLMEntityList).attempts == 2
    assert "at most" in fake_backend.calls[1][-1]["content"]


def test_when_replies_stay_invalid_then_extraction_failed_with_attempts(fake_backend):
    fake_backend.enqueue("not json", "", '{"entities": 3}')
    with pytest.raises(ExtractionFailed) as exc:
        generate_structured(fake_backend, MESSAGES, LLMEntityList, max_retries=2)
    assert exc.value.attempts == 3
    assert "entities" in exc.value.last_error
    assert exc.value.prompt_tokens == 30 and exc.value.completion_tokens == 15
    assert not fake_backend.queue


def test_when_validation_fails_then_error_text_has_no_reply_values(fake_backend):
    fake_backend.enqueue('{"entities": [{"type": "SECRET_NAME_SMITH", "quote": "x"}]}')
    with pytest.raises(ExtractionFailed) as exc:
        generate_structured(fake_backend, MESSAGES, LLMEntityList, max_retries=0)
    assert "SMITH" not in str(exc.value)


def test_when_backend_unavailable_then_error_propagates_without_reask(fake_backend):
    fake_backend.enqueue(BackendUnavailable("server down"), VALID)
    with pytest.raises(BackendUnavailable):
        generate_structured(fake_backend, MESSAGES, LLMEntityList)
    assert len(fake_backend.calls) == 1
