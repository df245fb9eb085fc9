"""Plans that are not facts yet (hypothetical): a test named as the condition or target of
an order, a test ordered and not read, two treatments weighed against each other, a draw
set for a clock time, a time after an event, a later step ("before induction") or tomorrow's
labs, and a procedure a service is asked for or consented; on made-up fragments.

Each case names every entity of the fragment; the first one is the one asserted. Every
shape has a look-alike counter-example it must not fire on.
"""

from __future__ import annotations

import pytest

# fmt: off
CONDITION_CASES = [
    # A test right after a condition word is the condition: what follows is a threshold.
    ("Restart the heparin drip when platelets stable.",
     [("platelets", "TEST"), ("heparin", "MEDICATION")], "hypothetical"),
    ("Keep off lisinopril until creatinine back to baseline.",
     [("creatinine", "TEST"), ("lisinopril", "MEDICATION")], "hypothetical"),
    ("Bridge with dalteparin until the INR >= 2.5.",
     [("INR", "TEST"), ("dalteparin", "MEDICATION")], "hypothetical"),
    ("Atorvastatin 80 mg, goal LDL < 55.",
     [("LDL", "TEST"), ("Atorvastatin", "MEDICATION")], "hypothetical"),
    ("Potassium goal > 4.0 on the monitor.", [("Potassium", "TEST")], "hypothetical"),
    # ... not a result read when something happened, nor a past condition already met.
    ("When creatinine was 3.4 the team stopped lisinopril.",
     [("creatinine", "TEST"), ("lisinopril", "MEDICATION")], "present"),
    ("Dalteparin was started 3/2 once platelets > 80.",
     [("platelets", "TEST"), ("Dalteparin", "MEDICATION")], "present"),
    ("Platelets stable at 140.", [("Platelets", "TEST")], "present"),
    # Targets set with "keep" and the next targets of a list ...
    ("Maintain sodium > 135 while on the drip.", [("sodium", "TEST")], "hypothetical"),
    ("Target ferritin > 200, TSAT > 20.", [("TSAT", "TEST"), ("ferritin", "TEST")],
     "hypothetical"),
    # ... not a kept value, nor a value listed after another result.
    ("Keep sodium 138 today.", [("sodium", "TEST")], "present"),
    ("Labs: ferritin 90, TSAT > 20.", [("TSAT", "TEST"), ("ferritin", "TEST")], "present"),
]

ORDERED_CASES = [
    # A test or procedure named as ordered, without a result, is still to be read.
    ("Carotid duplex ordered.", [("Carotid duplex", "TEST")], "hypothetical"),
    ("Lipase, triglycerides ordered for the morning.",
     [("triglycerides", "TEST"), ("Lipase", "TEST")], "hypothetical"),
    ("I have ordered a ferritin and a TSH.",
     [("ferritin", "TEST"), ("TSH", "TEST")], "hypothetical"),
    # ... but an order with its result after it was done and read.
    ("Head CT ordered by triage showed a small subdural.",
     [("Head CT", "TEST"), ("small subdural", "PROBLEM")], "present"),
    ("Renal ultrasound was ordered and was unremarkable.",
     [("Renal ultrasound", "TEST")], "present"),
    ("Carotid duplex 60% stenosis, vascular ordered nothing further.",
     [("Carotid duplex", "TEST")], "present"),
]

ALTERNATIVE_CASES = [
    # Two treatments weighed against each other: neither is chosen yet.
    ("Ortho to decide: ORIF vs arthroplasty.",
     [("ORIF", "PROCEDURE"), ("arthroplasty", "PROCEDURE")], "hypothetical"),
    ("Ortho to decide: ORIF vs arthroplasty.",
     [("arthroplasty", "PROCEDURE"), ("ORIF", "PROCEDURE")], "hypothetical"),
    ("Anticoagulation: dabigatran vs edoxaban at follow-up.",
     [("edoxaban", "MEDICATION"), ("dabigatran", "MEDICATION")], "hypothetical"),
    ("Catheter-directed lysis (tenecteplase) vs thrombectomy.",
     [("thrombectomy", "PROCEDURE"), ("tenecteplase", "MEDICATION")], "hypothetical"),
    # ... not a drug named as the cause in a differential.
    ("Delirium: infection vs opioid effect.",
     [("opioid", "MEDICATION"), ("Delirium", "PROBLEM"), ("infection", "PROBLEM")],
     "present"),
    ("Rash: cellulitis vs vancomycin reaction.",
     [("vancomycin", "MEDICATION"), ("Rash", "PROBLEM"), ("cellulitis", "PROBLEM")],
     "present"),
]

TIME_CASES = [
    # A draw set for a clock time, or a time after an event, is still to come ...
    ("Lactate and phosphate at 22:00.",
     [("phosphate", "TEST"), ("Lactate", "TEST")], "hypothetical"),
    ("Magnesium by 0600, then call.", [("Magnesium", "TEST")], "hypothetical"),
    ("Blood gas 30 min after the rate change.", [("Blood gas", "TEST")], "hypothetical"),
    ("Chest film 2-4 h after the drain pull.", [("Chest film", "TEST")], "hypothetical"),
    # ... while a value first, or a procedure logged at a clock time, was done.
    ("Lactate 3.1 at 22:00, repeat pending.", [("Lactate", "TEST")], "present"),
    ("Cardioversion at 14:20, 150 J, to sinus.", [("Cardioversion", "PROCEDURE")],
     "present"),
    ("Lactate 1.8 2 h after fluids.", [("Lactate", "TEST")], "present"),
]

SERVICE_CASES = [
    # A service asked for a procedure, or a consent signed for it: not done yet ...
    ("Urology consulted for cystoscopy.", [("cystoscopy", "PROCEDURE")], "hypothetical"),
    ("IR aware re: paracentesis and drain.",
     [("paracentesis", "PROCEDURE"), ("drain", "PROCEDURE")], "hypothetical"),
    ("Consent for laparoscopic cholecystectomy signed.",
     [("laparoscopic cholecystectomy", "PROCEDURE")], "hypothetical"),
    # ... while the problem the consult is for stays, and a procedure done is done.
    ("Surgery consulted for appendicitis.", [("appendicitis", "PROBLEM")], "present"),
    ("Cystoscopy done by urology today.", [("Cystoscopy", "PROCEDURE")], "present"),
]

LATER_STEP_CASES = [
    # A test or procedure set before a later step of the plan, or with tomorrow's labs ...
    ("Central line before induction.", [("Central line", "PROCEDURE")], "hypothetical"),
    ("Echo before chemotherapy.", [("Echo", "TEST")], "hypothetical"),
    ("Morning labs: CBC, magnesium.", [("magnesium", "TEST"), ("CBC", "TEST")],
     "hypothetical"),
    ("Repeat lipase with AM labs (CBC, LFTs).",
     [("LFTs", "TEST"), ("lipase", "TEST"), ("CBC", "TEST")], "hypothetical"),
    # ... but not labs reported with their values or reported drawn.
    ("AM labs: sodium 131, glucose 140.", [("sodium", "TEST"), ("glucose", "TEST")],
     "present"),
    ("0530 AM labs drawn: CBC, magnesium.", [("magnesium", "TEST"), ("CBC", "TEST")],
     "present"),
]

STILL_CASES = [
    # "still" inside a condition does not end its reach ...
    ("Return if still vomiting on Monday.", [("vomiting", "PROBLEM")], "hypothetical"),
    ("Page if he is still hypotensive.", [("hypotensive", "PROBLEM")], "hypothetical"),
    # ... while outside one it still ends a denial.
    ("No nausea but still vomiting.", [("vomiting", "PROBLEM"), ("nausea", "PROBLEM")],
     "present"),
]

WATCH_CASES = [
    # "Watch for X:" lists the signs to watch for after its colon ...
    ("Watch for digoxin toxicity: nausea, visual halos.",
     [("visual halos", "PROBLEM"), ("digoxin toxicity", "PROBLEM"), ("nausea", "PROBLEM")],
     "hypothetical"),
    ("Monitor for hemolysis: LDH, haptoglobin daily.",
     [("haptoglobin", "TEST"), ("hemolysis", "PROBLEM"), ("LDH", "TEST")], "hypothetical"),
    # ... but the watch ends with its sentence.
    ("Watch for bleeding. Exam: melena, pallor.",
     [("pallor", "PROBLEM"), ("bleeding", "PROBLEM"), ("melena", "PROBLEM")], "present"),
]
# fmt: on


@pytest.mark.parametrize("text, targets, expected", CONDITION_CASES)
def test_when_test_is_condition_or_target_then_assertion(assert_first, text, targets,
                                                         expected):
    assert assert_first(text, targets) == expected


@pytest.mark.parametrize("text, targets, expected", ORDERED_CASES)
def test_when_test_is_ordered_then_assertion(assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


@pytest.mark.parametrize("text, targets, expected", ALTERNATIVE_CASES)
def test_when_treatments_are_weighed_then_assertion(assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


@pytest.mark.parametrize("text, targets, expected", TIME_CASES)
def test_when_test_is_set_for_a_later_time_then_assertion(assert_first, text, targets,
                                                          expected):
    assert assert_first(text, targets) == expected


@pytest.mark.parametrize("text, targets, expected", SERVICE_CASES)
def test_when_service_asked_for_procedure_then_assertion(assert_first, text, targets,
                                                         expected):
    assert assert_first(text, targets) == expected


@pytest.mark.parametrize("text, targets, expected", LATER_STEP_CASES)
def test_when_test_set_for_later_step_then_assertion(assert_first, text, targets,
                                                     expected):
    assert assert_first(text, targets) == expected


@pytest.mark.parametrize("text, targets, expected", STILL_CASES)
def test_when_condition_holds_still_then_assertion(assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


@pytest.mark.parametrize("text, targets, expected", WATCH_CASES)
def test_when_watch_cue_lists_after_colon_then_assertion(assert_first, text, targets,
                                                         expected):
    assert assert_first(text, targets) == expected
