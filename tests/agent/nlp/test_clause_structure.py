"""Cue scopes read from clause structure (agent/nlp/clause_structure.py and the label,
list and section rules of agent/nlp/assertion.py), on made-up note fragments.

Each case names every entity of the fragment (the rules read the other entities of the
clause); the first one is the one asserted. Every rule has a counter-example it must not
fire on.
"""

from __future__ import annotations

import pytest

# fmt: off
CASES = [
    # A denial written after its subject denies the subject ...
    ("Colonoscopy not indicated at this time.", [("Colonoscopy", "PROCEDURE")], "absent"),
    ("Her anticoagulant was never restarted.", [("anticoagulant", "MEDICATION")], "absent"),
    ("Ascites not appreciated on exam today.", [("Ascites", "PROBLEM")], "absent"),
    ("Lipase not sent.", [("Lipase", "TEST")], "absent"),
    ("Calf swelling absent.", [("Calf swelling", "PROBLEM")], "absent"),
    ("Review:\nNausea: denies (eating well)", [("Nausea", "PROBLEM")], "absent"),
    # ... but not when the predicate is a degree or a result, nor what follows it.
    ("Headache not improved with acetaminophen.", [("Headache", "PROBLEM"),
                                                   ("acetaminophen", "MEDICATION")], "present"),
    ("Wound not healing well.", [("Wound", "PROBLEM")], "present"),
    ("Lipase not elevated.", [("Lipase", "TEST")], "present"),
    ("CT abdomen: negative.", [("CT abdomen", "TEST")], "present"),
    ("Thoracentesis not recommended for the small effusion.",
     [("small effusion", "PROBLEM"), ("Thoracentesis", "PROCEDURE")], "present"),
    ("Rash, no itching.", [("Rash", "PROBLEM"), ("itching", "PROBLEM")], "present"),
    # A clause after ", and" with its own verb ends a denial; a plain list does not.
    ("No seizure activity overnight, and received levetiracetam at 8 pm.",
     [("levetiracetam", "MEDICATION"), ("seizure activity", "PROBLEM")], "present"),
    ("Denies chest pain and she walked two blocks with dyspnea.",
     [("dyspnea", "PROBLEM"), ("chest pain", "PROBLEM")], "present"),
    ("No cough, wheezing, and chest tightness.",
     [("chest tightness", "PROBLEM"), ("cough", "PROBLEM"), ("wheezing", "PROBLEM")], "absent"),
    # A place, means or reason attached to the denied finding is not denied itself.
    ("No tenderness over the PICC.", [("PICC", "PROCEDURE"), ("tenderness", "PROBLEM")],
     "present"),
    ("No rash with vancomycin this time.", [("vancomycin", "MEDICATION"), ("rash", "PROBLEM")],
     "present"),
    ("Not on warfarin (GI bleed in May).", [("GI bleed", "PROBLEM"), ("warfarin", "MEDICATION")],
     "present"),
    ("No pain or Foley.", [("Foley", "PROCEDURE"), ("pain", "PROBLEM")], "absent"),
    ("Denies symptoms (headache, blurred vision).",
     [("blurred vision", "PROBLEM"), ("symptoms", "PROBLEM"), ("headache", "PROBLEM")], "absent"),
    # A cue after a list is said of every item; not across a word that is no list item.
    ("Ferritin, TSH and B12 to be drawn Monday.",
     [("Ferritin", "TEST"), ("TSH", "TEST"), ("B12", "TEST")], "hypothetical"),
    ("Ferritin reviewed with him, B12 to be drawn Monday.",
     [("Ferritin", "TEST"), ("B12", "TEST")], "present"),
    # A study named with its purpose is still to be done, unless its result follows.
    ("Renal ultrasound to evaluate for hydronephrosis.",
     [("Renal ultrasound", "TEST"), ("hydronephrosis", "PROBLEM")], "hypothetical"),
    ("Renal ultrasound to evaluate for hydronephrosis was unremarkable.",
     [("Renal ultrasound", "TEST"), ("hydronephrosis", "PROBLEM")], "present"),
    ("Underwent MRI to assess the cord.", [("MRI", "TEST")], "present"),
    # A bounded history cue names one past event: its reason and the next kind are current.
    ("s/p Whipple for pancreatic adenocarcinoma.",
     [("pancreatic adenocarcinoma", "PROBLEM"), ("Whipple", "PROCEDURE")], "present"),
    ("s/p TAVR 2023, chronic AF on apixaban.",
     [("chronic AF", "PROBLEM"), ("TAVR", "PROCEDURE"), ("apixaban", "MEDICATION")], "present"),
    ("s/p appendectomy, cholecystectomy.",
     [("cholecystectomy", "PROCEDURE"), ("appendectomy", "PROCEDURE")], "historical"),
    ("s/p cath with stent to the RCA.",
     [("stent", "PROCEDURE"), ("cath", "PROCEDURE")], "historical"),
    ("Prior stroke, seizure.", [("seizure", "PROBLEM"), ("stroke", "PROBLEM")], "historical"),
    # What a return precaution names as the current circumstance is not conditional.
    ("Notify the team for oozing at the arterial line.",
     [("arterial line", "PROCEDURE"), ("oozing", "PROBLEM")], "present"),
    ("If hypotension, start norepinephrine.",
     [("norepinephrine", "MEDICATION"), ("hypotension", "PROBLEM")], "hypothetical"),
    # An order opening its line is today's order unless a later time or condition follows.
    ("- Restart atorvastatin 40 mg nightly.", [("atorvastatin", "MEDICATION")], "present"),
    ("- Restart atorvastatin once LFTs normalize.",
     [("atorvastatin", "MEDICATION"), ("LFTs", "TEST")], "hypothetical"),
    # An upper-case status word opening a list line labels the entry; a sentence does not.
    ("CHANGED metoprolol 50 mg BID (was 25 mg)", [("metoprolol", "MEDICATION")], "present"),
    ("Changed metoprolol to carvedilol.",
     [("metoprolol", "MEDICATION"), ("carvedilol", "MEDICATION")], "absent"),
    # A status label heads its whole line; the next label ends it.
    ("DISCONTINUED: amlodipine; sertraline (hyponatremia -> resolved), lorazepam",
     [("lorazepam", "MEDICATION"), ("amlodipine", "MEDICATION"), ("sertraline", "MEDICATION"),
      ("hyponatremia", "PROBLEM")], "absent"),
    ("Discharge medications:\n  DISCONTINUED -- naproxen (gastritis).",
     [("naproxen", "MEDICATION"), ("gastritis", "PROBLEM")], "absent"),
    ("Plan:\n- Held - see above; continue metoprolol",
     [("metoprolol", "MEDICATION")], "present"),
    ("STOPPED: atorvastatin\nNEW: rosuvastatin 10 mg",
     [("rosuvastatin", "MEDICATION"), ("atorvastatin", "MEDICATION")], "present"),
]
# fmt: on


@pytest.mark.parametrize("text, targets, expected", CASES)
def test_when_clause_structure_bounds_a_cue_then_assertion(assert_first, text, targets,
                                                           expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, target, expected", [
    # A history header that also names the plan heads current problems ...
    ("Past Medical History: asthma\n\nProblem list / Plan:\n1. Cellulitis of the left foot",
     "Cellulitis", "present"),
    # ... a plain one keeps them historical.
    ("Past Medical History: asthma\n1. Cellulitis of the left foot", "Cellulitis",
     "historical"),
])
# fmt: on
def test_when_history_header_names_the_plan_then_problems_are_current(assert_first, text,
                                                                      target, expected):
    assert assert_first(text, [(target, "PROBLEM")]) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # A plan line that names tests without a result orders them ...
    ("Assessment/Plan:\n- Haptoglobin, LDH", [("LDH", "TEST"), ("Haptoglobin", "TEST")],
     "hypothetical"),
    ("Assessment/Plan:\n3. Labs: reticulocyte count", [("reticulocyte count", "TEST")],
     "hypothetical"),
    # ... but not with a result, an ongoing state, or outside a plan section.
    ("Assessment/Plan:\n- Haptoglobin low, LDH 540", [("Haptoglobin", "TEST"), ("LDH", "TEST")],
     "present"),
    ("Assessment/Plan:\n- LDH sent", [("LDH", "TEST")], "present"),
    ("HPI:\n- Haptoglobin, LDH", [("LDH", "TEST"), ("Haptoglobin", "TEST")], "present"),
])
# fmt: on
def test_when_a_plan_line_names_tests_then_they_are_ordered(assert_first, text, targets,
                                                            expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, target, expected", [
    # A "?" written onto a problem hedges it, before or after; the abbreviation "c/f" too.
    ("Assessment: fever. ?cholangitis -- LFTs pending", "cholangitis", "possible"),
    ("Fell down stairs. Rib fracture? Pneumothorax?", "Rib fracture", "possible"),
    ("Imaging c/f appendicitis.", "appendicitis", "possible"),
])
# fmt: on
def test_when_a_question_mark_or_cf_marks_a_problem_then_possible(assert_first, text,
                                                                  target, expected):
    assert assert_first(text, [(target, "PROBLEM")]) == expected


@pytest.mark.parametrize("text", ["Review: Dizziness? yes", "Review: Dizziness? Denies."])
def test_when_a_question_is_answered_then_it_is_no_hedge(assert_first, text):
    assert assert_first(text, [("Dizziness", "PROBLEM")]) != "possible"


# fmt: off
@pytest.mark.parametrize("text, target, etype, expected", [
    # A status cell right after the item's cell describes the item ...
    ("Problem | Status\nAsthma | active\nGout | remote, no flares since 2019", "Gout",
     "PROBLEM", "historical"),
    # ... not the row above it, nor an item whose status cell is not the next one.
    ("Problem | Status\nAsthma | active\nGout | remote", "Asthma", "PROBLEM", "present"),
    ("Drug | Home | Note\nlisinopril | 10 mg | previously 20 mg", "lisinopril", "MEDICATION",
     "present"),
])
# fmt: on
def test_when_a_table_row_has_a_status_cell_then_it_describes_the_item(assert_first, text,
                                                                       target, etype, expected):
    assert assert_first(text, [(target, etype)]) == expected
