"""``agent.chat.answer_question`` without the service: BM25 over the notes' chunks."""

from __future__ import annotations

import json

import pytest

from agent.chat import answer_question
from agent.config import Settings
from agent.errors import InputError
from agent.llm.base import Completion
from agent.nlp.layout import sentence_spans
from agent.notes import read_notes


@pytest.fixture(scope="module")
def p001():
    return [n for n in read_notes("evals/data/synthetic/notes.jsonl").notes
            if n.patient_id == "P001"]


class Replies:
    name, model = "fake", "fake-model"

    def __init__(self, *items):
        self.items = list(items)

    def generate(self, messages, *, json_schema=None, params=None):
        item = self.items.pop(0)
        if isinstance(item, BaseException):
            raise item
        return Completion(item, 50, 10, "fake", "fake-model", "stop")


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("One. Two!", ["One.", "Two!"]),
    ("  Header:\nBody line here.  ", ["Header:", "Body line here."]),
    ("", []),
])
# fmt: on
def test_sentence_spans(text, expected):
    assert [text[s:e] for s, e in sentence_spans(text)] == expected


def test_extractive_answer_without_retriever(p001, extractor):
    answer = answer_question("apixaban dose", p001, Settings(), extractor=extractor)
    by_id = {n.note_id: n for n in p001}
    assert answer.mode == "extractive" and answer.sentences
    assert any("apixaban" in s.text.lower() for s in answer.sentences)
    for s in answer.sentences:
        c = s.citations[0]
        assert by_id[c.note_id].text[c.start:c.end] == s.text
        assert s.verification is not None
    assert answer.provenance.producer == "clinagent.agent.chat"


def test_invalid_llm_replies_fall_back_with_the_attempts_recorded(p001, extractor):
    backend = Replies("not json", "{}", json.dumps({"sentences": "x"}))
    answer = answer_question("apixaban dose", p001, Settings(), backend=backend,
                             extractor=extractor)
    assert answer.mode == "extractive"
    assert answer.llm_calls[0].attempts == 3 and answer.llm_calls[0].error
    assert any("invalid" in f for f in answer.flags)


def test_no_matching_passage_gives_an_empty_flagged_answer(p001, extractor):
    answer = answer_question("zzzz qqqq", p001, Settings(), extractor=extractor)
    assert answer.sentences == [] and answer.flags


def test_notes_of_two_patients_are_refused(p001, extractor):
    other = p001[0].model_copy(update={"patient_id": "P002"})
    with pytest.raises(InputError):
        answer_question("dose", [*p001, other], Settings(), extractor=extractor)
