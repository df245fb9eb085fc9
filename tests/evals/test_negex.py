"""NegEx annotation loader and scoring (tiny synthetic TSV files)."""

from __future__ import annotations

import pytest

from agent.errors import InputError
from evals.negex import find_concept, load, score

HEADER = "Report No.\tConcept\tSentence\tNegation\n"


def _write(tmp_path, rows: list[str]):
    path = tmp_path / "negex.tsv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_when_file_has_quoted_and_missing_concepts_then_all_pairs_are_kept(tmp_path):
    path = _write(tmp_path, [
        '1\tfever\t"She denies FEVER, chills, or ""alarm"" symptoms."\tNegated',
        "1\tchest   pain\tNo CHEST PAIN.\tNegated",
        "2\tcough\tPatient has a COUGH.\tAffirmed",
        "2\trash\tLungs are clear.\tAffirmed",
    ])
    pairs = load(path)
    assert [p.index for p in pairs] == [0, 1, 2, 3]
    assert pairs[0].sentence == 'She denies FEVER, chills, or "alarm" symptoms.'
    assert pairs[0].sentence[pairs[0].start:pairs[0].end] == "FEVER"
    assert pairs[1].sentence[pairs[1].start:pairs[1].end] == "CHEST PAIN"
    assert [p.is_negated for p in pairs] == [True, True, False, False]
    assert pairs[3].start is None and pairs[3].end is None


# fmt: off
@pytest.mark.parametrize("concept, sentence, expected", [
    ("fever",          "Fever now, no FEVER before.",            "FEVER"),
    ("staph bacteremia", "found to have STAPH   BACTEREMIA.",    "STAPH   BACTEREMIA"),
    ("left sided weakness", "some LEFT-SIDED WEAKNESS today.",   "LEFT-SIDED WEAKNESS"),
    ("JVD",            "Neck supple, no jvd.",                   "jvd"),
    ("pneumonia",      "No **NAME[AAA, BBB M] findings.",        None),
])
# fmt: on
def test_when_concept_is_searched_then_upper_case_and_spacing_variants_match(
    concept, sentence, expected
):
    found = find_concept(concept, sentence)
    assert (sentence[found[0]:found[1]] if found else None) == expected


# fmt: off
@pytest.mark.parametrize("rows, problem", [
    (["1\tfever\tNo FEVER.\tMaybe"],  "unknown label"),
    (["1\tfever\tNo FEVER."],         "4 tab-separated fields"),
    (["x\tfever\tNo FEVER.\tNegated"], "not an integer"),
])
# fmt: on
def test_when_row_is_malformed_then_input_error_names_line(tmp_path, rows, problem):
    with pytest.raises(InputError, match=problem) as exc:
        load(_write(tmp_path, rows))
    assert exc.value.line == 2


def test_when_header_is_wrong_then_input_error(tmp_path):
    path = tmp_path / "negex.tsv"
    path.write_text("a\tb\tc\td\n", encoding="utf-8")
    with pytest.raises(InputError, match="header"):
        load(path)


def test_when_predictions_are_scored_then_report_has_ids_not_text(tmp_path):
    pairs = load(_write(tmp_path, [
        "1\tfever\tNo FEVER.\tNegated",
        "1\tcough\tHas COUGH.\tAffirmed",
        "1\trash\tNo RASH.\tNegated",
        "1\tpain\tIn PAIN.\tAffirmed",
        "1\tedema\tLegs fine.\tAffirmed",
    ]))
    report = score(pairs, {0: True, 1: True, 2: False, 3: False})
    assert report["accuracy"] == 0.5
    assert report["negated"]["tp"] == 1 and report["negated"]["precision"] == 0.5
    assert report["errors"] == {"false_negative": [2], "false_positive": [1]}
    assert report["counts"]["not_found"] == 1 and report["not_found_ids"] == [4]
    assert "FEVER" not in repr(report)


def test_when_run_on_pipeline_then_negated_sentence_is_found(clinical_pipeline, tmp_path):
    from evals.negex import run

    path = _write(tmp_path, [
        "1\tchest pain\tDenies CHEST PAIN.\tNegated",
        "1\tcough\tPresents with COUGH.\tAffirmed",
        "2\tedema\tLegs fine.\tAffirmed",
    ])
    report = run(clinical_pipeline, path)
    assert report["accuracy"] == 1.0
    assert report["counts"] == {"pairs": 3, "scored": 2, "not_found": 1,
                                "gold_negated": 1, "gold_affirmed": 1}
    assert run(clinical_pipeline, path, reports=range(2, 3))["counts"]["pairs"] == 1
    assert run(clinical_pipeline, path, limit=1)["counts"]["pairs"] == 1
