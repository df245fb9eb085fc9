"""The adversarial planting generator: gold offsets point at the planted values, every kind
is planted, the same seed gives the same notes; the leak rule."""

from __future__ import annotations

from evals.deid_adversarial import KINDS, generate, leaks, over_redaction


def test_every_kind_is_planted_with_gold_on_its_value():
    docs, kind_of = generate(20)
    assert {kind_of[k] for k in kind_of} == set(KINDS)
    for d in docs:
        for s, e, _ in d.gold:
            value = d.text[s:e]
            assert value.strip() == value and value  # no padding in the gold
    again, _ = generate(20)
    assert [d.text for d in again] == [d.text for d in docs]


def test_a_value_leaks_unless_every_letter_and_digit_is_covered():
    docs, kind_of = generate(1)
    d = docs[0]
    s, e, _ = d.gold[0]
    full = {d.doc_id: [(s, e, "X")]}
    part = {d.doc_id: [(s, e - 2, "X")]}
    kind = kind_of[f"{d.doc_id}:{s}"]
    assert leaks(docs, full, kind_of)[kind]["leaked"] == 0
    assert leaks(docs, part, kind_of)[kind]["leaked"] == 1


def test_over_redaction_counts_removed_letters_outside_the_planted_values():
    docs, _ = generate(1)
    d = docs[0]
    assert over_redaction(docs, {d.doc_id: [(s, e, "X") for s, e, _ in d.gold]}) == 0.0
    assert over_redaction(docs, {d.doc_id: [(0, len(d.text), "X")]}) == 1.0
