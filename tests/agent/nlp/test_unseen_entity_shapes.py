"""Issue 14: device / nursing-intervention shapes and assertion scope rules that must hold on
notes the rules were not written from (sentences here are not taken from any corpus)."""

from __future__ import annotations

import pytest


def _find(extractor, text: str, surface: str):
    hits = [e for e in extractor.extract(text) if e.text == surface]
    assert hits, f"{surface!r} not extracted from {text!r}: " \
                 f"{[(e.text, e.type) for e in extractor.extract(text)]}"
    return hits[0]


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("Seizure precautions maintained overnight.", "Seizure precautions"),
    ("Chair alarm on while up in the chair.", "Chair alarm"),
    ("Foam dressing to the coccyx, changed today.", "Foam dressing"),
    ("Sacral dressing intact.", "dressing"),
    ("Transitioned from nasal mask to a full face mask for mouth breathing.", "full face mask"),
    ("Uses nasal pillows at home.", "nasal pillows"),
    ("Compression stockings on both legs.", "Compression stockings"),
    ("CAM boot to the left foot when walking.", "CAM boot"),
    ("Cold pack to the knee for 20 minutes.", "Cold pack"),
    ("In-and-out cath for 450 mL.", "In-and-out cath"),
    ("Turned and repositioned q2h.", "Turned and repositioned"),
    ("Under general anesthesia with a femoral nerve block.", "general anesthesia"),
    ("Under general anesthesia with a femoral nerve block.", "femoral nerve block"),
    ("Right knee intra-articular injection of triamcinolone.", "intra-articular injection"),
    ("Drain removal planned before discharge.", "Drain removal"),
    ("Discharged on supplemental oxygen at night.", "supplemental oxygen"),
    ("Saturating well on oxygen 3 L.", "oxygen"),
    ("Peripheral IV in the left hand, flushed.", "Peripheral IV"),
    ("Chemo given through her port without issue.", "port"),
    ("Using auto-PAP 8-14 cm H2O nightly.", "auto-PAP"),
])
# fmt: on
def test_device_and_nursing_shapes_are_procedures(extractor, text, surface):
    assert _find(extractor, text, surface).type == "PROCEDURE"


# fmt: off
@pytest.mark.parametrize("text, surface", [
    ("SpO2 94% on room air.", "SpO2"),
    ("Return precautions reviewed with the family.", "Return precautions"),
    ("LB dressing min assist, grooming set-up.", "dressing"),
    ("Trocars removed; the umbilical port closed with 0 Vicryl.", "port"),
    ("APAP 650 mg PO q6h PRN pain.", "APAP"),
])
# fmt: on
def test_lookalikes_of_device_shapes_are_not_procedures(extractor, text, surface):
    found = [e for e in extractor.extract(text) if e.text == surface]
    assert all(e.type != "PROCEDURE" for e in found), found


def test_incentive_spirometer_and_scds_are_procedures(extractor):
    text = "Incentive spirometer at bedside; SCDs on both legs."
    assert _find(extractor, text, "Incentive spirometer").type == "PROCEDURE"
    assert _find(extractor, text, "SCDs").type == "PROCEDURE"


# fmt: off
@pytest.mark.parametrize("text, surface, expected", [
    # a '+' after punctuation opens a positive item: the negation list ends there
    ("No nausea, vomiting. + headache since noon.", "headache", "present"),
    ("no fever or chills; + dysuria", "dysuria", "present"),
    ("no fever or chills; + dysuria", "chills", "absent"),
    # ... but a grade '2+' does not end it
    ("No 2+ edema.", "edema", "absent"),
    # a question-list answer after a colon
    ("- Headache: denies\n- Cough: yes", "Headache", "absent"),
    ("- Headache: denies\n- Cough: yes", "Cough", "present"),
    # An event word denied after a problem, ending its clause: it did not happen; with an
    # object after it, the forward negation keeps the object.
    ("Pancreatitis did not occur.", "Pancreatitis", "absent"),
    ("Hypotension has not recurred since.", "Hypotension", "absent"),
    ("Hypotension developed on day 2.", "Hypotension", "present"),
    ("Patient did not develop rash.", "rash", "absent"),
    # A header's colon before a denial that goes on is the forward cue, not an answer.
    ("HPI: Denies chest pain.", "chest pain", "absent"),
    ("ROS: denies fever or chills.", "chills", "absent"),
    # 'do not give' negates the drug after it
    ("Do not take metformin the morning of the procedure.", "metformin", "absent"),
    # 'told to avoid' negates the drug (the problem cue 'to avoid' no longer hides it)
    ("Advised to avoid ibuprofen given his kidneys.", "ibuprofen", "absent"),
    # a passive plan after an order is still to be done
    ("CBC to be drawn in clinic on Monday.", "CBC", "hypothetical"),
    # 'may give X if ...' is conditional
    ("May give lorazepam if agitated.", "lorazepam", "hypothetical"),
    # an intervention or study stopped / avoided is not in place
    ("Fall precautions discontinued after she walked independently.", "Fall precautions",
     "absent"),
    # a drip turned off, named before its 'off' and a time
    ("Dobutamine off since Tuesday; milrinone continues.", "Dobutamine", "absent"),
    ("Dobutamine off since Tuesday; milrinone continues.", "milrinone", "present"),
    # replacements: the drug after 'replaces' and the one before 'replaced by' are stopped
    ("amlodipine 5 mg daily (replaces nifedipine)", "nifedipine", "absent"),
    ("amlodipine 5 mg daily (replaces nifedipine)", "amlodipine", "present"),
    ("Losartan replaced by valsartan for cost.", "Losartan", "absent"),
    ("Losartan replaced by valsartan for cost.", "valsartan", "present"),
    # a table's status cell after a pipe
    ("| gabapentin | 300 mg TID | -- | STOPPED |", "gabapentin", "absent"),
    # 'not ordered' / 'not restarted' after the drug
    ("Quetiapine not restarted at discharge.", "Quetiapine", "absent"),
    # a condition reaches through its arrow to the consequence ...
    ("If no response to diuresis -> paracentesis.", "paracentesis", "hypothetical"),
    # ... while an arrow after a fact still ends other cues
    ("No effusion on CXR -> furosemide continued.", "furosemide", "present"),
    # later visits, cycles and due dates
    ("Shingles vaccine next visit.", "Shingles vaccine", "hypothetical"),
    ("Echo after cycle 3 of chemotherapy.", "Echo", "hypothetical"),
    ("Lipid panel due in June.", "Lipid panel", "hypothetical"),
    ("Neuropathy due to chemotherapy.", "Neuropathy", "present"),
    ("Colonoscopy being considered by GI.", "Colonoscopy", "hypothetical"),
    # a hold after the drug that closes its clause, not reaching the next drug
    ("Apixaban HOLD. Heparin drip started.", "Apixaban", "absent"),
    ("Clopidogrel held, atorvastatin continued.", "Clopidogrel", "absent"),
    ("Clopidogrel held, atorvastatin continued.", "atorvastatin", "present"),
    # a test followed by its measured value was done, whatever is negated nearby
    ("Platelets 48 on day 3, platelet transfusion not needed.", "Platelets", "present"),
    ("Troponin not obtained in clinic.", "Troponin", "absent"),
])
# fmt: on
def test_assertion_scope_rules(extractor, text, surface, expected):
    assert _find(extractor, text, surface).assertion == expected


# fmt: off
@pytest.mark.parametrize("text, surface", [
    # words the drug vocabularies lack (vitamins, hormones, osmotic agents)
    ("Riboflavin 400 mg PO daily for migraine prevention.", "Riboflavin"),
    ("Oxytocin 10 units IM x1 after delivery.", "Oxytocin"),
    ("Give mannitol 25 g IV over 20 min.", "mannitol"),
])
# fmt: on
def test_a_word_in_a_dose_frame_is_a_medication(extractor, text, surface):
    # strength then route or schedule: the frame only follows a drug
    assert _find(extractor, text, surface).type == "MEDICATION"


# fmt: off
@pytest.mark.parametrize("text, word", [
    ("Gave 40 mg IV.", "Gave"),
    ("Creatinine 1.6 mg/dL daily.", "Creatinine"),
    ("Titrated 5 mg q4h.", "Titrated"),
])
# fmt: on
def test_a_dose_frame_does_not_make_other_words_drugs(extractor, text, word):
    assert all(e.type != "MEDICATION" for e in extractor.extract(text) if e.text == word)


def test_past_history_ends_at_a_note_part_label(extractor):
    # the sectionizer does not know "NURSING EXAM TODAY:", so PMH would run on under it
    text = ("PMH: hypertension, COPD\n- Diabetes: on insulin\n"
            "NURSING EXAM TODAY: wheezing, cyanosis of the lips\n")
    assert _find(extractor, text, "COPD").assertion == "historical"
    assert _find(extractor, text, "Diabetes").assertion == "historical"
    assert _find(extractor, text, "wheezing").assertion == "present"
