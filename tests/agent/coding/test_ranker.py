"""The re-ranker learns from coder decisions; confidences route to the review queue."""

from __future__ import annotations

import pytest

from agent.coding.confidence import confidence, route
from agent.coding.ranker import Ranker, read_decisions
from agent.coding.suggest import Suggester
from agent.errors import InputError
from agent.schemas.coding import CoderDecision, RankReasons
from agent.schemas.extraction import Code, Entity


def _diabetes(start: int = 0) -> Entity:
    return Entity(start=start, end=start + 15, text="type 2 diabetes", type="PROBLEM",
                  normalized={"canonical": "diabetes mellitus, type 2"},
                  codes=[Code(system="ICD-10-CM", code="E11.9", display="x", score=1.0),
                         Code(system="ICD-10-CM", code="E11.8", display="x", score=0.85)])


def _replace(note: str) -> CoderDecision:
    return CoderDecision(note_id=note, concept="diabetes mellitus, type 2", code="E11.9",
                         decision="replace", replacement="E11.65", score=1.0)


def test_when_coders_replace_a_code_then_the_replacement_ranks_above_it():
    before = Suggester().suggest("n", "type 2 diabetes", [_diabetes()])
    assert before.suggestions[0].code == "E11.9"
    ranker = Ranker.train([_replace(f"n{i}") for i in range(3)])
    after = Suggester(ranker=ranker).suggest("n", "type 2 diabetes", [_diabetes()])
    codes = [s.code for s in after.suggestions]
    assert codes.index("E11.65") < codes.index("E11.9")
    learned = after.suggestions[codes.index("E11.65")]
    assert learned.rank_reasons.match_type == "learned"
    assert after.provenance.ranker_version == ranker.version != before.provenance.ranker_version


def test_accepts_raise_and_rejects_lower_a_candidate():
    accept = [CoderDecision(note_id=f"n{i}", concept="diabetes mellitus, type 2",
                            code="E11.8", decision="accept") for i in range(4)]
    reject = [CoderDecision(note_id=f"n{i}", concept="diabetes mellitus, type 2",
                            code="E11.9", decision="reject") for i in range(4)]
    ranked = Ranker.train(accept + reject).rerank(
        "ICD-10-CM", "Diabetes mellitus, type 2", [("E11.9", 1.0), ("E11.8", 0.85)])
    assert [a.code for a in ranked] == ["E11.8", "E11.9"]
    assert ranked[1].adjustment < 0 < ranked[0].adjustment


def test_ranker_round_trips_through_json_with_its_version(tmp_path):
    ranker = Ranker.train([_replace("n1"), _replace("n2")])
    version = ranker.save(tmp_path / "r.json")
    loaded = Ranker.load(tmp_path / "r.json")
    assert loaded.version == version == ranker.version
    assert version.startswith("ranker-v1:")


def test_bad_ranker_file_names_the_fix(tmp_path):
    bad = tmp_path / "r.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="retrain"):
        Ranker.load(bad)


def test_decisions_file_with_a_bad_line_names_the_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(_replace("n1").model_dump_json() + "\n"
                    + '{"code": "E11.9", "decision": "replace"}\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_decisions(path)
    assert err.value.line == 2


def test_decision_rejects_a_malformed_code():
    with pytest.raises(ValueError, match="code"):
        CoderDecision(code="not-a-code", decision="accept")


def test_calibration_is_learned_from_scored_decisions():
    decisions = [CoderDecision(note_id=f"a{i}", concept="c", code="R05.9", decision="accept",
                               score=0.9) for i in range(15)]
    decisions += [CoderDecision(note_id=f"r{i}", concept="c", code="R05.8", decision="reject",
                                score=0.3) for i in range(15)]
    ranker = Ranker.train(decisions)
    assert ranker.calibration is not None
    reasons = RankReasons(match_type="vocabulary", specificity="billable", assertion="present",
                          vocabulary_score=0.5, section_weight=1.0, mention_count=1)
    assert confidence(0.9, reasons, ranker.calibration) > 0.8
    assert confidence(0.3, reasons, ranker.calibration) < 0.2


def test_confidence_routes_low_suggestions_to_review():
    reasons = RankReasons(match_type="vocabulary", specificity="billable", assertion="present",
                          vocabulary_score=0.9, section_weight=1.0, mention_count=1)
    assert route(confidence(0.9, reasons)) == "pre-accepted"
    assert route(confidence(0.5, reasons)) == "review"
    alternative = reasons.model_copy(update={"mention_rank": 1})
    assert confidence(0.7, alternative) < confidence(0.7, reasons)
    assert route(0.59, 0.6) == "review" and route(0.6, 0.6) == "pre-accepted"


def test_suggestions_carry_confidence_route_and_threshold():
    notes = Suggester().suggest("n", "type 2 diabetes", [_diabetes()])
    top, alt = notes.suggestions[0], notes.suggestions[1]
    assert top.route == "pre-accepted" and alt.route == "review"
    assert notes.provenance.review_threshold == 0.6
