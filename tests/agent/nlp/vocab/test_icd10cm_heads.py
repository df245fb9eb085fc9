"""ICD-10-CM head terms: everyday diagnosis names the MeSH variants lack."""

from __future__ import annotations

import pytest

from agent.nlp.vocab.icd10cm_heads import head, icd10cm_heads


# fmt: off
@pytest.mark.parametrize("title, expected", [
    ("Delirium due to known physiological condition", "delirium"),
    ("Type 2 diabetes mellitus without complications", "type 2 diabetes mellitus"),
    ("Systemic lupus erythematosus (SLE)",             "systemic lupus erythematosus"),
    ("Unspecified dementia",                           "dementia"),
    ("Pneumonia, unspecified organism",                "pneumonia"),
    ("diabetes NOS",                                   "diabetes"),
])
# fmt: on
def test_a_title_is_cut_to_its_head(title, expected):
    assert head(title) == expected


def test_heads_hold_common_diagnoses_and_no_adjectives_or_class_names():
    heads = icd10cm_heads()
    for term in ("diabetes", "delirium", "dementia", "insomnia"):
        assert term in heads
    for word in ("cardiac", "thoracic", "absent", "dorsopathies", "problems"):
        assert word not in heads


@pytest.mark.parametrize("text, surface", [
    ("Patient has diabetes.", "diabetes"),
    ("Hyperactive delirium on day 2, resolved by day 4.", "delirium"),
])
def test_when_a_common_diagnosis_is_named_alone_then_it_is_a_problem(extractor, text,
                                                                    surface):
    found = [e for e in extractor.extract(text) if e.type == "PROBLEM"]
    assert any(e.text.lower() == surface for e in found), found


def test_subcategory_titles_that_are_names_are_heads_and_cut_titles_are_not():
    # "Hypomagnesemia" (E83.42) sits under "Disorders of mineral metabolism"; a subcategory
    # title counts only when it is the whole name, not the head of a longer title.
    heads = icd10cm_heads()
    assert heads.get("hypomagnesemia") == "E83.42"
    assert "hypertensive urgency" in heads
    for fragment in ("female", "endocrine", "instability"):
        assert fragment not in heads


def test_paired_symptom_titles_give_each_state_noun():
    # "Restlessness and agitation" (R45.1), "Irritability and anger" (R45.4): each
    # state noun is a name a note writes alone; a pair with a longer part ("abnormalities
    # of gait and mobility") gives nothing.
    heads = icd10cm_heads()
    assert "agitation" in heads and heads["agitation"].startswith("R45")
    assert "irritability" in heads
    assert "mobility" not in heads
    assert "anger" not in heads


def test_symptom_inclusion_terms_are_plain_names_of_findings():
    from agent.nlp.vocab.icd10cm_heads import symptom_inclusion_terms

    terms = symptom_inclusion_terms()
    assert terms["pins and needles"].startswith("R20")
    assert terms["tiredness"].startswith("R53")
    assert terms["loss of appetite"].startswith("R63")
    # Coma-scale answers, death and test results are left out, and so are one-word terms
    # that are ordinary words.
    for word in ("obeys commands", "withdraws to touch", "death", "ppd positive", "fit",
                 "falling", "shadow"):
        assert word not in terms
