"""Body-site mentions (``LOCATED_AT`` tails) with their laterality.

Sites are the ``body_site`` rules of ``relations.json``; a side word written right before
one ("left lower lobe", "R IJ") joins the site and gives its laterality, as does an
abbreviation that carries the side ("LLE" = left lower extremity).
"""

from __future__ import annotations

from agent.relations.ade import VOCABULARY
from agent.schemas.extraction import Entity
from agent.schemas.relation_rules import RelationRuleSet

# How far back a side word may start ("bilateral " is the longest).
_SIDE_WINDOW = 12


def site_candidates(text: str, start: int, end: int, rules: RelationRuleSet) -> list[Entity]:
    """Body sites in ``text[start:end]``, each with its laterality when the text gives one.

    Returns:
        ANATOMY entities (``normalized["laterality"]``: left / right / bilateral / None),
        longest first on overlaps, in text order.
    """
    found: list[tuple[int, int, str | None]] = []
    for rule, m in rules.finditer("body_site", text, start, end):
        a, z = m.span()
        side = rule.label
        if side is None:
            before = text[max(start, a - _SIDE_WINDOW):a]
            for lat, lm in rules.finditer("laterality", before):
                side = lat.label
                a -= len(before) - lm.start()
                break
        found.append((a, z, side))
    found.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    kept: list[tuple[int, int, str | None]] = []
    for a, z, side in found:
        if not any(a < kz and ka < z for ka, kz, _ in kept):
            kept.append((a, z, side))
    return [Entity(start=a, end=z, text=text[a:z], type="ANATOMY",
                   normalized={"canonical": " ".join(text[a:z].lower().split()),
                               "vocabulary": VOCABULARY, "laterality": side})
            for a, z, side in sorted(kept)]
