"""Procedure and test shapes named by a head noun with its kind (agent/rules/targets.json):
embolization, sedation, closure, shunt, drain, drainage, exchange, surgery by site, a
device after its French size, ligation, brushings; culture or stain of a named specimen,
analytes of a named fluid, testing by its subject, drug challenges; and the planning cues
'to the OR for', 'asked about', 'every N weeks'. Written in other wording than the dev
corpora, each with a look-alike that must not fire.
"""

from __future__ import annotations

import pytest


def _found(extractor, text: str) -> list[tuple[str, str]]:
    return [(e.text, e.type) for e in extractor.extract(text)]


# fmt: off
@pytest.mark.parametrize("text, surface, etype", [
    ("Underwent hepatic chemoembolization last spring.", "hepatic chemoembolization",
     "PROCEDURE"),
    ("Uterine artery embolization planned for fibroids.", "Uterine artery embolization",
     "PROCEDURE"),
    ("Bronchoscopy done under conscious sedation.", "conscious sedation", "PROCEDURE"),
    ("Fascial closure was completed on day 3.", "Fascial closure", "PROCEDURE"),
    ("Known lumboperitoneal shunt, functioning.", "lumboperitoneal shunt", "PROCEDURE"),
    ("Lumbar drain kept at 10 mL/h.", "Lumbar drain", "PROCEDURE"),
    ("CT-guided liver abscess drainage yielded pus.", "CT-guided liver abscess drainage",
     "PROCEDURE"),
    ("G-tube exchange at bedside without issue.", "G-tube exchange", "PROCEDURE"),
    ("Had sinus surgery as a teenager.", "sinus surgery", "PROCEDURE"),
    ("A 7 Fr introducer was left in the groin.", "introducer", "PROCEDURE"),
    ("Variceal band ligation x4 performed.", "Variceal band ligation", "PROCEDURE"),
    ("Ductal brushings obtained at ERCP.", "Ductal brushings", "PROCEDURE"),
    ("Pleural fluid cell count 2,400.", "Pleural fluid cell count", "TEST"),
    ("Wound cultures grew MRSA.", "Wound cultures", "TEST"),
    ("Fluid aspirated and sent for Gram stain.", "Gram stain", "TEST"),
    ("Spot urine creatinine 88.", "Spot urine creatinine", "TEST"),
    ("Hypercoagulable work-up sent.", "Hypercoagulable work-up", "TEST"),
    ("Graded penicillin challenge passed.", "Graded penicillin challenge", "TEST"),
])
# fmt: on
def test_when_head_noun_with_its_kind_then_entity(extractor, text, surface, etype):
    assert (surface, etype) in _found(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Sedation: none required.", "Sedation"),
    ("Closure device deployed at the groin.", "Closure device"),
    ("Echo: small left-to-right shunt at the atrial level.", "left-to-right shunt"),
    ("Scant serous drainage on the dressing.", "serous drainage"),
    ("Thoracic surgery consulted; vascular surgery following.", "Thoracic surgery"),
    ("Knee surgery team to see in AM.", "Knee surgery"),
    ("Brushing his teeth independently.", "Brushing"),
    ("Fluid studies: albumin 1.2.", "Fluid studies"),
    ("Fluid challenge of 500 mL LR given for hypotension.", "Fluid challenge"),
    ("Son with hearing loss; hearing test normal.", "hearing test"),
])
# fmt: on
def test_when_look_alike_then_no_such_entity(extractor, text, surface):
    assert all(found != surface for found, _ in _found(extractor, text))


# fmt: off
@pytest.mark.parametrize("text, surface, expected", [
    # A destination named for an operation to come, a question about it, a schedule ...
    ("Ruptured spleen: to OR emergently for splenectomy.", "splenectomy", "hypothetical"),
    ("She asked about knee replacement at the visit.", "knee replacement", "hypothetical"),
    ("Surveillance colonoscopy every 5 years.", "colonoscopy", "hypothetical"),
    # ... while an operation already done, or care at short intervals, is not.
    ("He was taken to the OR for appendectomy on 3/2.", "appendectomy", "present"),
    ("Went to IR for embolization yesterday.", "embolization", "present"),
    ("Asked about chest pain: denies.", "chest pain", "absent"),
    ("Wound vac change q72h.", "Wound vac", "present"),
])
# fmt: on
def test_when_planning_cue_then_assertion(extractor, text, surface, expected):
    found = {e.text: e.assertion for e in extractor.extract(text)}
    assert found.get(surface) == expected


# fmt: off
@pytest.mark.parametrize("text, surface, expected", [
    # A single word with a disease suffix names a condition the vocabularies may lack ...
    ("Vasospasm suspected on angiography.", "Vasospasm", "PROBLEM"),
    ("Biopsy: low-grade dysplasia.", "dysplasia", "PROBLEM"),
    ("CT: obstructing ureterolith on the left.", "ureterolith", "PROBLEM"),
    ("Hepatosplenomegaly on exam.", "Hepatosplenomegaly", "PROBLEM"),
])
# fmt: on
def test_when_disease_suffix_word_then_problem(extractor, text, surface, expected):
    assert (surface, expected) in _found(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, surface", [
    # ... but not a process, a normal state, a given name, a device or a lab heading.
    ("Working diagnosis remains unclear.", "diagnosis"),
    ("Ileocolic anastomosis intact.", "anastomosis"),
    ("Hemostasis achieved with pressure.", "Hemostasis"),
    ("Clinically euvolemia maintained; normokalemia.", "euvolemia"),
    ("Clinically euvolemia maintained; normokalemia.", "normokalemia"),
    ("Discussed with Ifeoma, the charge RN.", "Ifeoma"),
    ("Ostomy nurse saw her; stoma pink.", "stoma"),
    ("Glycemia: fingersticks 120-160.", "Glycemia"),
])
# fmt: on
def test_when_suffix_look_alike_then_no_problem(extractor, text, surface):
    assert (surface, "PROBLEM") not in _found(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, surface, etype", [
    # Drugs found by how they are given ...
    ("Give senna 2 tablets at bedtime.", "senna", "MEDICATION"),
    ("PEG-3350 17 g in water daily.", "PEG-3350", "MEDICATION"),
    ("Magnesium replacement per protocol.", "Magnesium", "MEDICATION"),
    ("Half-normal saline at 75 mL/h.", "Half-normal saline", "MEDICATION"),
    ("Plan: iodine allergy: premedicated with methylprednisolone.", "methylprednisolone",
     "MEDICATION"),
    # ... while the same words in a lab, a tube or an allergy list keep their type.
    ("Magnesium 1.6 this AM.", "Magnesium", "TEST"),
    ("PEG tube flushed.", "PEG tube", "PROCEDURE"),
    ("Allergic to penicillin and amoxicillin.", "amoxicillin", "ALLERGY"),
])
# fmt: on
def test_when_drug_named_by_how_given_then_type(extractor, text, surface, etype):
    assert (surface, etype) in _found(extractor, text)


@pytest.mark.parametrize("text", ["Patient 2 tabs PO at home.", "Takes 2 tabs daily."])
def test_when_count_frame_after_common_word_then_no_drug(extractor, text):
    assert not [e for e in extractor.extract(text) if e.type == "MEDICATION"]
