"""The lab catalog of cohort queries (``lab_tests.json``): test names, the ways notes write
them, the unit each test is stored in and the conversions from the others.

Results are stored in the test's unit, so "HbA1c > 64 mmol/mol" and "HbA1c > 8 %" compile
to the same comparison. A result written without a unit is read in the test's unit (notes
write "Cr 1.3", "A1c 8.4"); a result in a unit the catalog cannot convert keeps its unit
and never matches a comparison (the query would compare different quantities).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from agent.errors import RuleFileError
from agent.rules.files import read_rule_file, rules_path

LAB_FILE = "lab_tests.json"
# The last number of a result ("0.45 -> 0.62": the latest), thousands separators allowed,
# then an optional unit word.
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)")
_UNIT = re.compile(r"\s*(%|[a-zA-Zµ][\w/^.µ+-]*(?:/[\w.^]+)*)")


class LabTest(BaseModel):
    """One test of the catalog: ``units`` maps a unit to (factor, offset) into ``unit``."""

    model_config = ConfigDict(extra="forbid")

    name: str
    aliases: list[str] = Field(min_length=1)
    unit: str
    units: dict[str, tuple[float, float]]


@dataclass(frozen=True)
class LabCatalog:
    """The tests by name and by alias (lower case)."""

    tests: dict[str, LabTest]
    aliases: dict[str, LabTest]

    def test_for(self, text: str) -> LabTest | None:
        """The catalog test a mention names ("A1c" -> hba1c), or None."""
        return self.aliases.get(" ".join(text.lower().split()))

    def unit_key(self, test: LabTest, unit: str) -> str | None:
        """The catalog spelling of ``unit`` for ``test`` (case-insensitive), or None."""
        wanted = unit.strip().lower().replace("μ", "µ")
        for known in test.units:
            if known.lower() == wanted:
                return known
        return None

    def to_stored(self, test: LabTest, value: float, unit: str | None) -> float | None:
        """``value`` in the test's stored unit; None when the unit cannot be converted."""
        if unit is None:
            return value
        key = self.unit_key(test, unit)
        if key is None:
            return None
        factor, offset = test.units[key]
        return value * factor + offset

    def read_value(self, concept: str, text: str, value_chars: int | None = None,
                   ) -> tuple[float | None, str | None]:
        """``(value, unit)`` of a result, converted to the stored unit when the test is in
        the catalog and the unit known.

        Args:
            concept: the fact's concept (the catalog test name for catalog tests).
            text: the note text from the value on (a little past it, to one line).
            value_chars: the length of the extractor's value span: the number is the last
                one inside it, the unit may run past it ("78 mmol/mol" where the
                extractor's value stops at "78 mm").
        """
        limit = len(text) if value_chars is None else value_chars
        numbers = [m for m in _NUMBER.finditer(text) if m.start() < limit]
        if not numbers:
            return None, None
        last = numbers[-1]
        value = float(last.group(1).replace(",", ""))
        m = _UNIT.match(text, last.end())
        unit = m.group(1).rstrip(".,;:") if m else None
        test = self.tests.get(concept)
        if test is None:
            return value, unit
        stored = self.to_stored(test, value, unit)
        if stored is None:
            return value, unit
        return round(stored, 4), test.unit


@lru_cache(maxsize=1)
def lab_catalog() -> LabCatalog:
    """The packaged lab catalog (validated once).

    Raises:
        RuleFileError: the file is malformed (names the entry).
    """
    tests: dict[str, LabTest] = {}
    aliases: dict[str, LabTest] = {}
    # Validated by the one rule-file reader (entry index in its errors).
    for i, test in enumerate(read_rule_file(rules_path(LAB_FILE), "lab_tests", LabTest)):
        if test.unit not in test.units:
            raise RuleFileError(LAB_FILE, f"unit {test.unit!r} is not among its units",
                                index=i)
        tests[test.name] = test
        for alias in (test.name, *test.aliases):
            aliases[alias.lower()] = test
    return LabCatalog(tests, aliases)
