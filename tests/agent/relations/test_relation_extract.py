"""Relations found by the extractor's hook (``EntityExtractor.extract_note``)."""

from __future__ import annotations

import pytest

from agent.relations.extract import find_relations
from agent.rules import Rules
from agent.schemas.extraction import Entity, NoteExtraction, entity_id
from agent.schemas.layout import LineSpan, NoteLayout, TextSpan
from agent.schemas.notes import Note


def _relations(extractor, text: str) -> tuple[NoteExtraction, list[tuple]]:
    ext = extractor.extract_note(Note(note_id="n1", patient_id="p1", text=text))
    by_id = {entity_id(e): e for e in ext.entities}
    return ext, sorted((r.type, by_id[r.head].text, by_id[r.tail].text, r.assertion)
                       for r in ext.relations)


# fmt: off
@pytest.mark.parametrize("text, expected", [
    ("Allergies: PCN (rash); sulfa -> hives",
     [("CAUSES", "PCN", "rash", "present"), ("CAUSES", "sulfa", "hives", "present")]),
    ("Allergen: penicillin\nReaction: hives",
     [("CAUSES", "penicillin", "hives", "present")]),
    ("Lisinopril was stopped because of angioedema.",
     [("CAUSES", "Lisinopril", "angioedema", "present")]),
    ("Metformin on hold (AKI).",
     [("CONTRAINDICATED_BY", "Metformin", "AKI", "present")]),
    ("No rash on penicillin.", [("CAUSES", "penicillin", "rash", "negated")]),
    ("Tolerated amoxicillin without rash.", [("CAUSES", "amoxicillin", "rash", "negated")]),
    ("Rash, possibly due to vancomycin.", [("CAUSES", "vancomycin", "Rash", "speculated")]),
    ("Metoprolol 25 mg PO BID for rate control of atrial fibrillation.",
     [("TREATS", "Metoprolol", "atrial fibrillation", "present")]),
    ("Cellulitis of the left lower extremity.",
     [("LOCATED_AT", "Cellulitis", "left lower extremity", "present")]),
    # traps: a drug and a problem in one sentence, no relation
    ("Patient with diabetes and hypertension, on metformin and lisinopril.", []),
    ("Started ceftriaxone; patient has a history of gout.", []),
    ("DKA due to insulin pump failure.", []),
])
# fmt: on
def test_when_sentence_states_relation_then_found(extractor, text, expected):
    assert _relations(extractor, text)[1] == expected


def test_when_effect_not_in_dictionary_then_adverse_effect_entity_added(extractor):
    ext, found = _relations(extractor, "She broke out in welts after ceftriaxone.")
    assert found == [("CAUSES", "ceftriaxone", "welts", "present")]
    added = [e for e in ext.entities if e.normalized.get("adverse_effect")]
    assert [e.text for e in added] == ["welts"] and added[0].type == "PROBLEM"


def test_when_effect_word_has_no_relation_then_no_entity_added(extractor):
    ext = extractor.extract_note(Note(note_id="n", patient_id="p",
                                      text="Takes metformin. Itching improved."))
    assert not ext.relations
    assert not any(e.normalized.get("adverse_effect") for e in ext.entities)


def test_when_site_has_side_then_laterality_and_anatomy_entity(extractor):
    ext = extractor.extract_note(Note(note_id="n", patient_id="p",
                                      text="Right lower lobe pneumonia."))
    [rel] = ext.relations
    by_id = {entity_id(e): e for e in ext.entities}
    assert rel.type == "LOCATED_AT" and rel.laterality == "right"
    assert by_id[rel.tail].type == "ANATOMY" and by_id[rel.tail].text == "Right lower lobe"


def test_relation_carries_evidence_trigger_rule_and_ids(extractor):
    text = "Lisinopril was stopped because of angioedema."
    ext = extractor.extract_note(Note(note_id="n", patient_id="p", text=text))
    [rel] = ext.relations
    assert rel.id == "r1" and rel.rule == "stop_reason"
    assert text[rel.evidence.start:rel.evidence.end] == rel.evidence.text
    assert rel.trigger is not None and rel.trigger.text == "because of"
    assert rel.head == "0-10:MEDICATION"
    assert "relations.json=" in (ext.provenance.rules_sha256 or "")


def test_coordinated_drugs_each_get_the_effect(extractor):
    _, found = _relations(extractor, "Bleeding developed while on warfarin and aspirin.")
    assert {(h, t) for _, h, t, _ in found} >= {("warfarin", "Bleeding"),
                                                ("aspirin", "Bleeding")}


def test_find_relations_works_on_given_entities_without_the_pipeline():
    text = "sulfa -> rash"
    entities = [Entity(start=0, end=5, text="sulfa", type="ALLERGY"),
                Entity(start=9, end=13, text="rash", type="PROBLEM")]
    layout = NoteLayout(lines=[LineSpan(start=0, end=13)], sentences=[TextSpan(start=0, end=13)],
                        clauses=[TextSpan(start=0, end=13)])
    result = find_relations(text, entities, layout, Rules.load().relations)
    assert [(r.type, r.head, r.tail) for r in result.relations] == [
        ("CAUSES", "0-5:ALLERGY", "9-13:PROBLEM")]
    assert result.added == []
