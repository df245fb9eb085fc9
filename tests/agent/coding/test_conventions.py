"""Coding conventions on synthetic notes through the real extractor: specificity,
combination codes, Excludes1, assertions and both uncertain-diagnosis guidelines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import simple_icd_10_cm as cm

from agent.coding.conventions import excludes1_conflict, is_codable, unspecified_leaf
from agent.coding.suggest import CodingPolicy, Suggester
from agent.schemas.extraction import Code, Entity
from agent.schemas.notes import Note


def _codes(extractor, text: str, **policy) -> list[str]:
    notes = Suggester(CodingPolicy(**policy)).suggest("n1", text, extractor.extract(text))
    return [s.code for s in notes.suggestions]


def test_when_diabetes_and_neuropathy_then_combination_code_not_both_parts(extractor):
    codes = _codes(extractor, "ASSESSMENT:\n1. Type 2 diabetes.\n2. Peripheral neuropathy.\n")
    assert codes[0].startswith("E11.4")
    assert "E11.9" not in codes and "G62.9" not in codes


def test_when_text_says_quadrant_then_specific_code_replaces_unspecified(extractor):
    codes = _codes(extractor, "Abdominal pain in the right upper quadrant since Monday.")
    assert codes[0] == "R10.11"
    assert "R10.9" not in codes


def test_when_nothing_more_specific_then_unspecified_code(extractor):
    codes = _codes(extractor, "Patient reports abdominal pain.")
    assert codes[0] == "R10.9"


def test_suggestions_are_billable_leaves(extractor):
    notes = Suggester().suggest("n1", "Pneumonia. Hypertension. Cough.",
                                extractor.extract("Pneumonia. Hypertension. Cough."))
    assert notes.suggestions
    assert all(cm.is_leaf(s.code) for s in notes.suggestions if s.system == "ICD-10-CM")


def test_when_two_codes_exclude_each_other_then_only_the_better_is_suggested():
    # Fever (R50.9) excludes "chills without fever" (R68.83): both offered by mentions.
    ents = [
        Entity(start=0, end=5, text="Fever", type="PROBLEM",
               codes=[Code(system="ICD-10-CM", code="R50.9", display="x", score=0.9)]),
        Entity(start=10, end=16, text="chills", type="PROBLEM",
               codes=[Code(system="ICD-10-CM", code="R68.83", display="x", score=0.8)]),
    ]
    notes = Suggester().suggest("n1", "Fever and chills.", ents)
    codes = [s.code for s in notes.suggestions]
    assert codes == ["R50.9"]
    assert [(x.code, x.reason, x.kept) for x in notes.excluded] == [
        ("R68.83", "excludes1", "R50.9")]
    for a in codes:
        for b in codes:
            assert a == b or not excludes1_conflict(a, b)


def test_excludes1_reads_ranges_and_ancestor_notes():
    assert excludes1_conflict("I10", "O10.02")     # range O10-O11 on the I10 category
    assert excludes1_conflict("E11.9", "E10.9")    # E11 excludes type 1 (E10.-)
    assert not excludes1_conflict("I10", "I50.9")


# fmt: off
@pytest.mark.parametrize("text", [
    "No pneumonia on the chest film.",
    "Pneumonia was ruled out.",
    "Family history of pneumonia in his mother.",
    "Return if you develop pneumonia.",
])
# fmt: on
def test_when_negated_ruled_out_family_or_hypothetical_then_never_coded(extractor, text):
    for guideline in ("outpatient", "inpatient"):
        codes = _codes(extractor, text, guideline=guideline)
        assert not any(c.startswith("J18") for c in codes), (guideline, codes)


def test_uncertain_diagnosis_follows_the_guideline(extractor):
    text = "Cough and fever. Possible pneumonia."
    outpatient = _codes(extractor, text)
    inpatient = _codes(extractor, text, guideline="inpatient")
    assert "J18.9" not in outpatient and "R05.9" in outpatient and "R50.9" in outpatient
    assert "J18.9" in inpatient


def test_is_codable_table():
    assert is_codable("present", "outpatient")
    assert not is_codable("possible", "outpatient")
    assert is_codable("possible", "inpatient")
    assert not is_codable("historical", "inpatient")
    assert is_codable("historical", "inpatient", include_historical=True)
    for a in ("absent", "family", "hypothetical"):
        assert not is_codable(a, "inpatient", include_historical=True)


def test_header_becomes_its_default_leaf():
    assert unspecified_leaf("J18") == "J18.9"
    assert unspecified_leaf("E11") == "E11.9"


def test_demo_notes_suggestions_cite_their_mentions(extractor):
    lines = Path("evals/data/synthetic/notes.jsonl").read_text(encoding="utf-8").splitlines()
    notes = [json.loads(x) for x in lines]
    seen = set()
    for note in notes:
        if note["patient_id"] in seen or len(seen) == 2:
            continue
        seen.add(note["patient_id"])
        result = Suggester().suggest(note["note_id"], note["text"],
                                     extractor.extract(note["text"]))
        assert result.suggestions, note["note_id"]
        for s in result.suggestions:
            for ev, m in zip(s.evidence, s.mentions, strict=True):
                assert note["text"][ev.start:ev.end] == m.text
                assert m.assertion not in ("absent", "family", "hypothetical", "possible")


def test_encounter_codes_once_with_evidence_from_each_note(extractor):
    texts = {"a": "ASSESSMENT: Type 2 diabetes. Cough.", "b": "Peripheral neuropathy. Cough."}
    notes = [(extractor.extract_note(Note(note_id=k, patient_id="P9", text=t)), t)
             for k, t in texts.items()]
    result = Suggester().suggest_encounter("enc1", notes)
    assert result.encounter_note_ids == ["a", "b"] and result.patient_id == "P9"
    by_code = {s.code: s for s in result.suggestions}
    assert {c.note_id for c in by_code["R05.9"].evidence} == {"a", "b"}
    combo = next(s for s in result.suggestions if s.code.startswith("E11.4"))
    assert {m.note_id for m in combo.mentions} == {"a", "b"}
    for s in result.suggestions:
        for ev, m in zip(s.evidence, s.mentions, strict=True):
            assert texts[ev.note_id][ev.start:ev.end] == m.text


def test_perinatal_and_obstetric_codes_need_their_context():
    ents = [Entity(start=0, end=7, text="hypoxia", type="PROBLEM",
                   codes=[Code(system="ICD-10-CM", code="P84", display="x", score=0.9),
                          Code(system="ICD-10-CM", code="R09.02", display="x", score=0.8)])]
    adult = Suggester().suggest("n", "hypoxia in a 70 year old man", ents)
    newborn = Suggester().suggest("n", "hypoxia in the newborn", ents)
    assert [s.code for s in adult.suggestions] == ["R09.02"]
    assert "P84" in [s.code for s in newborn.suggestions]


def test_excludes1_clash_keeps_the_diagnosis_over_the_symptom():
    # R06.0 (dyspnea) excludes respiratory failure (J96.-): the diagnosis stays by default.
    ents = [Entity(start=0, end=3, text="SOB", type="PROBLEM",
                   codes=[Code(system="ICD-10-CM", code="R06.00", display="x", score=0.95)]),
            Entity(start=8, end=28, text="respiratory failure", type="PROBLEM",
                   codes=[Code(system="ICD-10-CM", code="J96.00", display="x", score=0.8)])]
    text = "SOB and respiratory failure."
    assert [s.code for s in Suggester().suggest("n", text, ents).suggestions] == ["J96.00"]
    by_score = Suggester(CodingPolicy(is_diagnosis_over_symptom=False)).suggest("n", text, ents)
    assert [s.code for s in by_score.suggestions] == ["R06.00"]
