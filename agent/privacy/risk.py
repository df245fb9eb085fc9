"""Re-identification risk of a quasi-identifier table, with the measures ARX reports, and
the search over the generalization lattice for the least generalization under a threshold.

Formulas (n records; an equivalence class j holds the f_j records that share every QI
value; optional population size N, sampling fraction pi = n / N, expected population class
size F_j = f_j / pi):

- k-anonymity: k = min_j f_j; records at risk: share of records whose class has f_j < k0.
- prosecutor risk (the attacker knows the person is in the data): record risk 1 / f_j;
  highest 1 / k; average = mean over records of 1 / f_j = (number of classes) / n (ARX's
  "average prosecutor risk", also its prosecutor marketer risk); sample uniques: share of
  records with f_j = 1.
- journalist risk (the attacker does not know whether the person is in the data): record
  risk 1 / F_j; highest max_j 1 / F_j; average mean over records. Without N (pi = 1) it
  equals the prosecutor risk. Journalist marketer risk = (1 / n) sum_j f_j / F_j.
- population uniques: a sample-unique record is unique in the population with probability
  pi^2 (Bernoulli sampling with a flat prior on the population class size: P(F = 1 | f = 1)
  = pi * 1 / sum_{x>=0} (1 + x) pi (1 - pi)^x = pi^2); the estimate is sum over sample
  uniques of pi^2, as a share of n.
- distinct l-diversity: l = min_j (distinct sensitive values in class j); entropy
  l-diversity: min_j exp(H_j) with H_j the entropy of the class's sensitive values.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass

from agent.privacy.generalize import icd10_category

# Levels of the table-level lattice, coarsest last, and how release policy rules map on it.
LATTICE: dict[str, tuple[str, ...]] = {
    "age": ("exact", "band5", "band10", "suppress"),
    "zip": ("zip3", "suppress"),
    "years": ("keep", "suppress"),
    "diagnosis": ("keep", "category", "suppress_rare"),
}


@dataclass(frozen=True)
class RiskSummary:
    """The measures of one table (see the module docstring for the formulas)."""

    records: int
    classes: int
    k_min: int
    k_threshold: int
    share_below_k: float
    sample_uniques: float
    prosecutor_highest: float
    prosecutor_average: float
    records_at_highest_prosecutor: float
    journalist_highest: float
    journalist_average: float
    marketer_prosecutor: float
    marketer_journalist: float
    population_size: int | None
    population_uniques: float
    l_distinct: int | None
    l_entropy: float | None
    share_l_below_2: float | None

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v)
                for k, v in asdict(self).items()}


def equivalence_classes(keys: Sequence[Hashable]) -> Counter:
    """Class sizes: QI tuple -> number of records."""
    return Counter(keys)


def measure(keys: Sequence[Hashable], *, sensitive: Sequence[Hashable] | None = None,
            k_threshold: int = 5, population_size: int | None = None) -> RiskSummary:
    """The risk measures of a table given each record's QI tuple.

    Args:
        keys: one hashable QI tuple per record.
        sensitive: the sensitive value of each record (for l-diversity), same order.
        k_threshold: classes smaller than this are "at risk".
        population_size: N (>= number of records); None = the sample is the population.

    Raises:
        ValueError: no records, a population smaller than the sample, or ``sensitive`` of
            another length.
    """
    n = len(keys)
    if n == 0:
        raise ValueError("no records to measure")
    if population_size is not None and population_size < n:
        raise ValueError(f"population size {population_size} is smaller than the sample "
                         f"({n} records); set privacy.population_size to at least {n}")
    sizes = equivalence_classes(keys)
    f = [sizes[k] for k in keys]
    pi = n / population_size if population_size else 1.0
    k_min = min(sizes.values())
    journalist = [min(1.0, pi / fj) for fj in f]  # 1 / F_j with F_j = f_j / pi
    l_distinct = l_entropy = share_l = None
    if sensitive is not None:
        if len(sensitive) != n:
            raise ValueError("one sensitive value per record is needed")
        values: dict[Hashable, Counter] = defaultdict(Counter)
        for k, s in zip(keys, sensitive, strict=True):
            values[k][s] += 1
        l_distinct = min(len(c) for c in values.values())
        l_entropy = min(math.exp(_entropy(c)) for c in values.values())
        share_l = sum(sizes[k] for k, c in values.items() if len(c) < 2) / n
    return RiskSummary(
        records=n, classes=len(sizes), k_min=k_min, k_threshold=k_threshold,
        share_below_k=sum(1 for fj in f if fj < k_threshold) / n,
        sample_uniques=sum(1 for fj in f if fj == 1) / n,
        prosecutor_highest=1.0 / k_min,
        prosecutor_average=len(sizes) / n,
        records_at_highest_prosecutor=sum(1 for fj in f if fj == k_min) / n,
        journalist_highest=max(journalist),
        journalist_average=sum(journalist) / n,
        marketer_prosecutor=len(sizes) / n,
        marketer_journalist=sum(journalist) / n,
        population_size=population_size,
        population_uniques=sum(pi * pi for fj in f if fj == 1) / n,
        l_distinct=l_distinct, l_entropy=l_entropy, share_l_below_2=share_l,
    )


def _entropy(counts: Counter) -> float:
    total = sum(counts.values())
    return -sum(c / total * math.log(c / total) for c in counts.values())


# ---- the table and its generalization ---------------------------------------------------


@dataclass(frozen=True)
class QIRow:
    """One patient's QI values in table form (hashable parts only)."""

    age: tuple[int, int] | None
    sex: str | None
    zip3: str | None
    years: tuple[int, ...]
    codes: frozenset[str]


def _age_level(age: tuple[int, int] | None, level: str) -> tuple[int, int] | None:
    if age is None or level == "exact":
        return age
    if level == "suppress":
        return None
    if age[0] >= 90:
        return (90, 120)
    width = 5 if level == "band5" else 10
    lo, hi = age[0] // width * width, age[1] // width * width
    # An interval already wider than the band (a 10-year band asked for in 5s) stays.
    return (lo, lo + width - 1) if lo == hi else age


def generalize_row(row: QIRow, node: dict[str, str], *, category_counts: Counter,
                   rare_threshold: int) -> tuple:
    """The QI tuple of ``row`` at lattice ``node`` (a level per :data:`LATTICE` key).

    Only rare codes are quasi-identifiers: a code (or category) held by fewer than
    ``rare_threshold`` patients; ``suppress_rare`` removes rare categories.
    """
    dx = node["diagnosis"]
    if dx == "keep":
        rare = frozenset(c for c in row.codes if category_counts[("code", c)] < rare_threshold)
    else:
        cats = {icd10_category(c) for c in row.codes}
        rare = frozenset(c for c in cats if category_counts[("cat", c)] < rare_threshold)
        if dx == "suppress_rare":
            rare = frozenset()
    return (_age_level(row.age, node["age"]), row.sex,
            row.zip3 if node["zip"] == "zip3" else None,
            row.years if node["years"] == "keep" else (), rare)


def code_and_category_counts(rows: Sequence[QIRow]) -> Counter:
    """Patients per ("code", code) and per ("cat", category)."""
    out: Counter = Counter()
    for r in rows:
        out.update(("code", c) for c in r.codes)
        out.update(("cat", c) for c in {icd10_category(c) for c in r.codes})
    return out


def node_of_policy(policy) -> dict[str, str]:
    """The lattice node a release policy's rules correspond to (dates keep their years)."""
    return {"age": policy.age, "zip": policy.zip, "years": "keep",
            "diagnosis": policy.diagnosis}


def information_loss(node: dict[str, str]) -> float:
    """Share of the lattice's height the node climbs (0 = nothing generalized, 1 = all
    suppressed): the generalization-height measure of ARX, normalized per QI."""
    return sum(LATTICE[k].index(v) / (len(LATTICE[k]) - 1) for k, v in node.items()) / len(node)


@dataclass(frozen=True)
class LatticeResult:
    """One lattice node's risk, before and after suppressing the records of classes too
    small for the threshold (ARX's suppression limit)."""

    node: dict[str, str]
    loss: float
    risk: RiskSummary
    suppressed_share: float
    risk_after_suppression: RiskSummary | None


def search_lattice(rows: Sequence[QIRow], *, max_risk: float, k_threshold: int,
                   rare_threshold: int, population_size: int | None = None,
                   sensitive: Sequence[Hashable] | None = None,
                   max_suppressed: float = 0.0,
                   ) -> tuple[LatticeResult | None, list[LatticeResult]]:
    """Every node of the lattice measured; the best node is the least information loss
    whose highest prosecutor risk is at most ``max_risk`` once the records of classes
    smaller than ``ceil(1 / max_risk)`` are suppressed, when those are at most
    ``max_suppressed`` of the records (ties: fewer suppressed).

    Returns:
        (best node or None when none meets the threshold, all nodes by loss).
    """
    counts = code_and_category_counts(rows)
    k_needed = math.ceil(1 / max_risk - 1e-9)
    results = []
    for levels in itertools.product(*LATTICE.values()):
        node = dict(zip(LATTICE, levels, strict=True))
        keys = [generalize_row(r, node, category_counts=counts, rare_threshold=rare_threshold)
                for r in rows]
        risk = measure(keys, sensitive=sensitive, k_threshold=k_threshold,
                       population_size=population_size)
        sizes = Counter(keys)
        kept = [i for i, k in enumerate(keys) if sizes[k] >= k_needed]
        share = 1 - len(kept) / len(keys)
        after = None
        if kept and share <= max_suppressed:
            after = measure([keys[i] for i in kept],
                            sensitive=[sensitive[i] for i in kept] if sensitive else None,
                            k_threshold=k_threshold, population_size=population_size)
        results.append(LatticeResult(node, information_loss(node), risk, share, after))
    results.sort(key=lambda x: (x.loss, x.suppressed_share))
    ok = [x for x in results if x.risk_after_suppression is not None
          and x.risk_after_suppression.prosecutor_highest <= max_risk]
    return (min(ok, key=lambda x: (x.loss, x.suppressed_share)) if ok else None), results
