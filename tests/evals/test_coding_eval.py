"""The coding evaluation on a tiny synthetic CodiEsp-like split: report written, and the
ranker learns from simulated feedback."""

from __future__ import annotations

import json

from agent.schemas.extraction import Code, Entity
from evals import coding

DOCS = [f"d{i}" for i in range(12)]


def _extract(text: str) -> list[Entity]:
    # The vocabulary ranks "other specified cough" first; the coders' gold is R05.9.
    return [Entity(start=0, end=5, text="Cough", type="PROBLEM",
                   normalized={"canonical": "cough"},
                   codes=[Code(system="ICD-10-CM", code="R05.8", display="x", score=0.9),
                          Code(system="ICD-10-CM", code="R05.9", display="x", score=0.8)]),
            Entity(start=10, end=22, text="appendectomy", type="PROCEDURE",
                   codes=[Code(system="ICD-10-PCS", code="0DTJ4ZZ", display="x", score=0.9)])]


def test_runner_writes_reports_and_feedback_does_not_lower_map(tmp_path):
    split = tmp_path / "train"
    (split / "text_files_en").mkdir(parents=True)
    for doc in DOCS:
        (split / "text_files_en" / f"{doc}.txt").write_text("Cough and appendectomy.")
    (split / "trainD.tsv").write_text("".join(f"{d}\tr05.9\n" for d in DOCS))
    (split / "trainP.tsv").write_text("".join(f"{d}\t0dtj4zz\n" for d in DOCS))
    assert {coding.part_of(d) for d in DOCS} == {"A", "B"}

    report = coding.run(split, extract_fn=_extract)
    paths = coding.write_reports(report, tmp_path / "reports")

    saved = json.loads(paths[0].read_text())
    assert saved["docs"] == len(DOCS)
    assert [p["fraction"] for p in saved["learning_curve"]] == list(coding.FRACTIONS)
    before, after = saved["part_b_before"]["ICD-10-CM"], saved["part_b_after"]["ICD-10-CM"]
    assert before["recall@1"] == 0.0 and before["recall@5"] == 1.0
    assert after["map"] >= before["map"] and after["recall@1"] == 1.0
    assert saved["part_b_after"]["ICD-10-PCS"]["recall@1"] == 1.0
    assert "<svg" in paths[1].read_text() and "polyline" in paths[1].read_text()
