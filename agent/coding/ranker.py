"""A re-ranker learned from coders' decisions, versioned and saved as JSON.

What it learns, per code system:
- per (concept, code): how often coders accepted the suggestion (or added the code for the
  concept) and how often they rejected or replaced it;
- per code, over all concepts: the same counts, the prior of a concept it has not seen;
- per concept: how many notes it was decided in, so a code coders add for it (missed by
  the vocabulary) is offered with the share of those notes;
- a Platt calibration of the suggestion score against accept/reject (when decisions carry
  the score they were shown with).

A concept is the vocabulary's canonical name of the mention, normalised (lower case, no
punctuation): decisions hold no note text. Scores are Beta-smoothed acceptance rates with
the vocabulary score as the prior mean, so one decision moves a score a little and many
move it a lot.

Every suggestion records :attr:`Ranker.version` (``ranker-v1:<sha256 of the table>``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from agent.errors import InputError
from agent.nlp.vocab.terms import normalize_phrase
from agent.schemas.coding import CoderDecision

RANKER_VERSION = "ranker-v1"
# Pseudo-decisions given to the prior (vocabulary score, then the code's global rate).
PRIOR_WEIGHT = 2.0
# Decisions with a score needed (and both outcomes present) before calibrating.
MIN_CALIBRATION = 20


@dataclass
class Counts:
    """Positive (accepted or added) and negative (rejected or replaced) decisions."""

    pos: float = 0.0
    neg: float = 0.0

    def rate(self, prior: float, weight: float = PRIOR_WEIGHT) -> float:
        """The smoothed acceptance rate with ``prior`` as the mean of ``weight`` pseudo
        decisions."""
        return (self.pos + weight * prior) / (self.pos + self.neg + weight)


@dataclass
class Adjusted:
    """A candidate after re-ranking."""

    code: str
    score: float
    adjustment: float
    is_learned: bool


@dataclass
class Ranker:
    """The learned table; build it with :meth:`train` or :meth:`load`."""

    pairs: dict[str, dict[str, dict[str, Counts]]] = field(default_factory=dict)
    codes: dict[str, dict[str, Counts]] = field(default_factory=dict)
    seen: dict[str, dict[str, int]] = field(default_factory=dict)
    calibration: tuple[float, float] | None = None
    decisions: int = 0

    @classmethod
    def train(cls, decisions: Iterable[CoderDecision]) -> Ranker:
        """Learn the table from decisions (any order; the result depends on the multiset).

        Args:
            decisions: coders' decisions.

        Returns:
            A new ranker.
        """
        ranker = cls()
        notes: dict[tuple[str, str], set[str]] = {}
        scored: list[tuple[float, int]] = []
        for i, d in enumerate(decisions):
            ranker.decisions += 1
            concept = normalize_phrase(d.concept)
            pair = ranker.pairs.setdefault(d.system, {}).setdefault(concept, {})
            glob = ranker.codes.setdefault(d.system, {})
            positive = d.decision in ("accept", "add")
            for table in (pair, glob):
                counts = table.setdefault(d.code, Counts())
                if positive:
                    counts.pos += 1
                else:
                    counts.neg += 1
                if d.decision == "replace" and d.replacement:
                    table.setdefault(d.replacement, Counts()).pos += 1
            notes.setdefault((d.system, concept), set()).add(d.note_id or f"#{i}")
            if d.score is not None and d.decision in ("accept", "reject", "replace"):
                scored.append((d.score, int(d.decision == "accept")))
        for (system, concept), ids in notes.items():
            ranker.seen.setdefault(system, {})[concept] = len(ids)
        ranker.calibration = _platt(scored)
        return ranker

    @property
    def version(self) -> str:
        """``ranker-v1:<first 12 hex of the sha256 of the learned table>``."""
        digest = hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode())
        return f"{RANKER_VERSION}:{digest.hexdigest()[:12]}"

    def rerank(self, system: str, concept: str, candidates: list[tuple[str, float]],
               ) -> list[Adjusted]:
        """Re-score a mention's candidates and add the codes coders add for its concept.

        Args:
            system: "ICD-10-CM" or "ICD-10-PCS".
            concept: the mention's concept (canonical name).
            candidates: (code, vocabulary score), best first.

        Returns:
            The candidates with learned scores, plus learned codes, best first.
        """
        concept = normalize_phrase(concept)
        pair = self.pairs.get(system, {}).get(concept, {})
        glob = self.codes.get(system, {})
        out: dict[str, Adjusted] = {}
        for code, score in candidates:
            prior = glob[code].rate(score) if code in glob else score
            new = pair[code].rate(prior) if code in pair else prior
            out[code] = Adjusted(code, new, new - score, False)
        seen = self.seen.get(system, {}).get(concept, 0)
        for code, counts in pair.items():
            if code in out or counts.pos <= 0:
                continue
            # Never offered by the vocabulary: the share of the concept's notes where coders
            # added (or chose) it, lowered by the ones where they rejected it.
            new = counts.pos / (seen + counts.neg + PRIOR_WEIGHT)
            out[code] = Adjusted(code, new, new, True)
        return sorted(out.values(), key=lambda a: (-a.score, a.code))

    def to_json(self) -> dict:
        """The table as plain JSON (what :meth:`save` writes)."""
        return {
            "version": RANKER_VERSION,
            "decisions": self.decisions,
            "pairs": {s: {c: {k: [v.pos, v.neg] for k, v in sorted(codes.items())}
                          for c, codes in sorted(cs.items())}
                      for s, cs in sorted(self.pairs.items())},
            "codes": {s: {k: [v.pos, v.neg] for k, v in sorted(cs.items())}
                      for s, cs in sorted(self.codes.items())},
            "seen": {s: dict(sorted(cs.items())) for s, cs in sorted(self.seen.items())},
            "calibration": list(self.calibration) if self.calibration else None,
        }

    def save(self, path: str | Path) -> str:
        """Write the table as JSON; returns the version."""
        data = self.to_json()
        data["ranker_version"] = self.version
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        return data["ranker_version"]

    @classmethod
    def load(cls, path: str | Path) -> Ranker:
        """Read a table written by :meth:`save`.

        Raises:
            InputError: the file is missing, not JSON, or not a ranker of this version.
        """
        p = Path(path)
        fix = ("Train one with `clinagent coding retrain DECISIONS -o RANKER.json` or pass "
               "no --ranker")
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise InputError(str(p), f"cannot read the ranker ({type(e).__name__})",
                             fix=fix) from e
        if not isinstance(data, dict) or data.get("version") != RANKER_VERSION:
            raise InputError(str(p), f"not a {RANKER_VERSION} ranker file", fix=fix)
        try:
            ranker = cls(
                pairs={s: {c: {k: Counts(*v) for k, v in codes.items()}
                           for c, codes in cs.items()} for s, cs in data["pairs"].items()},
                codes={s: {k: Counts(*v) for k, v in cs.items()}
                       for s, cs in data["codes"].items()},
                seen={s: {c: int(n) for c, n in cs.items()} for s, cs in data["seen"].items()},
                calibration=tuple(data["calibration"]) if data.get("calibration") else None,
                decisions=int(data.get("decisions", 0)),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(str(p), f"malformed ranker table ({type(e).__name__})",
                             fix=fix) from e
        return ranker


def _platt(scored: list[tuple[float, int]]) -> tuple[float, float] | None:
    """Fit P(accept) = sigmoid(a * score + b) by Newton's method (Platt scaling)."""
    positives = sum(y for _, y in scored)
    if len(scored) < MIN_CALIBRATION or positives in (0, len(scored)):
        return None
    # Platt's targets keep the fit finite when the classes separate.
    hi = (positives + 1) / (positives + 2)
    lo = 1 / (len(scored) - positives + 2)
    a, b = 1.0, 0.0
    for _ in range(50):
        ga = gb = haa = hab = hbb = 0.0
        for x, y in scored:
            t = hi if y else lo
            p = 1 / (1 + math.exp(-(a * x + b)))
            w = max(p * (1 - p), 1e-9)
            ga += (p - t) * x
            gb += p - t
            haa += w * x * x
            hab += w * x
            hbb += w
        det = haa * hbb - hab * hab
        if abs(det) < 1e-12:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) + abs(db) < 1e-8:
            break
    return round(a, 6), round(b, 6)


def read_decisions(path: str | Path) -> list[CoderDecision]:
    """Read coders' decisions from a JSON Lines file (one :class:`CoderDecision` a line).

    Raises:
        InputError: the file is missing or a line is not a valid decision (line named).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "no such decisions file",
                         fix="Pass a JSON Lines file of coder decisions")
    out: list[CoderDecision] = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(CoderDecision.model_validate_json(line))
        except ValidationError as e:
            first = e.errors()[0]
            raise InputError(str(p), f"not a coder decision: {first['msg']}", line=n,
                             fix="Each line: {\"concept\", \"code\", \"decision\", ...}") from e
    return out
