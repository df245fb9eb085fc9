"""Sentence boundaries of clinical text (agent.nlp.layout.py), on synthetic snippets."""

from __future__ import annotations

import pytest

from agent.nlp.layout import set_sentence_starts


@pytest.fixture(scope="module")
def tokenizer():
    import spacy

    return spacy.blank("en")


def _sentences(tokenizer, text: str) -> list[str]:
    doc = set_sentence_starts(tokenizer.make_doc(text))
    return [s.text.strip() for s in doc.sents if s.text.strip()]


# fmt: off
@pytest.mark.parametrize("text, expected", [
    # bullets and numbered or lettered items start sentences; their marker stays with them
    ("- no fever\n- cough",                    ["- no fever", "- cough"]),
    ("* HTN\n• DM2",                           ["* HTN", "• DM2"]),
    ("1. No chest pain\n2. Pneumonia",         ["1. No chest pain", "2. Pneumonia"]),
    ("1) AKI\n2) CKD",                         ["1) AKI", "2) CKD"]),
    ("a. Fever\nb. Cough",                     ["a. Fever", "b. Cough"]),
    ("Assessment:\n1. AKI. 2. CKD",            ["Assessment:", "1. AKI.", "2. CKD"]),
    # headers
    ("PMH: HTN\nHPI: chest pain since noon",   ["PMH: HTN", "HPI: chest pain since noon"]),
    ("Plan:\nadmit to telemetry",              ["Plan:", "admit to telemetry"]),
    ("Denies fever.\n\nAssessment: pneumonia", ["Denies fever.", "Assessment: pneumonia"]),
    # wrapped lines continue the sentence
    ("Doppler was negative for\nDVT in both legs.",
     ["Doppler was negative for\nDVT in both legs."]),
    ("Patient reports worsening dyspnea on exertion over the last three days and\n"
     "orthopnea.",
     ["Patient reports worsening dyspnea on exertion over the last three days and\n"
      "orthopnea."]),
    # periods that do not end a sentence
    ("Seen by Dr. Smith today.",               ["Seen by Dr. Smith today."]),
    ("Pneumonia vs. atelectasis.",             ["Pneumonia vs. atelectasis."]),
    ("Pneumonia vs. Atelectasis.",             ["Pneumonia vs. Atelectasis."]),
    ("Antibiotics, e.g. ceftriaxone.",         ["Antibiotics, e.g. ceftriaxone."]),
    ("Mass approx. 5 cm.",                     ["Mass approx. 5 cm."]),
    ("Risks incl. perforation and bleeding.",  ["Risks incl. perforation and bleeding."]),
    ("Sputum grew S. pneumoniae today.",       ["Sputum grew S. pneumoniae today."]),
    ("Cr 1.3 and K 4.1 today.",                ["Cr 1.3 and K 4.1 today."]),
    ("Take No. 2 tab daily.",                  ["Take No. 2 tab daily."]),
    # periods that do
    ("h/o MI. now with dyspnea.",              ["h/o MI.", "now with dyspnea."]),
    ("BiPAP for ~14 h. CTA chest negative.",   ["BiPAP for ~14 h.", "CTA chest negative."]),
    ("T 98.6 F. Lungs clear.",                 ["T 98.6 F.", "Lungs clear."]),
    ("Pain for 3 hrs. Then resolved.",         ["Pain for 3 hrs.", "Then resolved."]),
    ("Labs: Cr 1.3. K 4.1",                    ["Labs: Cr 1.3.", "K 4.1"]),
    ("No fever. Cough present!",               ["No fever.", "Cough present!"]),
])
# fmt: on
def test_when_clinical_text_then_sentences(tokenizer, text, expected):
    assert _sentences(tokenizer, text) == expected


def test_when_text_is_empty_then_no_sentences(tokenizer):
    assert _sentences(tokenizer, "") == []


def test_when_text_is_long_then_every_token_has_a_boundary_flag(tokenizer):
    text = "- Hold lisinopril; recheck BMP in AM.\n" * 2000
    doc = set_sentence_starts(tokenizer.make_doc(text))
    assert doc[0].is_sent_start
    assert sum(1 for _ in doc.sents) == 2000


def test_when_extractor_lays_out_a_note_then_same_layout_as_splitting_the_text_alone(
        extractor):
    # The extractor reuses its pipeline's sentences; the layout must equal the one any
    # other caller computes from the text (one splitter).
    from agent.nlp.layout import layout_note
    from evals.synthetic import load_notes

    for note in load_notes()[:12]:
        ext = extractor.extract_note(note)
        alone = layout_note(note.text, ext.entities, extractor.rules.headers)
        assert ext.layout.model_dump() == alone.model_dump(), note.note_id
        for span in ext.layout.sentences:
            assert note.text[span.start:span.end].strip() == note.text[span.start:span.end]
