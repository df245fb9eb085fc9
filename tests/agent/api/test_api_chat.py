"""Chat over the API: cited, verified answers; SSE; the LLM path; OpenAI compatibility."""

from __future__ import annotations

import json
import re

import pytest

from agent.api.deps import get_backend
from agent.errors import BackendUnavailable
from agent.llm.base import Completion

QUESTION = {"patient_id": "P001", "question": "What dose of metoprolol is the patient on?"}


class ScriptedBackend:
    """Replies with queued texts; an exception item is raised."""

    name = "fake"
    model = "fake-model"

    def __init__(self, *replies) -> None:
        self.replies = list(replies)
        self.calls = []

    def generate(self, messages, *, json_schema=None, params=None):
        self.calls.append(messages)
        item = self.replies.pop(0)
        if isinstance(item, BaseException):
            raise item
        return Completion(text=item, prompt_tokens=100, completion_tokens=20,
                          backend=self.name, model=self.model, finish_reason="stop")


@pytest.fixture
def backend(api):
    def use(*replies):
        fake = ScriptedBackend(*replies)
        api.client.app.dependency_overrides[get_backend] = lambda: fake
        return fake

    yield use
    api.client.app.dependency_overrides.pop(get_backend, None)


def _cited_words(text):
    # The answer adds "On 3/16: " and " (3/16)" after relative day words for the reader.
    return re.sub(r" \(\d{1,2}/\d{1,2}(?:/\d{4})?\)", "",
                  re.sub(r"^On \d{1,2}/\d{1,2}(?:/\d{4})?: ", "", text))


def _sse_events(r):
    events, kind = [], None
    for line in r.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            events.append((kind, json.loads(line[6:])))
    return events


def _note_texts(api):
    notes = api.client.get("/v1/patients/P001/notes", headers=api.admin).json()["notes"]
    return {n["note_id"]: n["text"] for n in notes}


def test_extractive_answer_cites_offsets_and_is_verified(api):
    r = api.client.post("/v1/chat", json=QUESTION, headers=api.p1_all)
    assert r.status_code == 200
    body = r.json()
    texts = _note_texts(api)
    assert body["mode"] == "extractive" and body["sentences"]
    for s in body["sentences"]:
        (c,) = s["citations"]
        assert texts[c["note_id"]][c["start"]:c["end"]] == _cited_words(s["text"])
        assert s["date"] and s["text"].startswith(f"On {s['date_label']}: ")
        assert s["verification"]["verdict"] in ("SUPPORTED", "CONTRADICTED", "UNSUPPORTED",
                                                "NOT_CHECKABLE")
    assert any("metoprolol" in s["text"].lower() for s in body["sentences"])
    assert body["no_answer"] is False
    dates = [s["date"] for s in body["sentences"]]
    assert dates == sorted(dates, reverse=True)
    for p in body["passages"]:
        assert texts[p["note_id"]][p["start"]:p["end"]] == p["text"]


def test_llm_answer_maps_passage_ids_to_offsets_and_flags_unknown_ids(api, backend):
    reply = {"sentences": [{"text": "The patient takes metoprolol tartrate 25 mg.",
                            "passage_ids": ["P1"]},
                           {"text": "Something else.", "passage_ids": ["P42"]}]}
    fake = backend(json.dumps(reply))
    r = api.client.post("/v1/chat", json={**QUESTION, "use_llm": True}, headers=api.p1_all)
    body = r.json()
    assert r.status_code == 200 and body["mode"] == "llm"
    first, second = body["sentences"]
    assert first["passage_ids"] == ["P1"] and first["citations"]
    passage = body["passages"][0]
    c = first["citations"][0]
    assert c["note_id"] == passage["note_id"]
    assert passage["start"] <= c["start"] < c["end"] <= passage["end"]
    assert second["citations"] == [] and second["verification"] is not None
    assert any("P42" in f for f in body["flags"])
    assert body["llm_calls"][0]["prompt"] == "chat/answer@2"
    assert body["provenance"]["model"] == "fake-model"
    assert "[P1]" in fake.calls[0][-1]["content"]


def test_when_llm_backend_down_then_extractive_answer_with_flag(api, backend):
    backend(BackendUnavailable("server down"))
    body = api.client.post("/v1/chat", json={**QUESTION, "use_llm": True},
                           headers=api.p1_all).json()
    assert body["mode"] == "extractive" and body["sentences"]
    assert "LLM backend unreachable: extractive answer" in body["flags"]


def test_sse_stream_sends_passages_sentences_done(api):
    with api.client.stream("POST", "/v1/chat", json={**QUESTION, "stream": True},
                           headers=api.p1_all) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line.split(": ", 1)[1] for line in r.iter_lines()
                  if line.startswith("event: ")]
    assert events[0] == "passages" and events[-1] == "done"
    assert events.count("sentence") >= 1


def test_when_the_notes_do_not_answer_then_json_and_stream_say_no_answer(api):
    question = {"patient_id": "P001", "question": "What did the dermatologist say?"}
    body = api.client.post("/v1/chat", json=question, headers=api.p1_all).json()
    assert body["no_answer"] is True
    (sentence,) = body["sentences"]
    assert sentence["text"] == "The notes do not say what the dermatologist said."
    assert sentence["citations"] == [] and sentence["verification"]["verdict"] != "SUPPORTED"
    with api.client.stream("POST", "/v1/chat", json={**question, "stream": True},
                           headers=api.p1_all) as r:
        events = _sse_events(r)
    kinds = [k for k, _ in events]
    assert kinds == ["passages", "sentence", "done"]
    assert events[1][1]["text"] == sentence["text"] and events[2][1]["no_answer"] is True


def test_stream_sentences_carry_their_note_date(api):
    with api.client.stream("POST", "/v1/chat", json={**QUESTION, "stream": True},
                           headers=api.p1_all) as r:
        events = _sse_events(r)
    sentences = [d for k, d in events if k == "sentence"]
    assert sentences and all(s["date"] and s["date_label"] for s in sentences)
    done = events[-1][1]
    assert done["no_answer"] is False and done["sentences"] == sentences


def test_openai_chat_completions(api):
    r = api.client.post("/v1/chat/completions", headers=api.p1_all, json={
        "model": "clinagent:P001", "temperature": 0.2,
        "messages": [{"role": "system", "content": "be brief"},
                     {"role": "user", "content": QUESTION["question"]}]})
    assert r.status_code == 200
    body = r.json()
    content = body["choices"][0]["message"]["content"]
    assert body["object"] == "chat.completion" and "[1]" in content and "Sources:" in content
    assert body["clinagent"]["sentences"]
    r = api.client.post("/v1/chat/completions", headers=api.p1_all, json={
        "model": "clinagent:P002", "messages": [{"role": "user", "content": "dose?"}]})
    assert r.status_code == 403
    r = api.client.post("/v1/chat/completions", headers=api.p1_all, json={
        "model": "gpt-4o", "messages": [{"role": "user", "content": "dose?"}]})
    assert r.status_code == 404


def test_openai_stream_ends_with_done(api):
    with api.client.stream("POST", "/v1/chat/completions", headers=api.p1_all, json={
            "model": "clinagent:P001", "stream": True,
            "messages": [{"role": "user", "content": QUESTION["question"]}]}) as r:
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "metoprolol" in text.lower() and chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_models_lists_the_keys_patients(api):
    ids = [m["id"] for m in api.client.get("/v1/models", headers=api.p1_all).json()["data"]]
    assert ids == ["clinagent:P001"]
