"""The NCBI disease (PubTator) loader and scorer on a tiny synthetic file."""

from __future__ import annotations

import pytest

from agent.errors import InputError
from agent.schemas.extraction import Entity
from evals.ncbi_disease import load, run

PUBTATOR = (
    "1|t|Gout and anemia.\n"
    "1|a|Renal failure was absent.\n"
    "1\t0\t4\tGout\tSpecificDisease\tD1\n"
    "1\t9\t15\tanemia\tDiseaseClass\tD2\n"
    "1\t17\t30\tRenal failure\tSpecificDisease\tD3\n"
    "\n"
)


def test_when_file_is_pubtator_then_text_joins_title_and_abstract(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text(PUBTATOR)
    doc = load(p)[0]
    assert doc.text == "Gout and anemia. Renal failure was absent."
    assert [doc.text[s:e] for s, e, _ in doc.spans] == ["Gout", "anemia", "Renal failure"]


def test_run_scores_exact_and_overlap(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text(PUBTATOR)

    def fake(text):
        return [Entity(start=0, end=4, text="Gout", type="PROBLEM"),
                Entity(start=17, end=22, text="Renal", type="PROBLEM"),
                Entity(start=35, end=41, text="absent", type="PROBLEM")]

    r = run(fake, p)
    assert r["exact"]["tp"] == 1 and r["overlap"]["tp"] == 2
    assert r["overlap"]["fp"] == 1 and r["overlap"]["fn"] == 1


def test_when_line_is_malformed_then_error_names_line(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("1|t|Gout.\ngarbage line\n")
    with pytest.raises(InputError) as e:
        load(p)
    assert e.value.line == 2
