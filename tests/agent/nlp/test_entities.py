"""The deterministic extractor end to end, on synthetic note snippets."""

from __future__ import annotations

import pytest

NOTE = """HPI: 67M with h/o CHF and HTN presents with SOB. Denies chest pain or fever.
Medications:
- Metoprolol tartrate 25 mg PO BID
- acetaminophen 650 mg PO q6h PRN pain
- ceftriaxone 1 g IV daily x 7 days
Allergies: PCN (rash), shellfish
Family History: mother with breast cancer.
Labs: Cr 1.8, troponin 0.45
A/P:
1. Possible pneumonia - CXR ordered.
2. s/p appendectomy.
Return if chest pain recurs.
"""


@pytest.fixture(scope="module")
def entities(extractor):
    return extractor.extract(NOTE)


def _find(entities, text, etype=None):
    hits = [e for e in entities if e.text == text and (etype is None or e.type == etype)]
    assert hits, f"{text!r} ({etype}) not extracted; got {[(e.text, e.type) for e in entities]}"
    return hits


def test_when_extracting_then_offsets_index_the_original_text(entities):
    assert entities
    for e in entities:
        assert NOTE[e.start:e.end] == e.text
        for a in e.attributes.values():
            assert NOTE[a.start:a.end] == a.text


# fmt: off
@pytest.mark.parametrize("text, etype", [
    ("SOB", "PROBLEM"),
    ("Metoprolol tartrate", "MEDICATION"),
    ("troponin", "TEST"),
    ("appendectomy", "PROCEDURE"),
    ("PCN", "ALLERGY"),
    ("shellfish", "ALLERGY"),
])
# fmt: on
def test_each_entity_type_is_found(entities, text, etype):
    _find(entities, text, etype)


# fmt: off
@pytest.mark.parametrize("text, index, assertion", [
    ("SOB", 0, "present"),
    ("chest pain", 0, "absent"),
    ("fever", 0, "absent"),
    ("pneumonia", 0, "possible"),
    ("chest pain", 1, "hypothetical"),
    ("CHF", 0, "historical"),
    ("appendectomy", 0, "historical"),
    ("breast cancer", 0, "family"),
])
# fmt: on
def test_each_assertion_class_is_assigned(entities, text, index, assertion):
    assert _find(entities, text)[index].assertion == assertion


# fmt: off
@pytest.mark.parametrize("drug, attribute, value_text", [
    ("Metoprolol tartrate", "strength", "25 mg"),
    ("Metoprolol tartrate", "route", "PO"),
    ("Metoprolol tartrate", "frequency", "BID"),
    ("acetaminophen", "prn", "PRN"),
    ("acetaminophen", "indication", "pain"),
    ("acetaminophen", "frequency", "q6h"),
    ("ceftriaxone", "route", "IV"),
    ("ceftriaxone", "duration", "x 7 days"),
])
# fmt: on
def test_medication_attributes_are_linked_to_their_drug(entities, drug, attribute, value_text):
    med = _find(entities, drug, "MEDICATION")[0]
    assert attribute in med.attributes, med.attributes
    assert med.attributes[attribute].text == value_text


def test_sections_are_reported(entities):
    assert _find(entities, "Metoprolol tartrate")[0].section == "MEDICATIONS"
    assert _find(entities, "pneumonia")[0].section == "ASSESSMENT_PLAN"
    assert _find(entities, "breast cancer")[0].section == "FAMILY_HISTORY"


def test_codes_are_attached(entities):
    htn = _find(entities, "HTN")[0]
    assert htn.codes[0].system == "ICD-10-CM" and htn.codes[0].code == "I10"
    met = _find(entities, "Metoprolol tartrate")[0]
    assert met.normalized["canonical"] == "metoprolol"
    assert any(c.system == "DRUGBANK" for c in met.codes)


def test_test_results_are_attached(entities):
    assert _find(entities, "Cr", "TEST")[0].attributes["value"].text == "1.8"


def test_when_brand_name_then_ingredient_and_brand_flag(extractor):
    lasix = _find(extractor.extract("Lasix 40 mg IV BID"), "Lasix", "MEDICATION")[0]
    assert lasix.normalized["canonical"] == "furosemide"
    assert lasix.normalized["is_brand"] is True


def test_when_note_has_no_clinical_content_then_no_entities(extractor):
    assert extractor.extract("Spoke with the family by phone. Will call back tomorrow.") == []


@pytest.mark.heavy
def test_when_note_is_one_megabyte_then_it_is_processed_whole_with_exact_offsets(extractor):
    block = "Progress: pt denies chest pain. Started lisinopril 10 mg PO daily.\n\n"
    text = block * (1_000_000 // len(block) + 1)
    ents = extractor.extract(text)
    meds = [e for e in ents if e.type == "MEDICATION"]
    assert len(meds) == text.count("lisinopril")
    assert all(text[e.start:e.end] == e.text for e in ents)
    assert meds[-1].attributes["strength"].text == "10 mg"
    last_pain = [e for e in ents if e.text == "chest pain"][-1]
    assert last_pain.assertion == "absent"


def test_when_note_has_unicode_then_offsets_stay_exact(extractor):
    text = "Pt (Zoë) – café owner – denies dyspnea; on aspirin 81 mg daily."
    ents = extractor.extract(text)
    assert {e.text for e in ents} >= {"dyspnea", "aspirin"}
    assert all(text[e.start:e.end] == e.text for e in ents)


def test_extract_note_records_provenance(extractor):
    from agent.schemas.notes import Note

    out = extractor.extract_note(Note(patient_id="p", note_id="n", text="Pt has HTN."))
    assert out.note_id == "n" and out.provenance.backend == "rules"
    assert out.provenance.package_version and out.provenance.rules_sha256


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Allergies: Penicillin (rash; has since tolerated cephalexin)",
     [("Penicillin", "ALLERGY"), ("cephalexin", "MEDICATION")]),
    ("Severe PCN allergy -> vancomycin 1 g IV given.",
     [("PCN", "ALLERGY"), ("vancomycin", "MEDICATION")]),
    ("She is allergic to codeine and takes aspirin daily.",
     [("codeine", "ALLERGY"), ("aspirin", "MEDICATION")]),
    ("Allergic to: codeine, sulfa and shellfish.",
     [("codeine", "ALLERGY"), ("sulfa", "ALLERGY"), ("shellfish", "ALLERGY")]),
    ("ALLERGIES - SHELLFISH (ANAPHYLAXIS), LATEX",
     [("SHELLFISH", "ALLERGY"), ("LATEX", "ALLERGY")]),
    # a non-drug allergen word outside an allergy context is no allergen
    ("Admitted with an adhesive small bowel obstruction; wears latex gloves.", []),
])
# fmt: on
def test_when_drug_is_named_as_allergen_then_type_is_allergy(extractor, text, expected):
    got = [(e.text, e.type) for e in extractor.extract(text)
           if e.type in ("ALLERGY", "MEDICATION")]
    assert got == expected


# fmt: off
@pytest.mark.parametrize("text, span", [
    ("Dx: acute blood loss anemia.", "acute blood loss anemia"),
    ("CKD stage 3a, stable.", "CKD stage 3a"),
    ("New afib w/ RVR overnight.", "afib w/ RVR"),
    ("Right pyelonephritis on CT.", "Right pyelonephritis"),
    ("c/o left knee pain x3 days", "left knee pain"),
    ("No possible pneumonia.", "pneumonia"),
])
# fmt: on
def test_when_problem_has_qualifiers_then_span_covers_the_diagnosis(extractor, text, span):
    problems = [e.text for e in extractor.extract(text) if e.type == "PROBLEM"]
    assert span in problems, problems


# fmt: off
@pytest.mark.parametrize("text, span, value", [
    ("Labs: K 5.9, Na 128.", "K", "5.9"),
    ("Labs: K 5.9, Na 128.", "Na", "128"),
    ("CT head without contrast: no bleed.", "CT head without contrast", None),
    ("NIHSS 4 on arrival.", "NIHSS", "4"),
])
# fmt: on
def test_when_test_short_form_or_imaging_then_test_span_and_value(extractor, text, span, value):
    tests = {e.text: e for e in extractor.extract(text) if e.type == "TEST"}
    assert span in tests, list(tests)
    got = tests[span].attributes.get("value")
    assert (got.text if got else None) == value


@pytest.mark.parametrize("text, span, canonical", [
    ("Labs: K 5.9, Na 128.", "K", "potassium"),
    ("Labs: K 5.9, Na 128.", "Na", "sodium"),
    ("T. bili 2.4 today.", "T. bili", "total bilirubin"),
    ("pH 7.31 on the gas.", "pH", "pH"),  # no mapping: the surface is the concept
])
def test_a_lab_short_form_names_its_concept(extractor, text, span, canonical):
    """"K 3.4" and "potassium 3.4" are one test for the labs table, chat and verifier."""
    tests = {e.text: e for e in extractor.extract(text) if e.type == "TEST"}
    assert tests[span].normalized["canonical"] == canonical


def test_when_letter_is_not_followed_by_value_then_not_a_test(extractor):
    ents = extractor.extract("Vitamin K given. Na restriction.")
    assert not [e for e in ents if e.type == "TEST"]


def test_when_header_has_aside_then_section_is_found(extractor):
    text = "Home meds (pt's list):\n- aspirin 81 mg daily\nImaging (14:19):\nCT head: no bleed\n"
    sections = {e.text: e.section for e in extractor.extract(text)}
    assert sections["aspirin"] == "MEDICATIONS" and sections["CT head"] == "IMAGING"


def test_when_signature_has_credential_then_no_problem(extractor):
    assert extractor.extract("Electronically signed: Jane Roe, MD 3:45 PM") == []


# fmt: off
@pytest.mark.parametrize("text, span, etype", [
    ("Vancomycin trough 18 this AM.", "Vancomycin trough", "TEST"),
    ("Continue fluphenazine decanoate IM monthly.", "fluphenazine decanoate", "MEDICATION"),
    ("Started pegylated interferon weekly.", "pegylated interferon", "MEDICATION"),
    ("Home meds: MTX 15 mg weekly.", "MTX", "MEDICATION"),
    ("Metoprolol tartrate 25 mg BID.", "Metoprolol tartrate", "MEDICATION"),
])
# fmt: on
def test_when_drug_has_salt_prefix_or_assay_word_then_span_and_type_follow(
    extractor, text, span, etype
):
    assert (span, etype) in [(e.text, e.type) for e in extractor.extract(text)]


def test_when_rules_dir_overrides_targets_then_extraction_uses_it(tmp_path):
    import json
    import shutil

    from agent.nlp.entities import OVERRIDABLE_RULE_FILES, EntityExtractor
    from agent.rules.files import rules_path

    for name in OVERRIDABLE_RULE_FILES:
        shutil.copy(rules_path(name), tmp_path / name)
    targets = json.loads((tmp_path / "targets.json").read_text())
    targets["target_rules"].append({"literal": "zorbulitis", "category": "PROBLEM"})
    (tmp_path / "targets.json").write_text(json.dumps(targets))
    ex = EntityExtractor(rules_dir=tmp_path, max_codes=0)
    assert [(e.text, e.type) for e in ex.extract("Pt with zorbulitis.")] == [
        ("zorbulitis", "PROBLEM")]


def test_when_rules_dir_holds_a_vocabulary_file_then_error_not_silence(tmp_path):
    import shutil

    from agent.errors import RuleFileError
    from agent.nlp.entities import OVERRIDABLE_RULE_FILES, EntityExtractor
    from agent.rules.files import rules_path

    for name in OVERRIDABLE_RULE_FILES + ("drug_stoplist.json",):
        shutil.copy(rules_path(name), tmp_path / name)
    with pytest.raises(RuleFileError, match="cannot be overridden"):
        EntityExtractor(rules_dir=tmp_path)


def test_when_lab_abbreviation_case_differs_then_only_capitals_are_tests(extractor):
    ents = extractor.extract("Cardiac exam normal. ALT 45. Started ACE inhibitor; alt text.")
    assert [(e.text, e.type) for e in ents if e.type == "TEST"] == [("ALT", "TEST")]


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Social History: drinks alcohol, 2 beers a day; smokes tobacco.", []),
    ("HPI: denies alcohol, tobacco, or drug use.", []),
    ("Cocaine-induced coronary vasospasm.", [("Cocaine", "MEDICATION")]),
])
# fmt: on
def test_when_substance_is_social_history_then_not_a_medication(extractor, text, expected):
    assert [(e.text, e.type) for e in extractor.extract(text) if e.type == "MEDICATION"] == (
        expected)


def test_when_a_section_spans_several_segments_then_later_mentions_keep_it(extractor):
    # Notes over SEGMENT_CHARS are processed in pieces; a piece with no header of its own
    # belongs to the section carried from the piece before.
    filler = "Patient resting comfortably, vitals reviewed.\n" * 300
    text = "Assessment and plan:\n" + filler + "Denies chest pain.\n"
    pain = [e for e in extractor.extract(text) if e.text == "chest pain"]
    assert pain and pain[0].section == "ASSESSMENT_PLAN"
    assert pain[0].assertion == "absent"


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("- Nicotine 21 mg patch daily -- NEW", ["Nicotine"]),   # replacement therapy: a drug
    ("Nicotine gum 2 mg q2h PRN cravings.", ["Nicotine gum"]),
    ("SOCIAL HISTORY:\nNicotine use: 1 ppd x 40 years.", []),  # substance use: not a drug
])
# fmt: on
def test_when_nicotine_is_written_then_drug_only_as_treatment(extractor, text, expected):
    meds = [e.text for e in extractor.extract(text) if e.type == "MEDICATION"]
    assert meds == expected


def test_a_vocabulary_match_never_ends_inside_a_number(extractor):
    # "Vitamin K 2.5 mg" is vitamin K at 2.5 mg, not vitamin K2.
    found = [(e.text, e.attributes["strength"].text if "strength" in e.attributes else None)
             for e in extractor.extract("Vitamin K 2.5 mg IV x1.") if e.type == "MEDICATION"]
    assert found == [("Vitamin K", "2.5 mg")]
