"""A confidence per suggestion and the review routing rule.

Before any feedback the confidence is the suggestion's score nudged by what coders check
first: a code stated by several mentions, or in a section that lists the encounter's
diagnoses, is likelier right; an "unspecified" code, a mention's alternative reading or a
code only the ranker proposes is less sure. Once the ranker holds a Platt calibration
(fitted on accept/reject decisions with the score they were shown with), the confidence is
the calibrated probability of acceptance.
"""

from __future__ import annotations

import math

from agent.schemas.coding import RankReasons, Route

DEFAULT_REVIEW_THRESHOLD = 0.6
# Nudges of the uncalibrated confidence (the review threshold is set against them).
PER_EXTRA_MENTION = 0.04
MAX_MENTION_BONUS = 0.12
UNSPECIFIED_PENALTY = 0.05
LEARNED_PENALTY = 0.1
# An alternative reading of a mention competes with its best code: at most one is right.
ALTERNATIVE_PENALTY = 0.15


def confidence(score: float, reasons: RankReasons,
               calibration: tuple[float, float] | None = None) -> float:
    """The probability-like confidence that a coder accepts the suggestion.

    Args:
        score: the suggestion's final score in [0, 1].
        reasons: why it ranks where it does (mentions, specificity, match type).
        calibration: (a, b) of P = sigmoid(a * score + b) learned from decisions, if any.

    Returns:
        A confidence in [0, 1].
    """
    if calibration is not None:
        a, b = calibration
        z = max(-50.0, min(50.0, a * score + b))
        return round(1.0 / (1.0 + math.exp(-z)), 4)
    value = score + min(MAX_MENTION_BONUS, PER_EXTRA_MENTION * (reasons.mention_count - 1))
    if reasons.specificity == "unspecified":
        value -= UNSPECIFIED_PENALTY
    if reasons.match_type == "learned":
        value -= LEARNED_PENALTY
    value -= ALTERNATIVE_PENALTY * min(reasons.mention_rank, 2)
    return round(max(0.0, min(1.0, value)), 4)


def route(conf: float, threshold: float = DEFAULT_REVIEW_THRESHOLD) -> Route:
    """Below ``threshold`` a suggestion must be reviewed; at or above it is pre-accepted
    (still reviewable)."""
    return "review" if conf < threshold else "pre-accepted"
