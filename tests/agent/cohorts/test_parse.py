"""Reading cohort queries: the compact text form, YAML/JSON, and errors that name the
unknown field, kind, option or value with the valid choices."""

from __future__ import annotations

import pytest

from agent.cohorts.parse import load_query, query_from_data, query_from_text
from agent.errors import InputError


def test_when_text_form_has_or_and_options_then_criteria_nest():
    q = query_from_text(
        "name: trial\n"
        "include: code:E11\n"
        "include: code:E11.4 OR concept:\"diabetic retinopathy\"\n"
        "include: drug:metformin [status=current, notes=2]\n"
        "include: lab:hba1c > 64 mmol/mol [days=365, before=2026-12-01]\n"
        "exclude: class:insulins [status=current] # comment\n")
    assert q.name == "trial"
    assert q.inclusion[0].condition.code == "E11"
    assert [c.kind for c in q.inclusion[1].any] == ["condition", "condition"]
    med = q.inclusion[2].medication
    assert (med.ingredient, med.status, med.min_notes) == ("metformin", "current", 2)
    lab = q.inclusion[3].lab
    assert (lab.test, lab.op, lab.value, lab.unit) == ("hba1c", ">", 64.0, "mmol/mol")
    assert (lab.window.days, lab.window.direction, lab.window.date) == (365, "before",
                                                                      "2026-12-01")
    assert q.exclusion[0].medication.drug_class == "insulins"


def test_when_text_form_has_not_and_parentheses_then_precedence_holds():
    q = query_from_text("include: code:E11 AND NOT (concept:neuropathy OR code:E11.3)")
    crit = q.inclusion[0]
    assert crit.kind == "all"
    assert crit.all[1].kind == "not" and crit.all[1].not_.kind == "any"


def test_when_window_refers_to_criterion_then_it_is_relative():
    q = query_from_text("include: code:E11 [id=dm]\n"
                        "include: lab:hba1c > 8 [days=90, after=@dm]")
    w = q.inclusion[1].lab.window
    assert (w.criterion, w.days, w.direction) == ("dm", 90, "after")


# fmt: off
@pytest.mark.parametrize("text, named, suggested", [
    ("include: cod:E11", "cod", "code"),
    ("include: drug:metformin [stauts=current]", "stauts", "status"),
    ("includ: code:E11", "includ", "include"),
])
# fmt: on
def test_when_text_names_unknown_thing_then_error_names_it_and_suggests(text, named,
                                                                         suggested):
    with pytest.raises(InputError) as e:
        query_from_text(text)
    assert named in str(e.value) and repr(suggested) in str(e.value)


def test_when_data_has_unknown_field_then_error_lists_valid_fields():
    with pytest.raises(InputError) as e:
        query_from_data({"inclusion": [{"condition": {"concpet": "diabetes"}}]})
    msg = str(e.value)
    assert "'concpet'" in msg and "'concept'" in msg and "inclusion[0].condition" in msg


def test_when_operator_is_unknown_then_error_lists_operators():
    with pytest.raises(InputError) as e:
        query_from_data({"inclusion": [{"lab": {"test": "hba1c", "op": "=>", "value": 8}}]})
    assert "'>='" in str(e.value) and "lab.op" in str(e.value)


def test_when_status_is_unknown_then_error_lists_statuses():
    with pytest.raises(InputError) as e:
        query_from_text("include: drug:metformin [status=now]")
    assert "'current'" in str(e.value)


def test_when_no_inclusion_then_error():
    with pytest.raises(InputError):
        query_from_data({"exclusion": [{"condition": {"code": "E11"}}]})


def test_when_yaml_file_then_same_query_as_text(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("name: t\ninclusion:\n  - condition: {code: E11}\n"
                    "  - medication: {class: insulins, status: current}\n", encoding="utf-8")
    q = load_query(path)
    assert q.inclusion[1].medication.drug_class == "insulins"
    assert q == query_from_text("name: t\ninclude: code:E11\n"
                                "include: class:insulins [status=current]")


def test_when_yaml_is_malformed_then_input_error(tmp_path):
    path = tmp_path / "q.yml"
    path.write_text("inclusion: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_query(path)


def test_shipped_example_queries_are_the_same_query():
    yaml_form = load_query("evals/data/cohorts/trial.yaml")
    text_form = load_query("evals/data/cohorts/trial.txt")
    assert [c.id for c in yaml_form.inclusion][:2] == ["t2dm", "microvascular"]
    assert len(yaml_form.inclusion) == len(text_form.inclusion) == 4
    assert yaml_form.exclusion[0].medication == text_form.exclusion[0].medication
