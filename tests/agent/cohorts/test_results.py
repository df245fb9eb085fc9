"""Cohort queries on the demo corpus's facts: traps excluded, evidence spans that support
each criterion, exclusion reasons, attrition counts, and errors for unknown names."""

from __future__ import annotations

import re

import pytest

from agent.errors import InputError


def _ids(result) -> list[str]:
    return [p.patient_id for p in result.patients]


# fmt: off
@pytest.mark.parametrize("query, expected", [
    # P003 has type 1 diabetes (its bare "diabetes" takes that type); P006's family DM2
    # does not count, its own new diagnosis does.
    ('include: concept:"type 2 diabetes"', ["P001", "P005", "P006", "P007"]),
    ("include: code:E11", ["P001", "P005", "P006", "P007"]),
    # "no known neuropathy" (P007) and "no known retinopathy" (P003): nobody.
    ("include: concept:neuropathy OR concept:retinopathy", []),
    # Breast cancer and ulcerative colitis only in relatives.
    ('include: concept:"breast cancer"', []),
    ('include: concept:"ulcerative colitis"', []),
    # "occult paroxysmal AF not excluded" / "Occult AF" in P006 is a doubt, not a diagnosis.
    ('include: concept:"atrial fibrillation"', ["P001", "P004"]),
    # DVT is only hypothetical or ruled out.
    ('include: concept:"deep vein thrombosis"', []),
])
# fmt: on
def test_when_demo_has_traps_then_they_are_excluded(run_text, query, expected):
    assert _ids(run_text(query)) == expected


def test_when_family_experiencer_asked_then_relatives_diagnoses_match(run_text):
    r = run_text('include: concept:"breast cancer" [experiencer=family]')
    assert _ids(r) == ["P002", "P007"]


def test_when_medication_current_then_discharge_list_decides(run_text):
    # P001/P005/P006 got insulin only in hospital; P003 goes home on the pump, P007 on
    # glargine.
    assert _ids(run_text("include: class:insulins [status=current]")) == ["P003", "P007"]
    assert _ids(run_text("include: class:insulins")) == ["P001", "P002", "P003", "P005",
                                                         "P006", "P007"]


def test_when_lab_in_other_unit_then_value_is_converted(run_text):
    percent = _ids(run_text("include: lab:hba1c > 9 % [temporality=current|historical]"))
    ifcc = _ids(run_text("include: lab:hba1c > 75 mmol/mol "
                         "[temporality=current|historical]"))
    assert percent == ifcc == ["P007"]


def test_when_time_window_is_relative_to_criterion_then_only_dated_neighbours(run_text):
    both = run_text('include: concept:"type 2 diabetes" [id=dm]\n'
                    "include: lab:hba1c > 7 % [days=0, after=@dm]")
    assert _ids(both) == ["P001", "P007"]
    outside = run_text("include: lab:hba1c > 7 % [from=2027-01-01]")
    assert _ids(outside) == []


def test_when_count_asked_then_patients_need_that_many_notes(run_text):
    assert _ids(run_text('include: concept:gout [notes=2]')) == ["P001"]
    assert _ids(run_text('include: concept:gout [notes=5]')) == []


def test_when_trial_query_then_exclusion_reason_and_attrition(run_text):
    r = run_text('include: concept:"type 2 diabetes"\n'
                 "include: drug:metformin [status=current]\n"
                 "exclude: class:insulins [status=current]")
    assert _ids(r) == ["P001", "P005", "P006"]
    assert [(x.patient_id, x.excluded_by) for x in r.excluded] == [
        ("P007", "medication insulins (current)")]
    assert [(s.kind, s.matched, s.remaining) for s in r.attrition] == [
        ("population", 7, 7), ("inclusion", 4, 4), ("inclusion", 4, 4), ("exclusion", 1, 3)]


def test_when_patients_restricted_then_only_they_are_counted(run_text):
    r = run_text('include: concept:"type 2 diabetes"', patients=["P001", "P003"])
    assert _ids(r) == ["P001"] and r.population == 2


def test_every_evidence_span_is_the_note_text_and_names_the_criterion(run_text, demo_db):
    _, _, notes = demo_db
    r = run_text('include: concept:"type 2 diabetes"\n'
                 "include: drug:metformin [status=current]\n"
                 "include: lab:hba1c > 7 % [temporality=current|historical]\n"
                 "exclude: class:insulins [status=current]")
    words = {0: r"dm2|t2dm|diabet", 1: r"metformin", 2: r"a1c"}
    assert r.patients
    for p in r.patients:
        for i, c in enumerate(p.criteria):
            assert c.evidence, (p.patient_id, c.criterion)
            for e in c.evidence:
                text = notes[e.note_id].text
                assert notes[e.note_id].patient_id == p.patient_id
                assert text[e.start:e.end] == e.text
                assert re.search(words[i], e.text, re.IGNORECASE), e.text
                assert e.text in e.snippet
                if i == 2:
                    assert e.value > 7 and e.unit == "%"
    for x in r.excluded:
        assert all(notes[e.note_id].text[e.start:e.end].lower().startswith("insulin")
                   for e in x.evidence)


def test_when_nobody_matches_then_empty_result_not_error(run_text):
    r = run_text("include: code:E10 AND code:I50")
    assert r.patients == [] and r.attrition[-1].remaining == 0


# fmt: off
@pytest.mark.parametrize("query, named", [
    ("include: drug:metfromin", "metfromin"),
    ("include: class:statinz", "statinz"),
    ("include: code:E99.999", "E99.999"),
    ("include: concept:diabetis", "diabetis"),
    ("include: lab:hba1x > 8", "hba1x"),
    ("include: lab:hba1c > 8 mg", "mg"),
    ("include: lab:hba1c > 8 [days=10, after=@nope]", "nope"),
])
# fmt: on
def test_when_query_names_unknown_thing_then_error_names_it(run_text, query, named):
    with pytest.raises(InputError) as e:
        run_text(query)
    assert repr(named) in str(e.value)


def test_unknown_drug_error_suggests_the_close_one(run_text):
    with pytest.raises(InputError, match="'metformin'"):
        run_text("include: drug:metfromin")
