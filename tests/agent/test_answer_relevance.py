"""Whether a note sentence speaks to a question: content terms, labels, rarity weights."""

from __future__ import annotations

import pytest

from agent.answer_relevance import TermWeights, is_label_only, question_terms


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Home meds (pt's list):", True),
    ("A/P:", True),
    ("PAST MEDICAL HISTORY", True),
    ("-----", True),
    ("S: Slept flat last night for the first time.", False),
    ("Allergies: enalapril (cough)", False),
    ("HTN", False),
    ("BP 144/92 at 08:30", False),
    ("NKDA.", False),
])
# fmt: on
def test_is_label_only(text, expected):
    assert is_label_only(text) is expected


def test_possessive_and_question_words_are_not_content_terms():
    assert question_terms("What is the patient's favourite colour?") == {"favourite",
                                                                         "colour"}
    assert question_terms("What is the furosemide dose?") == {"furosemide"}
    # A question made only of question words keeps them: "the plan" is what it asks.
    assert question_terms("What is the plan?") == {"plan"}


def test_when_only_a_common_term_matches_then_relevance_is_below_half():
    weights = TermWeights(["MRI brain: no acute infarct.", "Knee pain.", "BP stable.",
                           "Lungs clear.", "MRI reviewed with family."])
    wanted = question_terms("Was an MRI of the knee done?")
    assert weights.relevance(wanted, "MRI brain: no acute infarct.") < 0.5
    assert weights.relevance(wanted, "MRI of the left knee: no effusion.") == 1.0


def test_label_and_section_count_as_what_a_sentence_is_about():
    weights = TermWeights(["Stop heparin drip.", "Lungs clear."])
    wanted = question_terms("What did cardiology recommend?")
    text = "Stop heparin drip."
    assert weights.relevance(wanted, text) == 0.0
    assert weights.relevance(wanted, text,
                             context="RECOMMENDATIONS Cardiology consult note") == 1.0
