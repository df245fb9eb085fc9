"""Relation pair scoring and the nearest-drug baseline."""

from __future__ import annotations

import pytest

from agent.schemas.extraction import Entity
from evals.relation_scoring import Pair, match_pairs, nearest_drug_baseline

GOLD = [Pair((0, 5), (10, 30)), Pair((40, 45), (50, 55), "TREATS")]


def test_exact_needs_both_offsets_overlap_needs_both_arguments():
    pred = [Pair((0, 5), (10, 30)), Pair((40, 45), (52, 54), "TREATS")]
    exact, _ = match_pairs(GOLD, pred, mode="exact")
    overlap, matched = match_pairs(GOLD, pred, mode="overlap")
    assert (exact.tp, exact.fp, exact.fn) == (1, 1, 1)
    assert (overlap.tp, overlap.fp, overlap.fn) == (2, 0, 0) and len(matched) == 2


def test_when_type_differs_then_only_untyped_matches():
    pred = [Pair((40, 45), (50, 55), "CAUSES")]
    assert match_pairs(GOLD, pred, mode="overlap")[0].tp == 0
    assert match_pairs(GOLD, pred, mode="overlap", typed=False)[0].tp == 1


def test_one_prediction_matches_one_gold_unless_parts_merged():
    gold = [Pair((0, 5), (10, 40))]
    pred = [Pair((0, 5), (10, 15)), Pair((0, 5), (20, 25))]
    strict = match_pairs(gold, pred, mode="overlap")[0]
    merged = match_pairs(gold, pred, mode="overlap", merge_parts=True)[0]
    assert (strict.tp, strict.fp) == (1, 1)
    assert (merged.tp, merged.fp) == (1, 0)


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="exact"):
        match_pairs(GOLD, GOLD, mode="fuzzy")


def test_baseline_links_each_problem_to_nearest_drug_of_its_sentence():
    def ent(start, end, kind):
        return Entity(start=start, end=end, text="x" * (end - start), type=kind)

    entities = [ent(0, 5, "MEDICATION"), ent(10, 15, "PROBLEM"), ent(30, 35, "MEDICATION"),
                ent(37, 40, "PROBLEM"), ent(60, 65, "PROBLEM")]
    pairs = nearest_drug_baseline(entities, [(0, 50), (50, 70)])
    assert pairs == [Pair((0, 5), (10, 15)), Pair((30, 35), (37, 40))]


def test_demo_relation_gold_offsets_match_the_notes_and_has_traps():
    from evals.relations import load_demo_gold

    gold = load_demo_gold()
    assert sum(len(v) for v in gold.relations.values()) >= 100
    assert {p.type for v in gold.relations.values() for p in v} == {
        "CAUSES", "TREATS", "LOCATED_AT", "CONTRAINDICATED_BY"}
    assert sum(len(v) for v in gold.traps.values()) >= 5
    assert any(not c["expect"] for c in gold.sentences)
    assert any("No rash" in c["text"] for c in gold.sentences)


def test_phee_loader_reads_drug_effect_pairs_with_assertion(tmp_path):
    import json

    from evals.relations import load_phee

    text = "Rash may occur after penicillin and amoxicillin."
    event = {"event_type": "Adverse_event",
             "Effect": {"text": [["Rash"]], "start": [[0]]},
             "Speculated": {"text": [["may"]], "start": [[5]]},
             "Treatment": {"text": [["penicillin and amoxicillin"]], "start": [[21]],
                           "Drug": {"text": [["penicillin"], ["amoxicillin"]],
                                    "start": [[21], [36]]}}}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"id": "s1", "context": text,
                                "annotations": [{"events": [event]}]}) + "\n")
    [sentence] = load_phee(path)
    assert sentence.gold == (Pair((21, 31), (0, 4), "CAUSES", "speculated"),
                             Pair((36, 47), (0, 4), "CAUSES", "speculated"))


def test_phee_loader_rejects_offsets_that_miss_their_text(tmp_path):
    import json

    from agent.errors import InputError
    from evals.relations import load_phee

    event = {"event_type": "Adverse_event", "Effect": {"text": [["Rash"]], "start": [[3]]},
             "Treatment": {"Drug": {"text": [["x"]], "start": [[0]]}}}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"id": "s1", "context": "Rash x",
                                "annotations": [{"events": [event]}]}) + "\n")
    with pytest.raises(InputError, match="offset"):
        load_phee(path)
