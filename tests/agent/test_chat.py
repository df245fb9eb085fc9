"""``agent.chat.answer_question`` without the service: BM25 over the notes' chunks."""

from __future__ import annotations

import json
import re

import pytest

from agent.answer_relevance import is_label_only
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


def cited_words(text: str) -> str:
    """An answer sentence without what the answer adds for the reader: the "On 3/16: "
    prefix and the " (3/16)" after a relative day word."""
    return re.sub(r" \(\d{1,2}/\d{1,2}(?:/\d{4})?\)", "",
                  re.sub(r"^On \d{1,2}/\d{1,2}(?:/\d{4})?: ", "", text))


def test_extractive_answer_without_retriever(p001, extractor):
    answer = answer_question("apixaban dose", p001, Settings(), extractor=extractor)
    by_id = {n.note_id: n for n in p001}
    assert answer.mode == "extractive" and answer.sentences and not answer.no_answer
    assert any("apixaban" in s.text.lower() for s in answer.sentences)
    for s in answer.sentences:
        c = s.citations[0]
        assert by_id[c.note_id].text[c.start:c.end] == cited_words(s.text)
        assert s.date == by_id[c.note_id].date and s.text.startswith(f"On {s.date_label}: ")
        assert s.verification is not None
    assert answer.provenance.producer == "clinagent.agent.chat"


def test_when_several_notes_answer_then_newest_note_comes_first(p001, extractor):
    answer = answer_question("What is the furosemide dose?", p001, Settings(),
                             extractor=extractor)
    dates = [s.date for s in answer.sentences]
    assert len(set(dates)) >= 3 and dates == sorted(dates, reverse=True)
    assert dates[0] == max(n.date for n in p001)
    assert all("furosemide" in s.text.lower() for s in answer.sentences)
    assert answer.answer.startswith(f"On {answer.sentences[0].date_label}: ")


def test_today_in_a_cited_sentence_reads_as_the_note_date(p001, extractor):
    answer = answer_question("What is the furosemide dose?", p001, Settings(),
                             extractor=extractor)
    by_id = {n.note_id: n for n in p001}
    (today,) = [s for s in answer.sentences if "today" in s.text]
    c = today.citations[0]
    assert by_id[c.note_id].date == "2026-03-16" and "today (3/16)" in today.text
    # The citation still points at the note's own words.
    span = by_id[c.note_id].text[c.start:c.end]
    assert "today" in span and "(3/16)" not in span


def test_undated_note_keeps_its_relative_words(p001, extractor):
    notes = [n.model_copy(update={"date": None}) if n.note_id == "P001-05" else n
             for n in p001 if n.note_id in ("P001-05", "P001-06")]
    answer = answer_question("What is the furosemide dose?", notes, Settings(),
                             extractor=extractor)
    undated = [s for s in answer.sentences if s.citations[0].note_id == "P001-05"]
    assert undated and all(s.date is None and "(3/16)" not in s.text for s in undated)
    # Undated evidence comes after dated evidence (sort_notes order).
    assert answer.sentences[-1].date is None


@pytest.mark.parametrize("question, said", [
    ("What is the patient's favourite colour?", "what the patient's favourite colour is"),
    ("Was an MRI of the knee done?", "whether an MRI of the knee was done"),
    ("What did the dermatologist say?", "what the dermatologist said"),
])
def test_when_the_notes_do_not_answer_then_no_answer_is_said(p001, extractor, question,
                                                              said):
    answer = answer_question(question, p001, Settings(), extractor=extractor)
    assert answer.no_answer
    (sentence,) = answer.sentences
    assert sentence.text == f"The notes do not say {said}." == answer.answer
    assert sentence.citations == [] and sentence.date is None
    assert sentence.verification.verdict == "NOT_CHECKABLE"
    assert "not a clinical claim" in sentence.verification.detail


@pytest.mark.parametrize("patient, question, word", [
    ("P001", "What allergies does he have?", "enalapril"),
    ("P001", "What did cardiology recommend?", "apixaban"),
    ("P002", "What is the patient's favourite colour?", None),
    ("P003", "What insulin is the patient on?", "insulin"),
])
def test_answerable_questions_are_answered_with_content_not_labels(extractor, patient,
                                                                   question, word):
    notes = [n for n in read_notes("evals/data/synthetic/notes.jsonl").notes
             if n.patient_id == patient]
    answer = answer_question(question, notes, Settings(), extractor=extractor)
    assert answer.no_answer is (word is None)
    if word is not None:
        assert any(word in s.text.lower() for s in answer.sentences)
        for s in answer.sentences:
            c = s.citations[0]
            span = next(n.text for n in notes if n.note_id == c.note_id)[c.start:c.end]
            assert not is_label_only(span)


def test_invalid_llm_replies_fall_back_with_the_attempts_recorded(p001, extractor):
    backend = Replies("not json", "{}", json.dumps({"sentences": "x"}))
    answer = answer_question("apixaban dose", p001, Settings(), backend=backend,
                             extractor=extractor)
    assert answer.mode == "extractive"
    assert answer.llm_calls[0].attempts == 3 and answer.llm_calls[0].error
    assert any("invalid" in f for f in answer.flags)


def test_no_matching_passage_gives_a_flagged_no_answer(p001, extractor):
    answer = answer_question("zzzz qqqq", p001, Settings(), extractor=extractor)
    assert answer.no_answer and answer.flags
    assert answer.sentences[0].text == "The notes do not say this."


def test_llm_sentences_come_newest_first_and_passages_are_dated(p001, extractor):
    # P1 is the newest passage (by_recency renumbers); the model cites the oldest first.
    probe = answer_question("What is the furosemide dose?", p001, Settings(),
                            extractor=extractor)
    oldest = probe.passages[-1].passage_id
    reply = {"sentences": [{"text": "Furosemide was given in the ED.", "passage_ids": [oldest]},
                           {"text": "Furosemide 40 mg.", "passage_ids": ["P1"]}]}
    backend = Replies(json.dumps(reply))
    calls = []
    generate = backend.generate
    backend.generate = lambda messages, **kw: calls.append(messages) or generate(messages, **kw)
    answer = answer_question("What is the furosemide dose?", p001, Settings(),
                             backend=backend, extractor=extractor)
    assert answer.mode == "llm" and not answer.no_answer
    assert [s.passage_ids for s in answer.sentences] == [["P1"], [oldest]]
    assert answer.sentences[0].date >= answer.sentences[1].date
    assert answer.llm_calls[0].prompt == "chat/answer@2"
    prompt = calls[0][-1]["content"]
    assert prompt.index(f"[P1] ({probe.passages[0].date}") < prompt.index(f"[{oldest}] (")


def test_when_the_model_finds_nothing_then_no_answer(p001, extractor):
    answer = answer_question("What is the furosemide dose?", p001, Settings(),
                             backend=Replies(json.dumps({"sentences": []})),
                             extractor=extractor)
    assert answer.no_answer and answer.sentences[0].citations == []
    assert answer.sentences[0].verification.verdict != "SUPPORTED"


def test_notes_of_two_patients_are_refused(p001, extractor):
    other = p001[0].model_copy(update={"patient_id": "P002"})
    with pytest.raises(InputError):
        answer_question("dose", [*p001, other], Settings(), extractor=extractor)


def test_a_concept_written_otherwise_in_the_notes_is_found(p001, extractor):
    """"creatinine" is written "Cr" in P001's notes: the question's concept finds it
    (retrieval query and relevance), where a word search said the notes do not say."""
    answer = answer_question("What is the creatinine?", p001, Settings(), extractor=extractor)
    assert not answer.no_answer
    assert any("Cr" in s.text for s in answer.sentences)
    assert all(s.citations for s in answer.sentences)


def test_a_switch_quoted_from_a_note_is_not_contradicted_by_its_old_regimen(p001, extractor):
    """"Switch from furosemide 40 mg IV BID to furosemide 40 mg PO daily": the BID is the
    regimen left, not a claim about the regimen now."""
    answer = answer_question("What is the furosemide dose?", p001, Settings(),
                             extractor=extractor)
    switch = [s for s in answer.sentences if "Switch from furosemide" in s.text]
    assert switch and switch[0].verification.verdict == "SUPPORTED"
