"""The LangChain example: a chat model answers from ClinagentRetriever's passages and the
verify tool checks each sentence's citations. LangChain's fake chat model here; the real
small model (SmolLM2-135M behind llama_cpp.server) in the ``llm`` test."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core", reason="needs the langchain extra: "
                    'pip install -e ".[langchain]"')

from langchain_core.language_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402

from agent.adapters.examples.langchain_chat import (  # noqa: E402
    answer_with_verified_citations,
    split_cited,
)
from agent.adapters.langchain_chat_model import ClinagentChatModel  # noqa: E402
from agent.adapters.langchain_retriever import ClinagentRetriever  # noqa: E402
from agent.adapters.langchain_tools import ClinagentToolkit  # noqa: E402

QUESTION = "Which anticoagulant was apixaban started for, and is aspirin continued?"


@pytest.fixture(scope="module")
def retriever(demo_index, fake_embedder, adapter_settings):
    return ClinagentRetriever(index_dir=str(demo_index), patient_id="P001", k=5,
                              settings=adapter_settings, embedder=fake_embedder,
                              mode="lexical")


@pytest.fixture(scope="module")
def verify_tool(demo_notes, extractor, adapter_settings):
    kit = ClinagentToolkit(demo_notes, settings=adapter_settings, extractor=extractor)
    return next(t for t in kit.get_tools() if t.name == "clinagent_verify_summary")


def _passage_with(retriever, word: str) -> str:
    docs = retriever.invoke(QUESTION)
    return next(f"P{i}" for i, d in enumerate(docs, start=1) if word in d.page_content)


def fake(text: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=text)]))


def test_split_cited_reads_markers_per_sentence():
    assert split_cited("Apixaban was started. [P1][P3] Aspirin stopped [P2]. Cr 1.5 "
                       "[P4] The end") == [
        ("Apixaban was started.", ["P1", "P3"]), ("Aspirin stopped.", ["P2"]),
        ("Cr 1.5", ["P4"]), ("The end", [])]


@pytest.mark.heavy
def test_when_fake_model_cites_passages_then_the_verifier_checks_each(retriever,
                                                                       verify_tool):
    pid = _passage_with(retriever, "pixaban")
    answer = answer_with_verified_citations(
        fake(f"Apixaban was started for atrial fibrillation. [{pid}] "
             f"Aspirin 81 mg daily continued. [{pid}]"),
        retriever, verify_tool, QUESTION, patient_id="P001")
    first, second = answer.sentences
    assert first.passage_ids == [pid] and first.citations[0].note_id.startswith("P001-")
    assert first.verification.verdict == "SUPPORTED"
    # Aspirin was stopped when apixaban started: the verifier must not let it pass.
    assert second.verification.verdict != "SUPPORTED"
    assert answer.provenance["rules_sha256"] and not answer.flags


def test_when_model_cites_an_unknown_passage_then_flagged_not_dropped(retriever,
                                                                       verify_tool):
    answer = answer_with_verified_citations(
        fake("Apixaban 5 mg twice a day. [P42]"), retriever, verify_tool, QUESTION,
        patient_id="P001")
    (sentence,) = answer.sentences
    assert sentence.citations == [] and sentence.verification is not None
    assert answer.flags == ["sentence 1 cites a passage id that was not retrieved"]


def test_when_a_sentence_cites_nothing_then_flagged_and_checked_against_all_notes(
        retriever, verify_tool):
    answer = answer_with_verified_citations(
        fake("The patient has hemophilia."), retriever, verify_tool, QUESTION,
        patient_id="P001")
    (sentence,) = answer.sentences
    assert sentence.verification.verdict == "UNSUPPORTED"
    assert answer.flags == ["sentence 1 cites no passage (the verifier searched all notes)"]


def test_chat_model_wraps_a_clinagent_backend(fake_backend):
    model = ClinagentChatModel(backend=fake_backend.enqueue("apixaban [P1]"), max_tokens=32)
    reply = model.invoke([("system", "be brief"), ("human", "which anticoagulant?")])
    assert reply.content == "apixaban [P1]"
    assert reply.usage_metadata["input_tokens"] == 10
    assert fake_backend.calls[0] == [{"role": "system", "content": "be brief"},
                                     {"role": "user", "content": "which anticoagulant?"}]
    assert fake_backend.params[0].max_tokens == 32


@pytest.mark.llm
@pytest.mark.process
def test_when_real_small_model_answers_then_every_sentence_is_verified(
        llama_server, retriever, verify_tool):
    from agent.llm.openai_compat import OpenAICompatBackend

    # Two passages: the test server's context is 1,024 tokens.
    retriever = retriever.model_copy(update={"k": 2})

    backend = OpenAICompatBackend(llama_server, "smollm2-135m", json_mode="json_object",
                                  timeout_s=120, http_retries=0)
    model = ClinagentChatModel(backend=backend, max_tokens=48)
    answer = answer_with_verified_citations(model, retriever, verify_tool, QUESTION,
                                            patient_id="P001")
    # A 135M model's content is poor: this proves the path, not the quality.
    assert answer.answer.strip()
    known = {"P1", "P2"}
    for sentence in answer.sentences:
        assert sentence.verification is not None
        assert set(sentence.passage_ids) <= known
    assert answer.sentences or answer.flags
