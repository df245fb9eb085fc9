"""Assertion status from ConText cues and sections, on synthetic note fragments."""

from __future__ import annotations

import pytest

from agent.nlp.assertion import assertion_of, assertions_of, context_flags


def _annotate(pipeline, text: str, targets: list[tuple[str, str]]):
    """Annotate ``text`` with one entity per (surface, type); the n-th repeat of a surface
    in ``targets`` takes its n-th occurrence in the text."""
    doc = pipeline.prepare(text)
    spans, seen = [], {}
    for surface, etype in targets:
        start = -1
        for _ in range(seen.get(surface, 0) + 1):
            start = text.index(surface, start + 1)
        seen[surface] = seen.get(surface, 0) + 1
        spans.append(doc.char_span(start, start + len(surface), label=etype,
                                   alignment_mode="expand"))
    doc.ents = spans
    return pipeline.annotate(doc)


def _assertion(pipeline, text: str, target: str, etype: str) -> str:
    doc = _annotate(pipeline, text, [(target, etype)])
    return assertion_of(doc.ents[0], etype)


# fmt: off
@pytest.mark.parametrize("text, target, etype, expected", [
    # present
    ("Pt c/o chest pain for 2 days.", "chest pain", "PROBLEM", "present"),
    ("65M with h/o HTN presents with chest pain.", "chest pain", "PROBLEM", "present"),
    ("Reports a 3-day history of cough.", "cough", "PROBLEM", "present"),
    ("History of Present Illness: 45F with abdominal pain.",
     "abdominal pain", "PROBLEM", "present"),
    ("No interval change in the pleural effusion.", "pleural effusion", "PROBLEM", "present"),
    ("Gram negative rods; bacteremia on admission.", "bacteremia", "PROBLEM", "present"),
    ("Wife reports he had a fever last night.", "fever", "PROBLEM", "present"),
    ("Denies fever, reports cough.", "cough", "PROBLEM", "present"),
    ("No fever; cough present.", "cough", "PROBLEM", "present"),
    ("Taking aspirin 81 mg daily.", "aspirin", "MEDICATION", "present"),
    ("Albuterol as needed, lisinopril 10 mg daily.", "lisinopril", "MEDICATION", "present"),
    ("Fever resolved, cough persists.", "cough", "PROBLEM", "present"),
    ("Son at bedside, patient has pneumonia.", "pneumonia", "PROBLEM", "present"),
    ("chest pain (+), dyspnea (-)", "chest pain", "PROBLEM", "present"),
    ("72-year-old male with CHF.", "CHF", "PROBLEM", "present"),
    ("Prior to admission she had chest pain.", "chest pain", "PROBLEM", "present"),
    ("Heparin for DVT prophylaxis.", "Heparin", "MEDICATION", "present"),
    ("Allergies: penicillin (rash).", "penicillin", "ALLERGY", "present"),
    # absent
    ("Denies: fever, chills, chest pain.", "fever", "PROBLEM", "absent"),
    ("Denies: fever, chills, chest pain.", "chest pain", "PROBLEM", "absent"),
    ("ROS: negative for headache.", "headache", "PROBLEM", "absent"),
    ("ROS:\nNeg: nausea, vomiting\nPos: cough", "vomiting", "PROBLEM", "absent"),
    ("HPI: No fever at home.", "fever", "PROBLEM", "absent"),
    ("No h/o MI.", "MI", "PROBLEM", "absent"),
    ("Lungs clear w/o wheezes.", "wheezes", "PROBLEM", "absent"),
    ("Doppler negative   for\nDVT.", "DVT", "PROBLEM", "absent"),
    ("PE was ruled out.", "PE", "PROBLEM", "absent"),
    ("Murphy sign (-).", "Murphy sign", "PROBLEM", "absent"),
    ("The rash has resolved.", "rash", "PROBLEM", "absent"),
    ("Fever: no  Cough: yes", "Fever", "PROBLEM", "absent"),
    ("Allergies - none.", "Allergies", "ALLERGY", "absent"),
    ("No reported allergies.", "allergies", "ALLERGY", "absent"),
    ("chest pain (+), dyspnea (-)", "dyspnea", "PROBLEM", "absent"),
    # A status after a comma on a list item: the guideline keeps a problem resolved during
    # the stay present ("Hypokalemia, resolved"); "The rash has resolved." stays absent.
    ("Pneumonia, resolved.", "Pneumonia", "PROBLEM", "present"),
    ("Not on aspirin.", "aspirin", "MEDICATION", "absent"),
    ("Off warfarin since the bleed.", "warfarin", "MEDICATION", "absent"),
    ("Echo not done.", "Echo", "TEST", "absent"),
    ("Extremities without edema.", "edema", "PROBLEM", "absent"),
    ("Warfarin was discontinued.", "Warfarin", "MEDICATION", "absent"),
    ("Stopped lisinopril due to cough.", "lisinopril", "MEDICATION", "absent"),
    ("No family history of colon cancer.", "colon cancer", "PROBLEM", "absent"),
    ("No FHx of VTE.", "VTE", "PROBLEM", "absent"),
    # possible
    ("Pneumonia - r/o sepsis", "sepsis", "PROBLEM", "possible"),
    ("Admitted to rule out MI.", "MI", "PROBLEM", "possible"),
    ("Cannot exclude PE.", "PE", "PROBLEM", "possible"),
    ("PE cannot be excluded.", "PE", "PROBLEM", "possible"),
    ("PE not ruled out.", "PE", "PROBLEM", "possible"),
    ("Opacity concerning for pneumonia.", "pneumonia", "PROBLEM", "possible"),
    ("Pneumonia vs atelectasis.", "Pneumonia", "PROBLEM", "possible"),
    ("Pneumonia vs atelectasis.", "atelectasis", "PROBLEM", "possible"),
    ("PE has not been excluded.", "PE", "PROBLEM", "possible"),
    ("h/o possible seizure.", "seizure", "PROBLEM", "possible"),
    ("CT to evaluate for appendicitis.", "appendicitis", "PROBLEM", "possible"),
    ("Probable UTI.", "UTI", "PROBLEM", "possible"),
    ("PMH: questionable asthma", "asthma", "PROBLEM", "possible"),
    # historical
    ("PMH: HTN, DM2", "HTN", "PROBLEM", "historical"),
    ("PMH: HTN, DM2", "DM2", "PROBLEM", "historical"),
    ("Past Medical History:\nAsthma\nCOPD", "COPD", "PROBLEM", "historical"),
    ("Past Surgical History: cholecystectomy", "cholecystectomy", "PROCEDURE", "historical"),
    ("s/p appendectomy in 2010.", "appendectomy", "PROCEDURE", "historical"),
    ("Prior MI in 2015.", "MI", "PROBLEM", "historical"),
    ("He quit smoking in 1990.", "smoking", "PROBLEM", "historical"),
    ("Previously on metformin.", "metformin", "MEDICATION", "historical"),
    ("Previously on warfarin, discontinued in 2019.", "warfarin", "MEDICATION", "historical"),
    # hypothetical
    ("Return to the ED if chest pain recurs.", "chest pain", "PROBLEM", "hypothetical"),
    ("Discharge Instructions:\nReturn if fever or worsening pain.",
     "fever", "PROBLEM", "hypothetical"),
    ("Call your doctor for fever over 101.", "fever", "PROBLEM", "hypothetical"),
    ("Monitor for bleeding.", "bleeding", "PROBLEM", "hypothetical"),
    ("Should she develop shortness of breath, call 911.",
     "shortness of breath", "PROBLEM", "hypothetical"),
    ("Consider starting metoprolol.", "metoprolol", "MEDICATION", "hypothetical"),
    ("If pain persists, give morphine.", "morphine", "MEDICATION", "hypothetical"),
    ("Call if no urine output.", "urine output", "PROBLEM", "hypothetical"),
    # family
    ("Family History:\nMother with breast cancer.", "breast cancer", "PROBLEM", "family"),
    ("FHx: colon cancer in father.", "colon cancer", "PROBLEM", "family"),
    ("Father had an MI at 50.", "MI", "PROBLEM", "family"),
    ("Family history of colon cancer.", "colon cancer", "PROBLEM", "family"),
    ("Mother, who had breast cancer at 50, is well.", "breast cancer", "PROBLEM", "family"),
    ("Maternal aunt with ovarian cancer.", "ovarian cancer", "PROBLEM", "family"),
])
# fmt: on
def test_when_cue_or_section_then_assertion(clinical_pipeline, text, target, etype, expected):
    assert _assertion(clinical_pipeline, text, target, etype) == expected


# fmt: off
@pytest.mark.parametrize("text, target, expected", [
    ("1. No chest pain.\n2. Pneumonia",                          "Pneumonia",  "present"),
    ("1. No chest pain\n2. Pneumonia",                           "Pneumonia",  "present"),
    ("- no fever\n- cough",                                      "cough",      "present"),
    ("Denies fever.\nAssessment: pneumonia",                     "pneumonia",  "present"),
    ("Family History:\nMother with breast cancer.\n\nAssessment:\nAnemia", "Anemia", "present"),
    ("PMH: HTN\nHPI: chest pain since noon",                     "chest pain", "present"),
    ("Neg: fever\nPos: cough",                                   "cough",      "present"),
    ("h/o MI.\nNow with dyspnea.",                               "dyspnea",    "present"),
])
# fmt: on
def test_when_cue_in_previous_list_item_then_scope_does_not_leak(
    clinical_pipeline, text, target, expected
):
    assert _assertion(clinical_pipeline, text, target, "PROBLEM") == expected


# fmt: off
@pytest.mark.parametrize("text, target, expected", [
    ("| lasix | 40 mg | NOT TAKING (cost) |\n| coreg | 6.25 mg | |", "coreg", "present"),
    ("| lasix | 40 mg | NOT TAKING (cost) |\n| coreg | 6.25 mg | |", "lasix", "absent"),
    ("| apixaban | 5 mg BID |\n| warfarin | stopped 2019 |",         "apixaban", "present"),
    ("Home meds reviewed. Not taking her sertraline for a month.",      "sertraline", "absent"),
    ("Vancomycin was not given, cefepime started.",                      "Vancomycin", "absent"),
])
# fmt: on
def test_when_a_table_row_holds_a_cue_then_it_stays_in_that_row(
    clinical_pipeline, text, target, expected
):
    assert _assertion(clinical_pipeline, text, target, "MEDICATION") == expected


# fmt: off
@pytest.mark.parametrize("text, target, etype, expected", [
    ("Abscess ruled out on CT; likely atelectasis.",     "CT",      "TEST",    "present"),
    ("Abscess ruled out on CT; likely atelectasis.",     "Abscess", "PROBLEM", "absent"),
    ("- UTI -- ruled out (urine culture: no growth)",    "urine culture", "TEST", "present"),
    ("Ruled out: ischemic stroke (MRI), meningitis",     "MRI",     "TEST",    "present"),
    # a test named as the evidence of a denial was done; a test itself denied was not
    ("No hydronephrosis on bedside US.",                 "US",      "TEST",    "present"),
    ("No hydronephrosis on bedside US.",                 "hydronephrosis", "PROBLEM", "absent"),
    ("Syncope not suggested by exam or ECG.",            "ECG",     "TEST",    "present"),
    ("No DRESS features (LFTs nl, eos 6%).",             "LFTs",    "TEST",    "present"),
    ("Hyperkalemia without ECG changes.",                "ECG",     "TEST",    "present"),
    ("No CT done.",                                      "CT",      "TEST",    "absent"),
    ("No ECG.",                                          "ECG",     "TEST",    "absent"),
    ("CT not performed.",                                "CT",      "TEST",    "absent"),
])
# fmt: on
def test_when_a_problem_is_resolved_or_excluded_then_the_test_showing_it_is_not(
    clinical_pipeline, text, target, etype, expected
):
    assert _assertion(clinical_pipeline, text, target, etype) == expected


def test_when_cue_is_inside_the_target_then_it_is_ignored(clinical_pipeline):
    doc = _annotate(clinical_pipeline, "The lungs show no opacities.",
                    [("lungs show no opacities", "PROBLEM")])
    assert context_flags(doc.ents[0]).is_negated is False


def test_when_doc_has_several_entities_then_assertions_follow_ents_order(clinical_pipeline):
    text = "Denies chest pain. h/o MI. Mother with DM. Consider aspirin."
    doc = _annotate(clinical_pipeline, text, [
        ("chest pain", "PROBLEM"), ("MI", "PROBLEM"), ("DM", "PROBLEM"),
        ("aspirin", "MEDICATION"),
    ])
    assert assertions_of(doc) == ["absent", "historical", "family", "hypothetical"]


# fmt: off
@pytest.mark.parametrize("text, target, etype, expected", [
    # held, stopped, avoided drugs are not being taken (guideline: absent)
    ("- HOLD lisinopril while diuresing",                  "lisinopril",   "MEDICATION", "absent"),
    ("Holding warfarin, aspirin, naproxen",                "naproxen",     "MEDICATION", "absent"),
    ("Metformin on hold (AKI).",                           "Metformin",    "MEDICATION", "absent"),
    ("- Warfarin 3 mg -- HOLD until 4/11",                 "Warfarin",     "MEDICATION", "absent"),
    ("Lisinopril held for AKI.",                           "Lisinopril",   "MEDICATION", "absent"),
    ("Aspirin stopped permanently.",                       "Aspirin",      "MEDICATION", "absent"),
    ("Abx: vancomycin d/c'd, cefepime d/c'd 2/23.",       "cefepime",     "MEDICATION", "absent"),
    ("Ozempic d/c'd (shortage), start Mounjaro.",          "Ozempic",      "MEDICATION", "absent"),
    ("# HTN - lisinopril still held (NPO).",               "lisinopril",   "MEDICATION", "absent"),
    ("Stop naproxen; acetaminophen PRN pain.",             "naproxen",     "MEDICATION", "absent"),
    ("Stop naproxen; acetaminophen PRN pain.",
     "acetaminophen", "MEDICATION", "present"),
    ("Avoid NSAIDs given AKI.",                            "NSAIDs",       "MEDICATION", "absent"),
    ("NSAIDs contraindicated (AKI, on apixaban).",         "NSAIDs",       "MEDICATION", "absent"),
    ("NSAIDs contraindicated (AKI, on apixaban).",         "apixaban",     "MEDICATION", "present"),
    ("- Aspirin 81 mg -- do not restart",                  "Aspirin",      "MEDICATION", "absent"),
    ("He ran out of his furosemide 4 days ago.",           "furosemide",   "MEDICATION", "absent"),
    ("Missed his diuretic for a week.",                    "diuretic",     "MEDICATION", "absent"),
    ("Switched ceftriaxone IV to cefpodoxime.",            "ceftriaxone",  "MEDICATION", "absent"),
    ("Switched ceftriaxone IV to cefpodoxime.",            "cefpodoxime",  "MEDICATION", "present"),
    ("Changed from IV methylprednisolone to prednisone.",
     "methylprednisolone", "MEDICATION", "absent"),
    ("Changed from IV methylprednisolone to prednisone.",  "prednisone",   "MEDICATION", "present"),
    ("Continue metoprolol with hold parameters.",          "metoprolol",   "MEDICATION", "present"),
    ("Metoprolol 25 mg BID, hold for SBP < 100.",          "Metoprolol",   "MEDICATION", "present"),
    # plans, conditions, prevention and risk (guideline: hypothetical)
    ("Recheck BMP in AM.",
     "BMP", "TEST", "hypothetical"),
    ("TTE in AM to reassess LV function.",
     "TTE", "TEST", "hypothetical"),
    ("CT chest in 8-12 weeks to confirm resolution.",
     "CT chest", "TEST", "hypothetical"),
    ("Check TSH.",
     "TSH", "TEST", "hypothetical"),
    ("BMP q2h while on the insulin drip.",
     "BMP", "TEST", "hypothetical"),
    ("Repeat troponin 41 ng/L at 3 h.",                    "troponin",     "TEST",       "present"),
    ("Will obtain CT head.",
     "CT head", "TEST", "hypothetical"),
    ("Outpatient coronary angiography.",
     "coronary angiography", "PROCEDURE", "hypothetical"),
    ("ICD discussion at 90 days.",
     "ICD", "PROCEDURE", "hypothetical"),
    ("May resume warfarin in 7 days.",
     "warfarin", "MEDICATION", "hypothetical"),
    ("Resumed lisinopril at 10 mg.",                       "lisinopril",   "MEDICATION", "present"),
    ("Transition to furosemide PO when euvolemic.",
     "furosemide", "MEDICATION", "hypothetical"),
    ("Transitioned to cefpodoxime on 1/10.",               "cefpodoxime",  "MEDICATION", "present"),
    ("If Cr > 2.2 will hold furosemide.",
     "furosemide", "MEDICATION", "hypothetical"),
    ("Resume warfarin on 4/11 if no rebleeding.",
     "rebleeding", "PROBLEM", "hypothetical"),
    ("DVT ppx: heparin SQ.",
     "DVT", "PROBLEM", "hypothetical"),
    ("DVT ppx: heparin SQ.",                               "heparin",      "MEDICATION", "present"),
    ("Enoxaparin for DVT prophylaxis.",
     "DVT", "PROBLEM", "hypothetical"),
    ("High stroke risk.",
     "stroke", "PROBLEM", "hypothetical"),
    ("Consent: risks incl. perforation, bleeding.",
     "bleeding", "PROBLEM", "hypothetical"),
    ("Risk factors: HTN, DM2.",                            "HTN",          "PROBLEM",    "present"),
    ("Continue levodopa on time to avoid rigidity.",
     "rigidity", "PROBLEM", "hypothetical"),
    ("Consolidation in the right lower lobe.",             "Consolidation", "PROBLEM",   "present"),
    ("Go to the ED for vomiting.",
     "vomiting", "PROBLEM", "hypothetical"),
    ("Notify MD for chest pain.",
     "chest pain", "PROBLEM", "hypothetical"),
    ("Return to ED if black stools while on apixaban.",    "apixaban",     "MEDICATION", "present"),
    ("Follow-up:\n- CBC on 4/10",
     "CBC", "TEST", "hypothetical"),
    ("Discharge Instructions:\nBMP in one week.",
     "BMP", "TEST", "hypothetical"),
    # hedges are about conditions (guideline: possible)
    ("PE felt unlikely given clear precipitant.",
     "PE", "PROBLEM", "possible"),
    ("Pancreatitis less likely with normal lipase.",
     "Pancreatitis", "PROBLEM", "possible"),
    ("Pancreatitis less likely with normal lipase.",       "lipase",       "TEST",       "present"),
    ("DKA from pump occlusion +/- gastroenteritis.",
     "gastroenteritis", "PROBLEM", "possible"),
    ("Check TTG IgA (screen for celiac disease).",
     "celiac disease", "PROBLEM", "possible"),
    ("A cardiomyopathy component is possible.",
     "cardiomyopathy", "PROBLEM", "possible"),
    ("r/o PE - CTA in AM once off BiPAP.",                 "BiPAP",        "PROCEDURE",  "present"),
    ("Likely peptic ulcer (NSAID use).",                   "NSAID",        "MEDICATION", "present"),
    ("Likely ulcer, with acute blood loss anemia and hypotension.",
                                                           "hypotension",  "PROBLEM",    "present"),
    # sections and result words
    ("COMPARISON: CT chest 10/02/2024.",
     "CT chest", "TEST", "historical"),
    ("Allergies: sulfa (rash)",
     "rash", "PROBLEM", "historical"),
    ("Allergies: sulfa (rash)",                            "sulfa",        "ALLERGY",    "present"),
    ("PMH: Crohn's disease on adalimumab",                 "adalimumab",   "MEDICATION", "present"),
    ("PMH: Crohn's disease on adalimumab",
     "Crohn's disease", "PROBLEM", "historical"),
    ("Exam: HR 92, afebrile.",                             "afebrile",     "PROBLEM",    "absent"),
    ("CTA chest was negative for PE.",                     "PE",           "PROBLEM",    "absent"),
    ("CTA chest was negative for PE.",                     "CTA chest",    "TEST",       "present"),
    ("UA: negative.",                                      "UA",           "TEST",       "present"),
])
# fmt: on
def test_when_general_clinical_cue_then_guideline_assertion(
    clinical_pipeline, text, target, etype, expected
):
    assert _assertion(clinical_pipeline, text, target, etype) == expected


# fmt: off
@pytest.mark.parametrize("text, target, etype, expected", [
    # a cue inside parentheses stays inside them
    ("Allergies: amoxicillin (hives as a child), adhesive (dermatitis)",
     "dermatitis", "PROBLEM", "historical"),
    ("- Aspirin 81 mg (not on it since March)",            "Aspirin",      "MEDICATION", "present"),
    # a cue outside parentheses reaches into them
    ("Denies constitutional symptoms (fever, chills).",    "chills",       "PROBLEM",    "absent"),
    # a colon after the cue's own target starts a new statement...
    ("Low suspicion for ACS: troponin flat.",              "troponin",     "TEST",       "present"),
    ("Low suspicion for ACS: troponin flat.",
     "ACS", "PROBLEM", "possible"),
    ("Discussed with son and cardiology (Dr. Ames): resume warfarin.",
     "warfarin", "MEDICATION", "hypothetical"),
    # ...but a cue that labels the list keeps it
    ("Denies: fever, chills.",                             "chills",       "PROBLEM",    "absent"),
    ("Negative for the following: fever, rash.",           "rash",         "PROBLEM",    "absent"),
    # terminators
    ("CTA negative for PE -> heparin continued.",          "heparin",      "MEDICATION", "present"),
    ("Ulcer bleed s/p endoscopic therapy -- Hgb stable.",  "Hgb",          "TEST",       "present"),
    ("CTA was negative for PE and showed consolidation.",  "consolidation", "PROBLEM",   "present"),
    ("Given the symptoms and the diarrhea, I did a rectal exam which was heme-negative.",
                                                           "diarrhea",     "PROBLEM",    "present"),
    # a cue dropped for its parentheses does not hide the cue before it
    ("ROS -ve for bleeding (occult nor overt), anemia or weight loss.",
                                                           "anemia",       "PROBLEM",    "absent"),
    # a relative's clause is short
    ("Went to a family party last week with salty food and now has shortness of breath.",
     "shortness of breath", "PROBLEM", "present"),
    # sentence boundaries after unit abbreviations end a cue's scope
    ("Required BiPAP for ~14 h. CTA chest was negative.",  "BiPAP",        "PROCEDURE",  "present"),
])
# fmt: on
def test_when_cue_scope_is_bounded_then_assertion(
    clinical_pipeline, text, target, etype, expected
):
    assert _assertion(clinical_pipeline, text, target, etype) == expected


# fmt: off
@pytest.mark.parametrize("text, target, expected", [
    # A verb cue written as the list's status label names what the list says of the drug.
    ("D/C meds:\nRESUME: metformin 1000 mg PO BID",        "metformin",  "present"),
    ("Discharge meds:\n- CHANGED: amlodipine 5 mg daily",  "amlodipine", "present"),
    ("Meds:\nSTOP: naproxen",                              "naproxen",   "absent"),
    # The same verbs in a sentence keep their meaning.
    ("Plan: resume metformin when eating.",                "metformin",  "hypothetical"),
    ("Switched amlodipine to nifedipine.",                 "amlodipine", "absent"),
])
# fmt: on
def test_when_a_verb_cue_is_a_list_label_then_it_names_the_entry_status(
        clinical_pipeline, text, target, expected):
    assert _assertion(clinical_pipeline, text, target, "MEDICATION") == expected


# fmt: off
@pytest.mark.parametrize("text, target, etype, expected", [
    # a label opening its line heads what did not happen, across its semicolons
    ("Procedures:\nNot done: bowel resection (viable); TPN and PICC.", "PICC",
     "PROCEDURE", "absent"),
    # ... but "X NOT given: reason" is the backward cue, not a label
    ("Plan:\n- IV thrombolysis (tenecteplase) NOT given: outside window.", "tenecteplase",
     "MEDICATION", "absent"),
    ("HFNC weaned to 12 L. BiPAP never needed.", "BiPAP", "PROCEDURE", "absent"),
    # a procedure's parenthesis is said of it; a drug's tells its history
    ("TPN and PICC (discussed POD2, not needed).", "PICC", "PROCEDURE", "absent"),
    ("RESUMED: amlodipine 5 mg daily (held 7/7-7/9)", "amlodipine", "MEDICATION", "present"),
    # a new clause with its own subject ends a negation's reach
    ("It is not treated with antibiotics, and the wound will be checked.", "wound",
     "PROBLEM", "present"),
    # an eponym is no relative; "sib" is one
    ("Alcohol-related Child-Pugh B cirrhosis.", "cirrhosis", "PROBLEM", "present"),
    ("Chronic risk moderate (male sib w/ schizophrenia).", "schizophrenia", "PROBLEM",
     "family"),
    # a condition's colon leads to its consequence
    ("Plan:\n- If worsening on maximal therapy: BiPAP and PICU transfer.", "BiPAP",
     "PROCEDURE", "hypothetical"),
])
# fmt: on
def test_when_scope_is_shaped_by_labels_clauses_and_parentheses_then_assertion(
        clinical_pipeline, text, target, etype, expected):
    assert _assertion(clinical_pipeline, text, target, etype) == expected


# fmt: off
@pytest.mark.parametrize("text, target, expected", [
    ("Atrial fibrillation is his daughter's diagnosis.", "Atrial fibrillation", "family"),
    ("His mother's breast cancer was treated.",          "breast cancer",       "family"),
])
# fmt: on
def test_when_a_relative_possessive_stands_next_to_a_problem_then_it_is_theirs(
        clinical_pipeline, text, target, expected):
    assert _assertion(clinical_pipeline, text, target, "PROBLEM") == expected


@pytest.mark.parametrize("text, target, etype, expected", [
    ("CT chest if new hypoxia.", "CT chest", "TEST", "hypothetical"),
    ("CT chest if new hypoxia.", "hypoxia", "PROBLEM", "hypothetical"),
    ("NG tube for feeds if RR > 70.", "NG tube", "PROCEDURE", "hypothetical"),
    ("Echo was done and if EF is low we will start.", "Echo", "TEST", "present"),
    ("Metoprolol 25 mg BID, hold if HR < 60.", "Metoprolol", "MEDICATION", "present"),
])
def test_when_a_condition_follows_a_test_or_procedure_then_it_is_conditional(
        clinical_pipeline, text, target, etype, expected):
    # The forward "if" keeps its own targets: a test or procedure right before the
    # condition is conditional too; drugs and a new clause are not.
    assert _assertion(clinical_pipeline, text, target, etype) == expected


@pytest.mark.parametrize("target", ["chills", "diarrhea", "cough"])
def test_when_an_instruction_heads_a_label_then_semicolons_do_not_end_it(
        clinical_pipeline, target):
    text = "Return precautions: fever or chills; diarrhea > 6x/day; shortness of breath or cough."
    assert _assertion(clinical_pipeline, text, target, "PROBLEM") == "hypothetical"


@pytest.mark.parametrize(("text", "target", "etype", "expected"), [
    # Advised or decided against: named, not to be given or done (the guideline's "avoided").
    ("Neurology advised against valproate in pregnancy.", "valproate", "MEDICATION", "absent"),
    ("Family decided against dialysis after the meeting.", "dialysis", "PROCEDURE", "absent"),
    ("Ketorolac: advised against (CKD).", "Ketorolac", "MEDICATION", "absent"),
    # Not across a clause to a drug before the cue, nor onto a condition.
    ("Sertraline continued; advised against tramadol.", "Sertraline", "MEDICATION", "present"),
    ("Advised against driving because of seizures.", "seizures", "PROBLEM", "present"),
])
def test_when_advised_or_decided_against_then_not_given(clinical_pipeline, text, target, etype,
                                                         expected):
    assert _assertion(clinical_pipeline, text, target, etype) == expected
