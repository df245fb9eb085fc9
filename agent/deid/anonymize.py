"""Apply operators to detected PHI: redact (``[NAME]``), mask (``*`` per character) or a
realistic surrogate, with offsets into both the original and the new text."""

from __future__ import annotations

import re

from agent.deid.surrogates import SurrogateGenerator
from agent.errors import ConfigError
from agent.schemas.deid import OPERATORS, PhiReplacement, PhiSpan


def _operator_for(entity_type: str, mode: str, operators: dict[str, str] | None) -> str:
    op = (operators or {}).get(entity_type, mode)
    if op not in OPERATORS:
        raise ConfigError("deid.operators", f"unknown operator {op!r} for {entity_type}",
                          f"Use one of: {', '.join(OPERATORS)}")
    return op


def replacement_for(entity_type: str, value: str, op: str,
                    surrogates: SurrogateGenerator | None,
                    first_names: frozenset[str] = frozenset()) -> str:
    """The text that replaces one PHI value under operator ``op``."""
    if op == "redact":
        return f"[{entity_type}]"
    if op == "mask":
        return re.sub(r"[A-Za-z0-9]", "*", value)
    if surrogates is None:
        raise ConfigError("deid.secret", "surrogate mode needs a secret key",
                          "Create one and point CLINAGENT_DEID__SECRET_FILE at it (see README)")
    return surrogates.replace(entity_type, value, first_names)


def transform(text: str, spans: list[PhiSpan], *, mode: str = "redact",
              operators: dict[str, str] | None = None,
              surrogates: SurrogateGenerator | None = None,
              first_names: frozenset[str] = frozenset(),
              fixed: dict[int, str] | None = None,
              ) -> tuple[str, list[PhiReplacement]]:
    """Replace every span; spans must not overlap (``detector.detect`` guarantees it).

    Args:
        text: the original text.
        spans: detected PHI.
        mode: default operator: ``redact``, ``mask`` or ``surrogate``.
        operators: per-type operator overrides, e.g. ``{"DATE": "surrogate"}``.
        surrogates: the patient's surrogate generator (needed for ``surrogate``).
        first_names: upper-case first names, so fake first names replace first names.
        fixed: replacement text by span start, chosen by a release policy
            (``agent.privacy.release``): used as it is, whatever the operator.

    Returns:
        The new text and one :class:`PhiReplacement` per span with ``start``/``end`` in the
        original text and ``new_start``/``new_end`` in the new text.

    Raises:
        ConfigError: an unknown operator, or ``surrogate`` without a generator.
    """
    out: list[str] = []
    reps: list[PhiReplacement] = []
    pos = 0
    shift = 0
    for s in sorted(spans, key=lambda x: x.start):
        if s.start < pos:
            raise ValueError(f"overlapping PHI spans at offset {s.start}; resolve them first")
        if fixed and s.start in fixed:
            new = fixed[s.start]
        else:
            op = _operator_for(s.entity_type, mode, operators)
            new = replacement_for(s.entity_type, text[s.start:s.end], op, surrogates,
                                  first_names)
        out.append(text[pos:s.start])
        new_start = s.start + shift
        out.append(new)
        reps.append(PhiReplacement(start=s.start, end=s.end, type=s.entity_type,
                                   replacement=new, new_start=new_start,
                                   new_end=new_start + len(new)))
        shift += len(new) - (s.end - s.start)
        pos = s.end
    out.append(text[pos:])
    return "".join(out), reps


def redact(text: str, spans: list[PhiSpan], operators: dict[str, str] | None = None) -> str:
    """The text with every span replaced by ``[TYPE]`` (or a per-type ``mask``)."""
    return transform(text, spans, mode="redact", operators=operators)[0]
