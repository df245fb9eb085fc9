"""Issue 14 (h-recall2, multinote_dev32): inpatient shorthand recognised by shape or by data
links, not by listing strings: "hypo"/"hyper" joined to an analyte's lab name (from
lab_problems.json), a lower-case modifier initial on a disease abbreviation, product
abbreviations whose expansion the lexicon spells differently, ambiguous drug abbreviations
followed by a dose, and antibiotics of a susceptibility result left out. Each has look-alikes
that must stay unlabelled. The sentences are made up for these tests."""

from __future__ import annotations

import pytest

from agent.nlp.susceptibility import susceptibility_drug_starts
from agent.nlp.vocab.abbreviation_shapes import (
    dose_licensed_hits,
    dose_licensed_pattern,
    modifier_prefixed_hits,
)
from agent.nlp.vocab.analyte_problems import analyte_problem_forms, shorthand_forms


def _typed(extractor, text: str) -> dict[str, str]:
    return {e.text: e.type for e in extractor.extract(text)}


def test_shorthand_forms_join_prefix_and_short_test_names():
    forms = shorthand_forms("hypernatremia|high sodium", "na\\+?|sodium|serum sodium")
    assert forms == {"hyperna": "hypernatremia", "hyper-na": "hypernatremia"}
    # A problem not named hypo-/hyper- gives nothing ("thrombocytopenia" / "plt").
    assert shorthand_forms("thrombocytopenia", "plt|platelets?") == {}


def test_packaged_rules_give_the_electrolyte_shorthands():
    forms = analyte_problem_forms()
    assert forms["hypoca"] == "hypocalcemia"
    assert forms["hyper-phos"] == "hyperphosphatemia"
    assert "hypopotassium" not in forms  # long test names already form the noun


# fmt: off
@pytest.mark.parametrize("text, surface, kind", [
    ("Repleting for hypoCa and hyper-phos after the transfusion.", "hypoCa", "PROBLEM"),
    ("Repleting for hypoCa and hyper-phos after the transfusion.", "hyper-phos", "PROBLEM"),
    ("Overnight: HYPERNA to 151, free water increased.", "HYPERNA", "PROBLEM"),
    ("History of cHTN on labetalol before pregnancy.", "cHTN", "PROBLEM"),
    ("Treated for cUTI with a ten-day course.", "cUTI", "PROBLEM"),
    ("Known CKD4 with anemia of renal disease.", "CKD4", "PROBLEM"),
    ("Switched him to TMP-SMX DS for the cystitis.", "TMP-SMX", "MEDICATION"),
    ("Chewed ASA 325 mg in the ambulance.", "ASA", "MEDICATION"),
    ("Give NAC 600 mg twice a day for the secretions.", "NAC", "MEDICATION"),
    ("Wound cx: Klebsiella resistant to ampicillin; started cefepime.", "cefepime",
     "MEDICATION"),
    ("If sensitive, narrow to cefazolin on Monday.", "cefazolin", "MEDICATION"),
])
# fmt: on
def test_inpatient_shorthand_is_labelled(extractor, text, surface, kind):
    found = _typed(extractor, text)
    assert found.get(surface) == kind, found


# fmt: off
@pytest.mark.parametrize("text, word", [
    ("sCr 1.4, pCO2 48, hCG negative this morning.", "sCr"),
    ("sCr 1.4, pCO2 48, hCG negative this morning.", "pCO2"),
    ("Airway: ASA 3 for the procedure, Mallampati 2.", "ASA"),
    ("Wound cx: Klebsiella resistant to ampicillin and cefazolin.", "ampicillin"),
    ("Wound cx: Klebsiella resistant to ampicillin and cefazolin.", "cefazolin"),
    ("Tissue cx MSSA, oxacillin-susceptible.", "oxacillin"),
])
# fmt: on
def test_lookalikes_stay_unlabelled(extractor, text, word):
    found = _typed(extractor, text)
    assert found.get(word) not in ("PROBLEM", "MEDICATION"), found


def test_a_value_after_the_shorthand_is_not_a_stage(extractor):
    found = _typed(extractor, "HypoK 3.1 and CKD 3b, repleting")
    assert found.get("HypoK") == "PROBLEM"
    assert found.get("CKD 3b") == "PROBLEM"


def test_modifier_prefix_needs_a_problem_abbreviation():
    vocab = {"HTN": "hypertension", "CKD": "chronic kidney disease"}
    text = "gHTN and eGFR 50; the HTN clinic; CKD3a, FEV1 0.9, CKD10"
    hits = modifier_prefixed_hits(text, vocab)
    assert [(text[h.start:h.end], h.canonical) for h in hits] == [
        ("gHTN", "hypertension"), ("CKD3a", "chronic kidney disease")]


def test_dose_licensed_abbreviation_needs_an_amount_with_unit_or_schedule():
    table = {"ASA": "aspirin"}
    pattern = dose_licensed_pattern(table)
    text = "ASA 81 daily; ASA class 2; ASA 3 airway; ASA 325 mg"
    starts = [h.start for h in dose_licensed_hits(text, pattern, table)]
    assert starts == [0, text.rindex("ASA")]
    assert dose_licensed_pattern({}) is None


def test_susceptibility_list_chains_through_separators_only():
    text = "E. coli susceptible to ceftriaxone, cipro and cefepime; continue vancomycin"
    spans = [(text.index(w), text.index(w) + len(w))
             for w in ("ceftriaxone", "cipro", "cefepime", "vancomycin")]
    starts = susceptibility_drug_starts(text, spans)
    assert starts == {spans[0][0], spans[1][0], spans[2][0]}


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Worried about digoxin toxicity given the AKI.", "digoxin toxicity"),
    ("Presented after a deliberate ibuprofen overdose.", "ibuprofen overdose"),
    ("Now in cocaine withdrawal, sleeping most of the day.", "cocaine withdrawal"),
    ("Hgb decline overnight without melena.", "Hgb decline"),
    ("Grade 1 rituximab infusion reaction, resolved with slowing.",
     "rituximab infusion reaction"),
])
# fmt: on
def test_drug_or_test_with_a_problem_head_is_one_problem(extractor, text, surface):
    found = _typed(extractor, text)
    assert found.get(surface) == "PROBLEM", found


# fmt: off
@pytest.mark.parametrize("text, word, kind", [
    ("Reactions: vancomycin - infusion reaction in 2019.", "vancomycin", "MEDICATION"),
    ("Smokes tobacco daily, no other use.", "tobacco", None),
    ("ECG: 2 mm ST elevation in V2.", "ST elevation", None),
])
# fmt: on
def test_problem_head_lookalikes(extractor, text, word, kind):
    found = _typed(extractor, text)
    assert found.get(word) == kind, found


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Gave levo 750 mg IV once for the pneumonia.", "levo"),
    ("Oxy IR every four hours as needed.", "Oxy"),
    ("Bradycardic overnight, so we held metop.", "metop"),
])
# fmt: on
def test_clipped_drug_in_a_medication_frame(extractor, text, surface):
    found = _typed(extractor, text)
    assert found.get(surface) == "MEDICATION", found


def test_a_dose_frame_clears_the_same_clip_elsewhere_in_the_note(extractor):
    text = "Dex 4 mg given at noon.\nSleeping poorly while on dex."
    meds = [e.text for e in extractor.extract(text) if e.type == "MEDICATION"]
    assert meds == ["Dex", "dex"]


# fmt: off
@pytest.mark.parametrize("text, word", [
    ("Tolerating a regular diet; potassium normal on diet.", "diet"),
    ("DOL 3 today, feeding well, on DOL 4 tomorrow.", "DOL"),
    ("She is doing fine on the floor.", "fine"),
])
# fmt: on
def test_clip_lookalikes_outside_a_frame(extractor, text, word):
    found = _typed(extractor, text)
    assert found.get(word) != "MEDICATION", found
