"""How chat answers read: the no-answer sentence and the date of each sentence."""

from __future__ import annotations

import pytest

from agent.answer_phrasing import dated_text, no_answer_text


# fmt: off
@pytest.mark.parametrize("question, expected", [
    ("What is the patient's favourite colour?",
     "The notes do not say what the patient's favourite colour is."),
    ("Was an MRI of the knee done?", "The notes do not say whether an MRI of the knee was done."),
    ("What did the dermatologist say?", "The notes do not say what the dermatologist said."),
    ("What did cardiology recommend?", "The notes do not say what cardiology recommended."),
    ("Any rash?", "The notes do not say this."),
])
# fmt: on
def test_no_answer_text(question, expected):
    assert no_answer_text(question) == expected


def test_dated_text_prefixes_the_day_and_resolves_relative_words():
    assert dated_text("PO starting today.", "2026-03-16", 2026) == (
        "On 3/16: PO starting today (3/16).")
    assert dated_text("PO starting today.", None, 2026) == "PO starting today."
