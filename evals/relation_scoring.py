"""Scoring of relations as (head span, tail span) pairs, and the nearest-drug baseline.

A relation matches a gold relation when both arguments match: ``exact`` (same offsets) or
``overlap`` (both argument ranges intersect). Matching is one to one, greedy in gold
order, so a long predicted span cannot claim two gold relations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.schemas.extraction import Entity
from evals.metrics import PRF

ArgSpan = tuple[int, int]


@dataclass(frozen=True)
class Pair:
    """One relation as argument offsets, with its type and assertion."""

    head: ArgSpan
    tail: ArgSpan
    type: str = "CAUSES"
    assertion: str = "present"


def _hits(a: ArgSpan, b: ArgSpan, mode: str) -> bool:
    if mode == "exact":
        return a == b
    return a[0] < b[1] and b[0] < a[1]


def match_pairs(gold: Sequence[Pair], pred: Sequence[Pair], *, mode: str,
                typed: bool = True, merge_parts: bool = False,
                ) -> tuple[PRF, list[tuple[Pair, Pair]]]:
    """Match predicted relations to gold ones.

    Args:
        gold: gold relations of one document.
        pred: predicted relations of the same document.
        mode: ``exact`` or ``overlap`` (applied to both arguments).
        typed: the types must agree too.
        merge_parts: (overlap mode) a prediction overlapping both arguments of a gold
            relation that another prediction already matched is not a false positive:
            PHEE writes coordinated effects as one argument ("fever, rash and nausea")
            where the extractor finds each one.

    Returns:
        Counts, and the matched (gold, predicted) pairs.

    Raises:
        ValueError: unknown mode.
    """
    if mode not in ("exact", "overlap"):
        raise ValueError(f"unknown mode {mode!r}; use 'exact' or 'overlap'")
    used: set[int] = set()
    matched: list[tuple[Pair, Pair]] = []
    for g in sorted(set(gold), key=lambda p: (p.head, p.tail)):
        for i, p in enumerate(pred):
            if i in used or (typed and p.type != g.type):
                continue
            if _hits(g.head, p.head, mode) and _hits(g.tail, p.tail, mode):
                used.add(i)
                matched.append((g, p))
                break
    n_gold = len(set(gold))
    extra = 0
    if merge_parts and mode == "overlap":
        extra = sum(1 for i, p in enumerate(pred) if i not in used and any(
            _hits(g.head, p.head, mode) and _hits(g.tail, p.tail, mode)
            and (not typed or g.type == p.type) for g, _ in matched))
    return PRF(tp=len(matched), fp=len(pred) - len(matched) - extra,
               fn=n_gold - len(matched)), matched


def nearest_drug_baseline(entities: Sequence[Entity], sentences: Sequence[ArgSpan],
                          ) -> list[Pair]:
    """Every problem linked to the nearest drug of its sentence (characters between the
    two mentions), as CAUSES, assertion present: the baseline of the relation report."""
    out: list[Pair] = []
    for a, z in sentences:
        drugs = [e for e in entities if e.type in ("MEDICATION", "ALLERGY")
                 and a <= e.start and e.end <= z]
        for problem in (e for e in entities if e.type == "PROBLEM"
                        and a <= e.start and e.end <= z):
            if not drugs:
                break
            drug = min(drugs, key=lambda d: max(d.start - problem.end, problem.start - d.end))
            out.append(Pair((drug.start, drug.end), (problem.start, problem.end)))
    return out
