"""Metric functions shared by every evaluation (unit-tested in tests/evals/test_metrics.py).

Spans are ``(start, end, label)`` triples with end-exclusive character offsets. Two matching
modes are used throughout, following the i2b2/n2c2 convention:
- exact: same start, end and label;
- overlap: same label and the character ranges intersect; each gold span and each predicted
  span is matched at most once (greedy, in offset order) so a long prediction cannot claim
  several gold spans.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SpanTuple = tuple[int, int, str]


@dataclass
class PRF:
    """Counts with derived precision, recall, F1 and F2."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: PRF) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def f_beta(self, beta: float) -> float:
        p, r = self.precision, self.recall
        if p == 0.0 and r == 0.0:
            return 0.0
        b2 = beta * beta
        return (1 + b2) * p * r / (b2 * p + r)

    @property
    def f1(self) -> float:
        return self.f_beta(1.0)

    @property
    def f2(self) -> float:
        return self.f_beta(2.0)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": round(self.precision, 4), "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def _overlaps(a: SpanTuple, b: SpanTuple) -> bool:
    return a[2] == b[2] and a[0] < b[1] and b[0] < a[1]


def match_spans(gold: Iterable[SpanTuple], pred: Iterable[SpanTuple], *, mode: str) -> PRF:
    """Score predicted spans against gold spans of one document.

    Args:
        gold: gold ``(start, end, label)`` spans.
        pred: predicted spans.
        mode: ``"exact"`` or ``"overlap"``.

    Returns:
        PRF counts for this document.

    Raises:
        ValueError: unknown mode.
    """
    gold_set = sorted(set(gold))
    pred_set = sorted(set(pred))
    if mode == "exact":
        tp = len(set(gold_set) & set(pred_set))
        return PRF(tp=tp, fp=len(pred_set) - tp, fn=len(gold_set) - tp)
    if mode != "overlap":
        raise ValueError(f"unknown match mode {mode!r}; use 'exact' or 'overlap'")
    used: set[int] = set()
    tp = 0
    for g in gold_set:
        for i, p in enumerate(pred_set):
            if i not in used and _overlaps(g, p):
                used.add(i)
                tp += 1
                break
    return PRF(tp=tp, fp=len(pred_set) - len(used), fn=len(gold_set) - tp)


def per_label(
    gold: Sequence[SpanTuple], pred: Sequence[SpanTuple], *, mode: str
) -> dict[str, PRF]:
    """Split :func:`match_spans` by label; includes labels seen only in predictions."""
    labels = {s[2] for s in gold} | {s[2] for s in pred}
    return {
        lab: match_spans([g for g in gold if g[2] == lab], [p for p in pred if p[2] == lab],
                         mode=mode)
        for lab in sorted(labels)
    }


def accuracy(pairs: Iterable[tuple[object, object]]) -> float:
    """Share of (gold, predicted) pairs that are equal; 0.0 for no pairs."""
    pairs = list(pairs)
    return sum(1 for g, p in pairs if g == p) / len(pairs) if pairs else 0.0


def merge_ranked(ranked: Sequence[Sequence[str]]) -> list[str]:
    """One document ranking from per-mention candidate lists: every mention's first
    candidate, then every second one, and so on (mention order breaks ties), no repeats."""
    out: dict[str, None] = {}
    for depth in range(max((len(c) for c in ranked), default=0)):
        for cands in ranked:
            if depth < len(cands):
                out.setdefault(cands[depth], None)
    return list(out)


def average_precision(ranking: Sequence[str], gold: Sequence[str]) -> float:
    """Average precision of one ranking: the mean over gold codes of the precision at the
    rank where each is found (0 for a code never found)."""
    wanted = set(gold)
    if not wanted:
        return 0.0
    hits = 0
    total = 0.0
    for i, code in enumerate(ranking, start=1):
        if code in wanted:
            hits += 1
            total += hits / i
    return total / len(wanted)


def recall_at_k(ranked: Sequence[Sequence[str]], gold: Sequence[str], k: int) -> float:
    """Share of gold codes found in the top-k of any of the ranked candidate lists.

    Args:
        ranked: one ranked candidate list per extracted mention of a document.
        gold: the document's gold codes.
        k: cut-off.
    """
    if not gold:
        return 0.0
    found = {c for cands in ranked for c in cands[:k]}
    return sum(1 for g in gold if g in found) / len(gold)
