"""Issue 14 (h-recall, multinote_dev23): recall shapes for drug classes written as
inhibitor acronyms, lay symptoms told as a body part and how it feels, daily-living aids,
positioning and restraints, airway and gastric tube abbreviations, the ventilator, surgical
suffixes and abbreviations after "s/p"; each with look-alikes that must stay unlabelled.
The sentences are made up for these tests (not taken from any corpus)."""

from __future__ import annotations

import pytest


def _typed(extractor, text: str) -> dict[str, str]:
    return {e.text: e.type for e in extractor.extract(text)}


# fmt: off
@pytest.mark.parametrize("text, surface, kind", [
    ("Started an SGLT2i last spring for CKD.", "SGLT2i", "MEDICATION"),
    ("Hold the ACEi while creatinine is up.", "ACEi", "MEDICATION"),
    ("Would add a DPP-4i before insulin.", "DPP-4i", "MEDICATION"),
    ("Continue 5-ARI for the prostate.", "5-ARI", "MEDICATION"),
    ("She says her wrists are swollen every morning.", "wrists are swollen", "PROBLEM"),
    ("My chest feels tight when I climb.", "chest feels tight", "PROBLEM"),
    ("Complains of puffy ankles by evening.", "puffy ankles", "PROBLEM"),
    ("Her mouth is so dry she sips water all night.", "mouth is so dry", "PROBLEM"),
    ("OT issued a sock aid and a shower chair.", "sock aid", "PROCEDURE"),
    ("OT issued a sock aid and a shower chair.", "shower chair", "PROCEDURE"),
    ("Placed in Trendelenburg for the drop in pressure.", "Trendelenburg", "PROCEDURE"),
    ("Proned for 16 hours overnight.", "Proned", "PROCEDURE"),
    ("Bilateral soft wrist restraints remain on.", "Bilateral soft wrist restraints",
     "PROCEDURE"),
    ("ETT 7.0 taped at 22 cm at the teeth.", "ETT", "PROCEDURE"),
    ("OGT to low intermittent suction.", "OGT", "PROCEDURE"),
    ("Right IJ TLC placed under ultrasound.", "TLC", "PROCEDURE"),
    ("Remains agitated and fighting the vent.", "vent", "PROCEDURE"),
    ("He had a septoplasty and bilateral turbinectomies in 2015.", "turbinectomies",
     "PROCEDURE"),
    ("Now s/p PCNL for a staghorn stone.", "PCNL", "PROCEDURE"),
])
# fmt: on
def test_recall_shapes_label_the_concept(extractor, text, surface, kind):
    found = _typed(extractor, text)
    assert found.get(surface) == kind, found


# fmt: off
@pytest.mark.parametrize("text, word, kind", [
    ("The HR department upgraded the Wi-Fi.", "Wi-Fi", "MEDICATION"),
    ("Her hands are full with three kids.", "hands are full", "PROBLEM"),
    ("Skin warm and dry, no rash.", "dry", "PROBLEM"),
    ("Dr. Reacher covered the clinic.", "Reacher", "PROCEDURE"),
    ("The Trendelenburg sign was positive on the right.", "Trendelenburg", "PROCEDURE"),
    ("Time restraints kept the visit short.", "restraints", "PROCEDURE"),
    ("ETT: negative at 10 METs last year.", "ETT", "PROCEDURE"),
    ("PFTs: TLC 82% predicted.", "TLC", "PROCEDURE"),
    ("She needed to vent about her landlord.", "vent", "PROCEDURE"),
    ("He described a dichotomy between work and home.", "dichotomy", "PROCEDURE"),
    ("She is s/p MVC with a seatbelt sign.", "MVC", "PROCEDURE"),
])
# fmt: on
def test_recall_shapes_skip_look_alikes(extractor, text, word, kind):
    found = _typed(extractor, text)
    assert not any(word in t and k == kind for t, k in found.items()), found


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Given 2 units PRBCs overnight for Hgb 6.8.", "PRBCs"),
    ("FFP and cryo before the line.", "FFP"),
    ("FFP and cryo before the line.", "cryo"),
    ("Transfused 1 pack of platelets before the LP.", "platelets"),
    ("Albumin 25% 50 mL IV with the paracentesis.", "Albumin"),
    ("IVF at 100 mL/h until eating.", "IVF"),
    ("Switched to D5NS at maintenance.", "D5NS"),
    ("Continue IV abx for 6 weeks.", "abx"),
    ("Bridged with LMWH until INR therapeutic.", "LMWH"),
    ("Anemia of CKD: ESA dose increased.", "ESA"),
    ("Off TPN since Tuesday, tolerating tube feeds.", "TPN"),
    ("Augmented with oxytocin at 2 mU/min.", "oxytocin"),
    ("Cycle 4 of pembro next week.", "pembro"),
])
# fmt: on
def test_products_fluids_and_class_shorthand_are_medications(extractor, text, surface):
    assert _typed(extractor, text).get(surface) == "MEDICATION", _typed(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, word", [
    ("Labs: platelets 88, albumin 3.1 g/dL.", "platelets"),
    ("Labs: platelets 88, albumin 3.1 g/dL.", "albumin"),
    ("CSF RBC 40, WBC 3.", "RBC"),
    ("Twins conceived via IVF in 2019.", "IVF"),
    ("Abx: cefepime and vancomycin.", "Abx"),
    ("Cultures drawn pre-abx.", "abx"),
])
# fmt: on
def test_lab_and_label_look_alikes_are_not_medications(extractor, text, word):
    found = _typed(extractor, text)
    assert found.get(word) != "MEDICATION", found


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("After the second dose she got wheezy and itchy.", "wheezy"),
    ("Grandpa seemed groggy and clammy this morning.", "clammy"),
    ("Toddler has been fussy since the shots.", "fussy"),
    ("Shaking rigors during the infusion.", "Shaking rigors"),
    ("Had watery stools since lunch.", "watery stools"),
    ("Stopped the pill because of GI upset.", "GI upset"),
    ("He denies SI/HI today.", "SI"),
    ("He denies SI/HI today.", "HI"),
    ("Endorses passive SI, no plan.", "SI"),
    ("Paracentesis to r/o SBP.", "SBP"),
])
# fmt: on
def test_lay_symptoms_and_framed_abbreviations_are_problems(extractor, text, surface):
    assert _typed(extractor, text).get(surface) == "PROBLEM", _typed(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, word", [
    ("The port was flushed with heparinized saline.", "flushed"),
    ("She has always been a fussy eater.", "fussy"),
    ("Injection into the left SI joint under fluoroscopy.", "SI"),
    ("SBP 92 after the second bolus; SBP goal above 90.", "SBP"),
    ("Results reported in SI units.", "SI"),
])
# fmt: on
def test_lay_and_abbreviation_look_alikes_are_not_problems(extractor, text, word):
    found = _typed(extractor, text)
    assert found.get(word) != "PROBLEM", found


# fmt: off
@pytest.mark.parametrize("text, surface, kind", [
    ("ESRD on HD TTS via L arm graft.", "HD", "PROCEDURE"),
    ("Needs urgent HD for the potassium.", "HD", "PROCEDURE"),
    ("Plan: R-CHOP x 6 cycles.", "R-CHOP", "MEDICATION"),
    ("Day 1 of FOLFIRINOX chemo tomorrow.", "FOLFIRINOX", "MEDICATION"),
    ("PT PLACED ON BIPAP OVERNIGHT.", "BIPAP", "PROCEDURE"),
])
# fmt: on
def test_dialysis_regimens_and_capitalised_short_forms(extractor, text, surface, kind):
    assert _typed(extractor, text).get(surface) == kind, _typed(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, word", [
    ("Admitted 6/2, now HD#4, afebrile.", "HD"),
    ("HD 3: tolerating diet.", "HD"),
    ("Infliximab 5 mg/kg IV every 8 weeks.", "IV"),
    ("Insulin sliding scale AC/HS, #2 anemia.", "HS"),
])
# fmt: on
def test_hospital_days_and_schedules_are_not_procedures_or_regimens(extractor, text, word):
    found = _typed(extractor, text)
    assert word not in found, found


@pytest.mark.parametrize("text, surface", [
    ("Neonate under phototherapy since 0600.", "phototherapy"),
    ("Third session of plasmapheresis today.", "plasmapheresis"),
])
def test_pcs_treatments_named_by_therapy_or_pheresis_are_procedures(extractor, text, surface):
    assert _typed(extractor, text).get(surface) == "PROCEDURE", _typed(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Brisk reflexes with 4 beats of clonus bilaterally.", "clonus"),
    ("Baby grunting, with suprasternal retractions.", "suprasternal retractions"),
    ("Abdomen firm with involuntary guarding.", "involuntary guarding"),
    ("Soft, nontender, no rebound.", "rebound"),
    ("Caput medusae and shifting dullness noted.", "shifting dullness"),
])
# fmt: on
def test_exam_signs_are_problems(extractor, text, surface):
    assert _typed(extractor, text).get(surface) == "PROBLEM", _typed(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, word", [
    ("She went clubbing with friends on Saturday.", "clubbing"),
    ("The team kept a blistering pace all season.", "blistering"),
    ("He was guarding against another fall by using the rail.", "guarding"),
    ("Grunting while lifting the box, he strained his back.", "Grunting"),
])
# fmt: on
def test_exam_sign_look_alikes_are_not_problems(extractor, text, word):
    found = _typed(extractor, text)
    assert found.get(word) != "PROBLEM", found


def test_a_device_name_alone_refers_back_to_the_named_device(extractor):
    text = ("Blake drain left in the pelvis. Blake with 60 mL serosanguinous overnight. "
            "Troponin 12 ng/L.")
    found = [(e.text, e.type) for e in extractor.extract(text)]
    assert ("Blake drain", "PROCEDURE") in found
    assert ("Blake", "PROCEDURE") in found, found


def test_device_names_as_routes_services_or_in_other_notes_are_not_devices(extractor):
    text = ("NG tube placed at bedside. Acetaminophen 160 mg via NG. IR drain in the "
            "collection; discussed with IR again today.")
    found = [(e.text, e.type) for e in extractor.extract(text)]
    assert ("NG", "PROCEDURE") not in found, found
    assert ("IR", "PROCEDURE") not in found, found
    # Without a named device the bare abbreviation is not one.
    assert "Blake" not in {e.text for e in extractor.extract("Dr. Blake saw him today.")}
