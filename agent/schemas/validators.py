"""Field validators shared by the rule-file models (agent/rules/, the de-id pack)."""

from __future__ import annotations

import re
from typing import TypeVar

V = TypeVar("V")


def check_regex(value: V) -> V:
    """Reject a string that is not a valid Python regex; other values pass through.

    Used as ``field_validator("pattern")(check_regex)`` so a bad pattern in a rule file is
    reported at load time, with the file and entry, instead of failing at match time.

    Raises:
        ValueError: the string does not compile.
    """
    if isinstance(value, str):
        try:
            re.compile(value)
        except re.error as e:
            raise ValueError(f"invalid regex: {e}") from e
    return value
