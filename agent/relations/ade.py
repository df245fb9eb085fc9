"""Adverse-effect mentions the disease dictionary does not name ("developed hives",
"PCN -> throat swelling").

Candidates come from two kinds of rules of ``relations.json``: ``effect_term`` (effect
words, "rash", "hives", "angioedema") and ``ade_cue`` (a cue whose ``effect`` group is the
effect, "developed X", "presented with X"). They are searched only in sentences that name a
drug, and the relation extractor keeps a candidate only when a relation uses it: an effect
word alone ("no nausea" in a review of systems) is not an adverse event.
"""

from __future__ import annotations

from agent.schemas.extraction import Entity
from agent.schemas.relation_rules import RelationRuleSet

VOCABULARY = "relations.json"


def effect_candidates(text: str, start: int, end: int, rules: RelationRuleSet,
                      taken: list[tuple[int, int]]) -> list[Entity]:
    """Adverse-effect candidates in ``text[start:end]`` that overlap no entity.

    Args:
        text: the note text.
        start: the sentence start.
        end: the sentence end.
        rules: the compiled relation rules.
        taken: spans of the note's entities (a candidate overlapping one is dropped: the
            extractor's own mention wins).

    Returns:
        PROBLEM entities marked ``normalized["ade_candidate"] = True``, longest first on
        overlaps, in text order.
    """
    spans: list[tuple[int, int]] = []
    for _rule, m in rules.finditer("effect_term", text, start, end):
        spans.append(m.span())
    for _rule, m in rules.finditer("ade_cue", text, start, end):
        a, z = m.span("effect")
        if a < z:
            spans.append((a, z))
    spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    kept: list[tuple[int, int]] = []
    for a, z in spans:
        if any(a < tz and ta < z for ta, tz in taken + kept):
            continue
        kept.append((a, z))
    return [Entity(start=a, end=z, text=text[a:z], type="PROBLEM",
                   normalized={"canonical": " ".join(text[a:z].lower().split()),
                               "vocabulary": VOCABULARY, "ade_candidate": True})
            for a, z in sorted(kept)]


def is_effect(entity: Entity, rules: RelationRuleSet) -> bool:
    """Whether an entity names an adverse effect (found as one, or an effect term)."""
    return bool(entity.normalized.get("ade_candidate")) or rules.is_effect_term(entity.text)
