"""CodiEsp loader and scorer on a tiny synthetic split."""

from __future__ import annotations

import pytest

from agent.errors import InputError
from agent.schemas.extraction import Code, Entity
from evals import codiesp


def _cm(*codes: str) -> list[Code]:
    return [Code(system="ICD-10-CM", code=c, display="x", score=0.5) for c in codes]


@pytest.fixture()
def split(tmp_path):
    (tmp_path / "text_files_en").mkdir()
    (tmp_path / "text_files_en" / "d1.txt").write_text("Fever and a fall.", encoding="utf-8")
    (tmp_path / "text_files_en" / "d2.txt").write_text("Hypertension.", encoding="utf-8")
    (tmp_path / "trainD.tsv").write_text(
        "d1\tr50.9\nd1\tw19.xxx\nd1\tr50.9\nd2\ti10\nd2\te11.9\n", encoding="utf-8")
    (tmp_path / "trainP.tsv").write_text("d1\t0dtj4zz\nd1\tbw03zzz\n", encoding="utf-8")
    return tmp_path


def _extract(text: str) -> list[Entity]:
    if text.startswith("Fever"):
        return [
            Entity(start=0, end=5, text="Fever", type="PROBLEM", codes=_cm("R50.8", "R50.9")),
            Entity(start=12, end=16, text="fall", type="PROBLEM",
                   codes=[Code(system="ICD-10-CM", code="W19.XXXA",
                               display="Unspecified fall, initial encounter", score=0.9)]),
            Entity(start=0, end=5, text="Fever", type="PROCEDURE",
                   codes=[Code(system="ICD-10-PCS", code="0DTJ4ZZ", display="x", score=0.9)]),
        ]
    return [Entity(start=0, end=12, text="Hypertension", type="PROBLEM", codes=_cm("I10"))]


def test_when_loaded_then_codes_are_upper_case_and_deduplicated(split):
    docs = codiesp.load(split)
    assert [d.doc_id for d in docs] == ["d1", "d2"]
    assert docs[0].diagnoses == ["R50.9", "W19.XXX"]
    assert docs[0].procedures == ["0DTJ4ZZ", "BW03ZZZ"]


def test_when_scored_then_recall_is_micro_averaged_over_gold_codes(split):
    report = codiesp.run(_extract, split)
    assert report["docs"] == 2
    # gold: R50.9 (rank 2), W19.XXX (rank 1 after dropping the 7th character), I10 (rank 1),
    # E11.9 (missing) -> @1 = 2/4, @5 = 3/4
    assert report["icd10cm"]["recall@1"] == 0.5
    assert report["icd10cm"]["recall@5"] == 0.75
    assert report["icd10cm_category"]["recall@1"] == 0.75
    assert report["icd10pcs"]["recall@5"] == 0.5
    assert report["icd10pcs_section0"]["recall@5"] == 1.0


def test_when_limit_given_then_only_first_documents(split):
    assert codiesp.run(_extract, split, limit=1)["docs"] == 1


def test_when_folder_missing_then_input_error(tmp_path):
    with pytest.raises(InputError):
        codiesp.load(tmp_path / "absent")


def test_when_mentions_rank_codes_then_they_merge_round_robin_and_ap_follows_the_ranks():
    from evals.metrics import average_precision, merge_ranked

    ranking = merge_ranked([["A", "B"], ["C", "A", "D"]])
    assert ranking == ["A", "C", "B", "D"]
    # gold A at rank 1 (1/1), D at rank 4 (2/4), E never found: (1 + 0.5 + 0) / 3
    assert average_precision(ranking, ["A", "D", "E"]) == pytest.approx(0.5)
    assert average_precision(ranking, []) == 0.0
