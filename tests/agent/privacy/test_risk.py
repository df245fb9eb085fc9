"""Risk measures against a table computed by hand, and the lattice search."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from agent.privacy.risk import (
    QIRow,
    code_and_category_counts,
    generalize_row,
    information_loss,
    measure,
    search_lattice,
)

# Six records in three classes: A x3, B x2, C x1.
KEYS = ["A", "A", "A", "B", "B", "C"]
SENSITIVE = ["x", "x", "y", "x", "x", "z"]


def test_k_anonymity_and_prosecutor_risk_match_the_hand_computed_table():
    r = measure(KEYS, k_threshold=2)
    assert (r.records, r.classes, r.k_min) == (6, 3, 1)
    assert r.share_below_k == pytest.approx(1 / 6)  # only C is below k=2
    assert r.sample_uniques == pytest.approx(1 / 6)
    assert r.prosecutor_highest == 1.0
    assert r.prosecutor_average == pytest.approx(0.5)  # 3 classes / 6 records
    assert r.records_at_highest_prosecutor == pytest.approx(1 / 6)
    # Without a population the journalist risk is the prosecutor risk.
    assert r.journalist_highest == 1.0 and r.journalist_average == pytest.approx(0.5)
    assert measure(KEYS, k_threshold=5).share_below_k == 1.0


def test_journalist_and_population_uniques_with_a_population_twice_the_sample():
    r = measure(KEYS, population_size=12)  # pi = 0.5: F_A = 6, F_B = 4, F_C = 2
    assert r.journalist_highest == pytest.approx(0.5)
    assert r.journalist_average == pytest.approx((3 / 6 + 2 / 4 + 1 / 2) / 6)
    assert r.marketer_journalist == pytest.approx(0.25)
    assert r.population_uniques == pytest.approx(0.25 / 6)  # one sample unique x pi^2


def test_l_diversity_matches_the_hand_computed_table():
    r = measure(KEYS, sensitive=SENSITIVE)
    assert r.l_distinct == 1  # B holds only x, C only z
    assert r.l_entropy == pytest.approx(1.0)
    assert r.share_l_below_2 == pytest.approx(0.5)
    only_a = measure(KEYS[:3], sensitive=SENSITIVE[:3])
    h = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))
    assert only_a.l_distinct == 2 and only_a.l_entropy == pytest.approx(math.exp(h))


def test_bad_input_is_an_error():
    with pytest.raises(ValueError, match="no records"):
        measure([])
    with pytest.raises(ValueError, match="population size"):
        measure(KEYS, population_size=3)


def test_k_and_l_agree_with_pycanon():
    pd = pytest.importorskip("pandas")
    anonymity = pytest.importorskip("pycanon.anonymity")
    df = pd.DataFrame({"qi": KEYS, "s": SENSITIVE})
    assert anonymity.k_anonymity(df, ["qi"]) == measure(KEYS).k_min
    assert anonymity.l_diversity(df, ["qi"], ["s"]) == measure(KEYS, sensitive=SENSITIVE).l_distinct


def _row(age, sex="F", zip3="021", years=(2026,), codes=()):
    return QIRow(age=(age, age), sex=sex, zip3=zip3, years=years, codes=frozenset(codes))


def test_row_generalization_levels():
    rows = [_row(74, codes=["Q85.01", "E11.9"]), _row(71, codes=["E11.9"])]
    counts = code_and_category_counts(rows)
    node = {"age": "band10", "zip": "suppress", "years": "keep", "diagnosis": "keep"}
    key = generalize_row(rows[0], node, category_counts=counts, rare_threshold=2)
    assert key == ((70, 79), "F", None, (2026,), frozenset({"Q85.01"}))
    node["diagnosis"] = "suppress_rare"
    assert generalize_row(rows[0], node, category_counts=counts, rare_threshold=2)[4] == set()
    assert information_loss({"age": "exact", "zip": "zip3", "years": "keep",
                             "diagnosis": "keep"}) == 0.0


def test_lattice_search_finds_the_least_generalization_under_the_threshold():
    # Ten patients of one ZIP, ages spread over 70-79: unique by exact age, 5-anonymous
    # in 5-year bands, 10-anonymous in 10-year bands.
    rows = [_row(70 + i) for i in range(10)]
    best, nodes = search_lattice(rows, max_risk=0.2, k_threshold=5, rare_threshold=2)
    assert best is not None and best.node["age"] == "band5" and best.risk.k_min == 5
    assert best.node["zip"] == "zip3" and best.node["diagnosis"] == "keep"
    assert len(nodes) == 4 * 2 * 2 * 3
    assert Counter(n.risk.k_min for n in nodes if n.node["age"] == "exact") == {1: 12}
    best, _ = search_lattice(rows, max_risk=0.15, k_threshold=5, rare_threshold=2)
    assert best is not None and best.node["age"] == "band10" and best.risk.k_min == 10
    none, _ = search_lattice(rows[:3], max_risk=0.2, k_threshold=5, rare_threshold=2)
    assert none is None


def test_lattice_search_may_suppress_outliers_up_to_the_limit():
    # Ten patients aged 70-74 and one aged 95: the 95-year-old is alone in every band.
    rows = [_row(70 + i % 5) for i in range(10)] + [_row(95)]
    best, _ = search_lattice(rows, max_risk=0.2, k_threshold=5, rare_threshold=2)
    assert best is not None and best.node["age"] == "suppress"
    best, _ = search_lattice(rows, max_risk=0.2, k_threshold=5, rare_threshold=2,
                             max_suppressed=0.1)
    assert best is not None and best.node["age"] == "band5"
    assert best.suppressed_share == pytest.approx(1 / 11)
    assert best.risk_after_suppression.k_min == 10 and best.risk.k_min == 1
