"""Results attached to TEST mentions: "Cr 1.8", "troponin 0.45 -> 0.62", "EF 35%", "K of 5.9".

Only a value that follows the test name closely (a few characters, an optional "of", "was",
"is", ":" or "=") is attached, so a number that belongs to the next test is not stolen.
"""

from __future__ import annotations

import re

from agent.schemas.extraction import Attribute

# Value with optional unit; ranges and trends ("0.45 -> 0.62", "1.2-1.4") are one value
# because clinicians read them together. Qualitative results cover imaging/culture reads.
_VALUE = re.compile(
    r"""^(?:\s*(?:of|was|is|at|=|:|-)\s*|\s+)
    (?P<value>
      [<>]?\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:->|→|to|-)\s?\d[\d,]*(?:\.\d+)?)*
      (?:\s?(?:%|mg/dL|mmol/L|mEq/L|g/dL|ng/mL|ng/L|pg/mL|U/L|IU/L|K/uL|x10\^?9/L|mm\s?Hg|bpm|cm|mm))?
      |positive|negative|pending|normal|abnormal|unremarkable|elevated|low|high|
      no\sgrowth|NGTD|\+|\(\+\)|\(-\)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_MAX_GAP = 12


def find_test_value(text: str, end: int, limit: int) -> Attribute | None:
    """The result right after a TEST mention that ends at ``end``.

    Args:
        text: the note text.
        end: end offset of the test mention.
        limit: do not look past this offset (next entity or end of line).

    Returns:
        The value attribute with offsets into ``text``, or None when no result is stated.
    """
    window = text[end:min(limit, end + _MAX_GAP + 40)]
    m = _VALUE.match(window)
    if not m or m.start("value") > _MAX_GAP:
        return None
    start, stop = end + m.start("value"), end + m.end("value")
    value = text[start:stop].rstrip(" ,.")
    return Attribute(start=start, end=start + len(value), text=value, value=value)
