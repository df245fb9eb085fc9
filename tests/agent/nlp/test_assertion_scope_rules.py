"""Assertion scope rules for multi-note records: problem-list sections, checkbox templates,
signed ROS lists, per-item negation in lists and completed courses (synthetic fragments)."""

from __future__ import annotations

import pytest


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # A problem list names the conditions being managed now (guideline: chronic conditions
    # outside a past-history section are present)...
    ("Problem list:\n- Gout, quiet on allopurinol\n- Hypothyroidism",
     [("Gout", "PROBLEM"), ("Hypothyroidism", "PROBLEM"), ("allopurinol", "MEDICATION")],
     "present"),
    ("ACTIVE PROBLEMS\nChronic kidney disease stage 3b\nAnemia of CKD",
     [("Chronic kidney disease stage 3b", "PROBLEM"), ("Anemia of CKD", "PROBLEM")], "present"),
    # ...while a past-history header keeps making them historical (look-alike).
    ("Past medical history:\n- Gout\n- Hypothyroidism",
     [("Gout", "PROBLEM"), ("Hypothyroidism", "PROBLEM")], "historical"),
])
# fmt: on
def test_when_a_problem_list_heads_the_lines_then_they_are_current(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # An empty checkbox after an item: asked and not ticked.
    ("Symptoms (tick if yes): Headache [ ] Sore throat [X]",
     [("Headache", "PROBLEM"), ("Sore throat", "PROBLEM")], "absent"),
    ("Symptoms (tick if yes): Headache [ ] Sore throat [X]",
     [("Sore throat", "PROBLEM"), ("Headache", "PROBLEM")], "present"),
    ("Palpitations []  Syncope [x]", [("Palpitations", "PROBLEM"), ("Syncope", "PROBLEM")],
     "absent"),
    # A box before the item is a to-do mark, not an answer (look-alike).
    ("[ ] Lipid panel drawn today", [("Lipid panel", "TEST")], "present"),
    # A signed list: "-" marks the negatives up to the next marker.
    ("Systems: + dizziness, nausea; - syncope, palpitations, melena",
     [("palpitations", "PROBLEM"), ("dizziness", "PROBLEM"), ("nausea", "PROBLEM"),
      ("syncope", "PROBLEM"), ("melena", "PROBLEM")], "absent"),
    ("Systems: + dizziness, nausea; - syncope, palpitations, melena",
     [("nausea", "PROBLEM"), ("dizziness", "PROBLEM"), ("syncope", "PROBLEM"),
      ("palpitations", "PROBLEM"), ("melena", "PROBLEM")], "present"),
    ("Sx: - chills, + productive cough", [("productive cough", "PROBLEM"), ("chills", "PROBLEM")],
     "present"),
    # Dashes alone are list bullets, not signs (look-alike).
    ("Problems:\n- migraine, stable\n- anemia", [("anemia", "PROBLEM"), ("migraine", "PROBLEM")],
     "present"),
    # A flowsheet answer "none" right after the finding denies it...
    ("Wound: erythema none, drainage scant", [("erythema", "PROBLEM")], "absent"),
    # ...but not a finding further back in the sentence (look-alike).
    ("Wound erythema spreading; allergies none", [("erythema", "PROBLEM")], "present"),
])
# fmt: on
def test_when_a_template_mark_answers_the_item_then_it_sets_the_assertion(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # Each item negated on its own: an item without its own "no" is a finding.
    ("No nausea, no vomiting, abdominal cramping since lunch.",
     [("abdominal cramping", "PROBLEM"), ("nausea", "PROBLEM"), ("vomiting", "PROBLEM")],
     "present"),
    # ...unless the list goes on with "or" (look-alike).
    ("No nausea, no vomiting, diarrhea or fever.",
     [("diarrhea", "PROBLEM"), ("nausea", "PROBLEM"), ("vomiting", "PROBLEM"),
      ("fever", "PROBLEM")], "absent"),
    # A graded or sided item is described, hence present.
    ("Chest: no wheeze, moderate crackles at both bases.",
     [("crackles", "PROBLEM"), ("wheeze", "PROBLEM")], "present"),
    ("Head CT: no hemorrhage, old right parietal infarct.",
     [("right parietal infarct", "PROBLEM"), ("hemorrhage", "PROBLEM")], "present"),
    # A plain "no A, B" list keeps B negated (look-alike).
    ("No fever, chills, myalgias.",
     [("myalgias", "PROBLEM"), ("fever", "PROBLEM"), ("chills", "PROBLEM")], "absent"),
    ("Extremities: no cyanosis, clubbing or edema.",
     [("edema", "PROBLEM"), ("cyanosis", "PROBLEM"), ("clubbing", "PROBLEM")], "absent"),
])
# fmt: on
def test_when_a_negated_list_item_is_marked_as_a_finding_then_the_negation_stops(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # "will monitor for" is the "monitor for" instruction, not the pseudo "will monitor".
    ("Night RN will monitor for bleeding at the access site.", [("bleeding", "PROBLEM")],
     "hypothetical"),
    ("WILL MONITOR FOR HYPOGLYCEMIA OVERNIGHT.", [("HYPOGLYCEMIA", "PROBLEM")], "hypothetical"),
    # What the patient was counselled or educated about may happen.
    ("Educated her about dizziness and dry mouth before starting.",
     [("dizziness", "PROBLEM"), ("dry mouth", "PROBLEM")], "hypothetical"),
    ("Counseled re: constipation on the opioid.", [("constipation", "PROBLEM")],
     "hypothetical"),
    # Counselling named without what it was about is no cue (look-alike).
    ("Counselled by pharmacy today; dizziness since Monday.", [("dizziness", "PROBLEM")],
     "present"),
])
# fmt: on
def test_when_an_instruction_names_what_to_watch_then_it_is_hypothetical(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # A clause opening with a completion verb: a course taken and over before the note.
    ("Finished amoxicillin last week; ear pain gone.", [("amoxicillin", "MEDICATION")],
     "historical"),
    ("Interval: completed a 10-day course of cefdinir on 3/2.", [("cefdinir", "MEDICATION")],
     "historical"),
    ("Finished doxycycline 6/1 and fluconazole 6/3.",
     [("fluconazole", "MEDICATION"), ("doxycycline", "MEDICATION")], "historical"),
    # The drug before the verb, or a course narrated inside the stay, is not (look-alikes).
    ("Cefdinir 300 mg BID, completed 3/2.", [("Cefdinir", "MEDICATION")], "present"),
    ("Hospital course: she completed 5 days of ceftriaxone and went home.",
     [("ceftriaxone", "MEDICATION")], "present"),
    ("Hospital Course:\nCompleted 5 days of ceftriaxone, then oral cefpodoxime.",
     [("ceftriaxone", "MEDICATION"), ("cefpodoxime", "MEDICATION")], "present"),
])
# fmt: on
def test_when_a_clause_opens_with_a_completed_course_then_the_drug_is_historical(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # An inline history line does not reach the patient's report on the next line.
    ("Past medical history: asthma, GERD.\nPatient reports wheezing since Sunday.",
     [("wheezing", "PROBLEM"), ("asthma", "PROBLEM"), ("GERD", "PROBLEM")], "present"),
    ("PAST HISTORY: GOUT.\nSHE STATES LEFT KNEE PAIN X 2 DAYS.",
     [("LEFT KNEE PAIN", "PROBLEM"), ("GOUT", "PROBLEM")], "present"),
    # A history list wrapped onto the next line is still history (look-alike).
    ("Past medical history: asthma,\nGERD, migraine.",
     [("GERD", "PROBLEM"), ("asthma", "PROBLEM"), ("migraine", "PROBLEM")], "historical"),
    # "Interval hx" is the story since the last visit, not a history cue...
    ("Interval hx: 54F with lupus nephritis on mycophenolate.",
     [("lupus nephritis", "PROBLEM"), ("mycophenolate", "MEDICATION")], "present"),
    # ...while "hx of" still is (look-alike).
    ("Seen for rash; hx of lupus nephritis.", [("lupus nephritis", "PROBLEM"), ("rash", "PROBLEM")],
     "historical"),
])
# fmt: on
def test_when_history_wording_ends_or_is_a_label_then_the_story_is_current(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # A later time point after a test without a result: the test is still to come.
    ("Repeat ferritin at 3 months.", [("ferritin", "TEST")], "hypothetical"),
    ("TSH and free T4 at 6-8 wks.", [("free T4", "TEST"), ("TSH", "TEST")], "hypothetical"),
    ("Echocardiogram before discharge.", [("Echocardiogram", "TEST")], "hypothetical"),
    ("- CMP, Mg POD2.", [("CMP", "TEST"), ("Mg", "TEST")], "hypothetical"),
    # Look-alikes: hours date a result; a value or a device is no plan.
    ("Urine culture no growth at 48 h.", [("Urine culture", "TEST")], "present"),
    ("Hgb 8.1 POD2, stable.", [("Hgb", "TEST")], "present"),
    ("JP drain removed POD 3.", [("JP drain", "PROCEDURE")], "absent"),
])
# fmt: on
def test_when_a_later_time_point_follows_a_test_then_it_is_still_to_come(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # A family-history section ends at a note-part label, as a past history does.
    ("Family history: mother with glaucoma.\nPlan: check pressures; call for eye pain.",
     [("eye pain", "PROBLEM"), ("glaucoma", "PROBLEM")], "hypothetical"),
    ("Family history: mother with glaucoma,\nbrother with cataracts.",
     [("cataracts", "PROBLEM"), ("glaucoma", "PROBLEM")], "family"),
    # Years back or early life is past history; days back date the present illness.
    ("Right knee arthroscopy 10 years ago.", [("knee arthroscopy", "PROCEDURE")], "historical"),
    ("Croup as a toddler; now wheezing with colds.",
     [("Croup", "PROBLEM"), ("wheezing", "PROBLEM")], "historical"),
    ("Sore throat 2 days ago, now cough.", [("Sore throat", "PROBLEM"), ("cough", "PROBLEM")],
     "present"),
    ("Varices in Child B cirrhosis.", [("cirrhosis", "PROBLEM"), ("Varices", "PROBLEM")],
     "present"),
])
# fmt: on
def test_when_a_time_or_section_marks_the_past_or_ends_then_assertion(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # "not started / never needed" opening its clause denies the drug after it...
    ("Never needed nitroglycerin at home.", [("nitroglycerin", "MEDICATION")], "absent"),
    ("Overnight: pt has not required insulin or dextrose.",
     [("dextrose", "MEDICATION"), ("insulin", "MEDICATION")], "absent"),
    # ...as it denies the drug before it when it follows ("heparin not started")...
    ("Heparin not started given the bleed.", [("Heparin", "MEDICATION")], "absent"),
    # ...but not past a comma or into the next clause (look-alikes).
    ("Echo not done, metoprolol started.", [("metoprolol", "MEDICATION"), ("Echo", "TEST")],
     "present"),
    ("Has not needed oxygen; nausea persists.", [("nausea", "PROBLEM"), ("oxygen", "MEDICATION")],
     "present"),
])
# fmt: on
def test_when_a_not_done_phrase_opens_its_clause_then_it_denies_what_follows(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # The option passed over is not given...
    ("Started bisoprolol instead of atenolol.",
     [("atenolol", "MEDICATION"), ("bisoprolol", "MEDICATION")], "absent"),
    ("Oral iron today instead of an infusion.",
     [("infusion", "PROCEDURE"), ("Oral iron", "MEDICATION")], "absent"),
    # ...while the one chosen is (look-alike).
    ("Started bisoprolol instead of atenolol.",
     [("bisoprolol", "MEDICATION"), ("atenolol", "MEDICATION")], "present"),
])
# fmt: on
def test_when_an_option_is_taken_instead_of_another_then_the_other_is_not_given(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected


# fmt: off
@pytest.mark.parametrize("text, targets, expected", [
    # A negation of the drug does not deny the allergy given as its reason...
    ("Not giving cefazolin today (penicillin allergy).",
     [("penicillin", "ALLERGY"), ("cefazolin", "MEDICATION")], "present"),
    ("No codeine (morphine allergy).", [("morphine", "ALLERGY"), ("codeine", "MEDICATION")],
     "present"),
    # ...but a denial of the allergen itself still holds (look-alike).
    ("No latex allergy.", [("latex", "ALLERGY")], "absent"),
])
# fmt: on
def test_when_a_drug_is_negated_then_the_allergy_named_as_its_reason_stands(
        assert_first, text, targets, expected):
    assert assert_first(text, targets) == expected
