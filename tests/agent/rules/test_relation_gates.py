"""Gated relation rules find exactly what the plain rule set finds."""

from __future__ import annotations

from agent.rules import Rules
from agent.rules.relation_gates import GatedRelationRuleSet
from agent.schemas.relation_rules import RelationRuleSet
from evals.synthetic import load_notes

_KINDS = ("body_site", "laterality", "effect_term", "ade_cue", "change", "pair")


def _found(results):
    return [(rule.pattern, m.span()) for rule, m in results]


def test_every_window_of_the_demo_notes_gives_the_plain_matches():
    rules = Rules.load().relations
    assert isinstance(rules, GatedRelationRuleSet)
    found = 0
    for note in load_notes()[::2]:  # half the notes: every kind still matches > 200 times
        text = note.text
        for start in range(0, len(text), 53):
            end = min(len(text), start + 90)
            for kind in _KINDS:
                ours = _found(rules.finditer(kind, text, start, end))
                assert ours == _found(RelationRuleSet.finditer(rules, kind, text, start, end))
                found += len(ours)
    assert found > 200


def test_a_window_without_the_literals_is_skipped_and_one_with_them_is_not():
    rules = Rules.load().relations
    text = "Developed hives after amoxicillin; LLE edema."
    assert _found(rules.finditer("effect_term", text, 0, 9)) == []
    assert _found(rules.finditer("effect_term", text)) == _found(
        RelationRuleSet.finditer(rules, "effect_term", text))
    assert _found(rules.finditer("effect_term", text))
    assert _found(rules.finditer("body_site", text)) == [(rules.rules("body_site")[0][0].pattern,
                                                          (35, 38))]
