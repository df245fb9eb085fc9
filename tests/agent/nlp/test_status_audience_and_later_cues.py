"""A drug's current status in the parenthesis after it, options passed over ("not chosen",
"declined by"), relatives named as audience or company ("reviewed with pt and son"), and
drugs, tests or procedures dated later ("tomorrow", "in 3 weeks"), on made-up fragments.

Each case names every entity of the fragment; the first one is the one asserted. Every rule
has a look-alike counter-example it must not fire on.
"""

from __future__ import annotations

import pytest

# fmt: off
CASES = [
    # The first words of a drug's parenthesis state what is true of it now ...
    ("Home meds: glipizide 5 mg daily (held since arrival), losartan 50 mg.",
     [("glipizide", "MEDICATION"), ("losartan", "MEDICATION")], "absent"),
    ("Outpatient: rosuvastatin (not taking for months), aspirin 81 mg.",
     [("rosuvastatin", "MEDICATION"), ("aspirin", "MEDICATION")], "absent"),
    ("Meds: topiramate (on hold), sertraline.",
     [("topiramate", "MEDICATION"), ("sertraline", "MEDICATION")], "absent"),
    # ... not a past episode dated inside it, nor a parenthesis after a comma, nor the
    # next drug of the list.
    ("Meds: lisinopril 20 mg daily (held 3/2-3/4 for AKI), atorvastatin.",
     [("lisinopril", "MEDICATION"), ("atorvastatin", "MEDICATION")], "present"),
    ("Meds: losartan 50 mg, (held since arrival) per pharmacy note.",
     [("losartan", "MEDICATION")], "present"),
    ("Meds: glipizide (held since arrival), losartan 50 mg.",
     [("losartan", "MEDICATION"), ("glipizide", "MEDICATION")], "present"),
    ("Warfarin (now on rivaroxaban), aspirin.",
     [("Warfarin", "MEDICATION"), ("rivaroxaban", "MEDICATION"), ("aspirin", "MEDICATION")],
     "present"),
    # An option passed over or turned down is not given ...
    ("Tacrolimus not chosen given tremor.", [("Tacrolimus", "MEDICATION")], "absent"),
    ("Continue gabapentin; melatonin declined by the patient.",
     [("melatonin", "MEDICATION"), ("gabapentin", "MEDICATION")], "absent"),
    ("Epidural refused by the patient.", [("Epidural", "PROCEDURE")],
     "absent"),
    # ... while a value that "declined" is a course, and the drug kept is given.
    ("Hemoglobin declined by 2 g overnight.", [("Hemoglobin", "TEST")], "present"),
    ("Continue gabapentin; melatonin declined by the patient.",
     [("gabapentin", "MEDICATION"), ("melatonin", "MEDICATION")], "present"),
    # A relative as audience or company is not the experiencer of what follows ...
    ("Plan reviewed with patient and son: cellulitis improving on cefazolin.",
     [("cellulitis", "PROBLEM"), ("cefazolin", "MEDICATION")], "present"),
    # (a consent list after such an audience is what might happen)
    ("Risks explained with her husband: stroke, bleeding.",
     [("stroke", "PROBLEM"), ("bleeding", "PROBLEM")], "hypothetical"),
    ("Discharge home with wife if nausea settles.", [("nausea", "PROBLEM")],
     "hypothetical"),
    # ... a relative's own condition still is.
    ("Son with type 1 diabetes; father had colon cancer.",
     [("type 1 diabetes", "PROBLEM"), ("colon cancer", "PROBLEM")], "family"),
    ("Father with atrial fibrillation on warfarin.", [("atrial fibrillation", "PROBLEM")],
     "family"),
    # A drug, test or procedure dated later is not given or done yet ...
    ("Begin enoxaparin tomorrow if the drain output stays low.",
     [("enoxaparin", "MEDICATION")], "hypothetical"),
    ("Second rituximab dose in 2 weeks.", [("rituximab", "MEDICATION")], "hypothetical"),
    ("Lipid panel tomorrow.", [("Lipid panel", "TEST")], "hypothetical"),
    # ... a dose given this morning or a course that ran for days is not.
    ("Received ceftriaxone this morning.", [("ceftriaxone", "MEDICATION")], "present"),
    ("Vancomycin stopped after 5 days of therapy.", [("Vancomycin", "MEDICATION")],
     "absent"),
    ("Furosemide 40 mg IV now, repeat in 2 h if UOP low.", [("Furosemide", "MEDICATION")],
     "present"),
]
# fmt: on


@pytest.mark.parametrize("text, targets, expected", CASES)
def test_when_status_audience_or_later_cue_then_assertion(assert_first, text, targets,
                                                          expected):
    assert assert_first(text, targets) == expected


# fmt: off
DASH_CASES = [
    # A backward hedge said of the entity right before it does not reach over a spaced dash
    # to an earlier item ...
    ("Anemia / thrombocytopenia - marrow infiltration unlikely.",
     [("thrombocytopenia", "PROBLEM"), ("Anemia", "PROBLEM"), ("marrow infiltration", "PROBLEM")],
     "present"),
    ("Anemia / thrombocytopenia - marrow infiltration unlikely.",
     [("marrow infiltration", "PROBLEM"), ("Anemia", "PROBLEM"), ("thrombocytopenia", "PROBLEM")],
     "possible"),
    # ... while a list before the hedge, or a hyphenated word, is still covered.
    ("Pneumonia, empyema unlikely.", [("Pneumonia", "PROBLEM"), ("empyema", "PROBLEM")],
     "possible"),
    ("Post-op ileus unlikely.", [("ileus", "PROBLEM")], "possible"),
    # A diagnosis not yet excluded is possible.
    ("Lymphoma not yet excluded.", [("Lymphoma", "PROBLEM")], "possible"),
]
# fmt: on


@pytest.mark.parametrize("text, targets, expected", DASH_CASES)
def test_when_spaced_dash_or_not_yet_excluded_then_assertion(assert_first, text, targets,
                                                             expected):
    assert assert_first(text, targets) == expected


# fmt: off
CIRCUMSTANCE_CASES = [
    # A problem that is the setting of a denied word (no entity) is not denied ...
    ("No dose reduction in cirrhosis.", [("cirrhosis", "PROBLEM")], "present"),
    ("No relief in nausea after the antiemetic.", [("nausea", "PROBLEM")], "present"),
    ("No heparin bridging given gastrointestinal bleeding.",
     [("gastrointestinal bleeding", "PROBLEM")], "present"),
    # ... what the negation names, or a problem after "of" / "with", still is.
    ("No sign of pneumonia.", [("pneumonia", "PROBLEM")], "absent"),
    ("No trouble with dysphagia.", [("dysphagia", "PROBLEM")], "absent"),
    ("No cough in the past week.", [("cough", "PROBLEM")], "absent"),
    ("No rash, fever in the last month.", [("fever", "PROBLEM"), ("rash", "PROBLEM")],
     "absent"),
]
# fmt: on


@pytest.mark.parametrize("text, targets, expected", CIRCUMSTANCE_CASES)
def test_when_problem_is_circumstance_of_denied_word_then_assertion(assert_first, text,
                                                                    targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
PLAN_CASES = [
    # An imperative switch, a start once a condition is met, an order from a later day ...
    ("Keep on ceftriaxone; switch to cefuroxime when tolerating PO.",
     [("cefuroxime", "MEDICATION"), ("ceftriaxone", "MEDICATION")], "hypothetical"),
    ("Denosumab once dental work is complete.", [("Denosumab", "MEDICATION")],
     "hypothetical"),
    ("PICC once blood cultures clear.", [("PICC", "PROCEDURE"), ("blood cultures", "TEST")],
     "hypothetical"),
    ("Dalteparin 5000 units SQ daily from POD 2.", [("Dalteparin", "MEDICATION")],
     "hypothetical"),
    # ... not a switch that happened, a dose counted "once", or a start that took place.
    ("Switched to cefuroxime yesterday.", [("cefuroxime", "MEDICATION")], "present"),
    ("Amlodipine 5 mg once daily.", [("Amlodipine", "MEDICATION")], "present"),
    ("Gave labetalol once in triage.", [("labetalol", "MEDICATION")], "present"),
    ("Apixaban resumed 5/2 once hemoglobin was stable.", [("Apixaban", "MEDICATION")],
     "present"),
    # A stop that took place is no plan either (ConText's own "discontinued" says absent);
    # the imperative is.
    ("Lisinopril was discontinued once the creatinine rose.",
     [("Lisinopril", "MEDICATION"), ("creatinine", "TEST")], "absent"),
    ("Discontinue lisinopril once the creatinine rises above 2.",
     [("lisinopril", "MEDICATION"), ("creatinine", "TEST")], "hypothetical"),
]
# fmt: on


@pytest.mark.parametrize("text, targets, expected", PLAN_CASES)
def test_when_plan_shape_then_assertion(assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
SWITCH_CASES = [
    # An imperative switch stops the drug right after it, not the one after "to" ...
    ("Change cefepime to cefazolin 2 g IV q8h.",
     [("cefepime", "MEDICATION"), ("cefazolin", "MEDICATION")], "absent"),
    ("Change cefepime to cefazolin 2 g IV q8h.",
     [("cefazolin", "MEDICATION"), ("cefepime", "MEDICATION")], "present"),
    # ... and "switch to X" stays a plan.
    ("Switch to oral linezolid when afebrile.", [("linezolid", "MEDICATION")], "hypothetical"),
]
# fmt: on


@pytest.mark.parametrize("text, targets, expected", SWITCH_CASES)
def test_when_imperative_switch_then_assertion(assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected
