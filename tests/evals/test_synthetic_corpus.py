"""The synthetic demo corpus: built files are current, offsets exact, coverage complete."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from agent.errors import InputError
from agent.schemas.extraction import ASSERTIONS, ENTITY_TYPES, MEDICATION_ATTRIBUTES
from evals import synthetic
from evals.synthetic import (
    OUTPUT_FILES,
    PHI_TYPES,
    build_corpus,
    data_dir,
    load_gold_entities,
    load_gold_phi,
    load_notes,
    offset_errors,
    parse_source,
    read_sources,
    render,
)

HEADER = "@@ patient_id=X1 note_id=X1-01 note_type=progress_note date=2026-01-02\n"
ANATOMY_IS_OPTIONAL = {"ANATOMY"}
EPONYMS = ("Parkinson", "Crohn", "Foley", "Glasgow", "Hashimoto", "Babinski", "Forrest")


@pytest.fixture(scope="module")
def notes():
    return load_notes()


@pytest.fixture(scope="module")
def gold_entities():
    return load_gold_entities()


@pytest.fixture(scope="module")
def gold_phi():
    return load_gold_phi()


def test_when_sources_are_rebuilt_in_memory_then_built_files_are_identical():
    rendered = render(build_corpus(read_sources()))
    for name in OUTPUT_FILES:
        on_disk = data_dir().joinpath(name).read_text(encoding="utf-8")
        assert on_disk == rendered[name], f"{name} is stale: run python -m evals.synthetic build"


def test_when_check_command_runs_then_it_passes():
    assert synthetic.main(["check"]) == 0


def test_when_offsets_are_applied_then_every_span_reproduces_its_text(
    notes, gold_entities, gold_phi
):
    texts = {n.note_id: n.text for n in notes}
    assert set(gold_entities) == set(texts) == set(gold_phi)
    for note_id, entities in gold_entities.items():
        text = texts[note_id]
        for ent in entities:
            assert text[ent.start:ent.end] == ent.text, (note_id, ent.start)
            assert ent.text == ent.text.strip() and ent.text
            for name, attr in ent.attributes.items():
                assert text[attr.start:attr.end] == attr.text, (note_id, name, attr.start)
    for note_id, spans in gold_phi.items():
        for span in spans:
            assert texts[note_id][span.start:span.end] == span.text, (note_id, span.start)
    on_disk = {name: data_dir().joinpath(name).read_text(encoding="utf-8")
               for name in OUTPUT_FILES}
    assert offset_errors(on_disk) == []


def test_when_corpus_is_counted_then_it_has_six_patients_with_four_to_eight_notes(notes):
    per_patient: dict[str, list] = defaultdict(list)
    for note in notes:
        per_patient[note.patient_id].append(note)
    assert len(per_patient) >= 6
    assert len(notes) >= 32
    for patient_id, patient_notes in per_patient.items():
        assert 4 <= len(patient_notes) <= 8, patient_id
        dates = [n.date for n in patient_notes]
        assert dates == sorted(dates), patient_id
        assert {"discharge_summary"} <= {n.note_type for n in patient_notes}, patient_id
    assert len({n.note_id for n in notes}) == len(notes)


def test_when_note_types_are_listed_then_the_hospital_stay_is_covered(notes):
    types = {n.note_type for n in notes}
    assert {"ed_note", "history_and_physical", "progress_note", "consult_note",
            "radiology_report", "discharge_summary"} <= types


def test_when_labels_are_counted_then_every_type_assertion_and_attribute_occurs(gold_entities):
    entities = [e for ents in gold_entities.values() for e in ents]
    assert {e.type for e in entities} >= set(ENTITY_TYPES) - ANATOMY_IS_OPTIONAL
    assert {e.assertion for e in entities} == set(ASSERTIONS)
    med_attrs = {a for e in entities if e.type == "MEDICATION" for a in e.attributes}
    assert med_attrs == set(MEDICATION_ATTRIBUTES)
    assert any("value" in e.attributes for e in entities if e.type == "TEST")
    for e in entities:
        assert e.section is None or re.fullmatch(r"[A-Z][A-Z_]*", e.section)


def test_when_phi_is_counted_then_every_phi_type_occurs(gold_phi):
    found = {p.type for spans in gold_phi.values() for p in spans}
    assert found == set(PHI_TYPES)


def test_when_phi_is_inspected_then_eponyms_and_young_ages_are_not_phi(gold_phi):
    spans = [p for ps in gold_phi.values() for p in ps]
    assert not [p.text for p in spans if any(e in p.text for e in EPONYMS)]
    assert all(int(p.text) > 89 for p in spans if p.type == "AGE")
    assert not [p.text for p in spans if p.type == "DATE" and re.fullmatch(r"\d{4}", p.text)]
    assert not [p.text for p in spans if p.type == "NAME" and p.text.startswith("Dr")]


def test_when_a_patient_is_followed_across_notes_then_a_medication_changes(
    notes, gold_entities
):
    by_patient: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for note in notes:
        for e in gold_entities[note.note_id]:
            if e.type != "MEDICATION":
                continue
            regimen = tuple(e.attributes[a].text.lower() if a in e.attributes else None
                            for a in ("strength", "dose", "route", "frequency"))
            by_patient[note.patient_id][e.text.lower()].add((e.assertion, regimen))
    for patient_id, drugs in by_patient.items():
        changed = [
            drug for drug, seen in drugs.items()
            if {"present", "absent"} <= {a for a, _ in seen}
            or len({r for a, r in seen if a == "present" and any(r)}) > 1
        ]
        assert changed, f"{patient_id} has no medication change across notes"


def test_when_markup_nests_then_both_labels_cover_their_own_surface():
    src = HEADER + "A/P: [[MEDICATION#m1|Apixaban]] [[m1.indication|[[PROBLEM|afib]]]] " \
                   "[[m1.duration|through {{DATE|3/20}}]]\n"
    (note,) = parse_source("inline.txt", src)
    text = note.note["text"]
    assert text == "A/P: Apixaban afib through 3/20"
    med, prob = note.entities
    assert (med["text"], prob["text"], prob["section"]) == ("Apixaban", "afib", "ASSESSMENT_PLAN")
    assert med["attributes"]["indication"]["text"] == "afib"
    assert med["attributes"]["duration"]["text"] == "through 3/20"
    assert note.phi == [{"start": 27, "end": 31, "text": "3/20", "type": "DATE"}]


# fmt: off
@pytest.mark.parametrize("header_line, expected", [
    ("HISTORY OF PRESENT ILLNESS:", "HPI"),
    ("Past Medical History", "PMH"),
    ("Meds: aspirin", "MEDICATIONS"),
    ("Home meds (pt's list):", "MEDICATIONS"),
    ("Discharge Medications:", "DISCHARGE_MEDICATIONS"),
    ("A/P:", "ASSESSMENT_PLAN"),
    ("IMPRESSION:", "IMPRESSION"),
    ("CV: RRR", None),
])
# fmt: on
def test_when_header_line_is_read_then_section_is_mapped(header_line, expected):
    assert synthetic.section_of(header_line) == expected


# fmt: off
@pytest.mark.parametrize("body, line", [
    ("ok line\n[[PROBLEM|chest pain\n", 3),
    ("stray close ]] here\n", 2),
    ("[[DISEASE|chest pain]]\n", 2),
    ("x\ny\n[[PROBLEM:maybe|chest pain]]\n", 4),
    ("[[MEDICATION#m1|aspirin]] [[m9.dose|1]]\n", 2),
    ("[[MEDICATION#m1|aspirin]] [[m1.value|1]]\n", 2),
    ("[[PROBLEM|{{NAME|x]]}}\n", 2),
    ("{{PATIENT|John}}\n", 2),
    ("[[PROBLEM no bar]]\n", 2),
])
# fmt: on
def test_when_markup_is_wrong_then_error_names_file_and_line(body, line):
    with pytest.raises(InputError) as info:
        parse_source("bad_source.txt", HEADER + body)
    assert info.value.source == "bad_source.txt"
    assert info.value.line == line
    assert "bad_source.txt line" in str(info.value)


def test_when_note_header_has_unknown_note_type_then_error_names_the_header_line():
    with pytest.raises(InputError) as info:
        parse_source("bad.txt",
                     "%% c\n@@ patient_id=X note_id=X-1 note_type=memo date=2026-01-01\n")
    assert info.value.line == 2


def test_when_two_sources_reuse_a_note_id_then_build_fails():
    with pytest.raises(InputError, match="duplicate note_id"):
        build_corpus([("a.txt", HEADER + "text\n"), ("b.txt", HEADER + "text\n")])
