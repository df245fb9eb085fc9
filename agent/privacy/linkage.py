"""Linkage attack: link released patients back to a public table (name, sex, birth date,
ZIP: a voter list) by the quasi-identifiers both share, and count who is re-identified.

A released patient is linked when exactly one public person is compatible with every QI
the release states: the same sex, a ZIP with the released 3 digits (``000`` stands for
the restricted prefixes), and a birth date that gives the released age (or age band) in
one of the released encounter years. Years may be shifted by up to a year (date shifting),
so the attacker allows one year either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from agent.deid.surrogates import RESTRICTED_ZIP3
from agent.privacy.risk import QIRow

# Without encounter years the attacker assumes the release is recent.
DEFAULT_YEAR = 2026
YEAR_SLACK = 1


@dataclass(frozen=True)
class PublicPerson:
    """One row of the public table."""

    person_id: str
    name: str
    sex: str
    birth_date: date
    zip5: str


@dataclass(frozen=True)
class LinkageResult:
    """Outcome of one attack."""

    patients: int
    linked_correctly: int  # exactly one candidate, and the right person
    linked_wrongly: int  # exactly one candidate, someone else
    expected_correct: float  # sum of 1/candidates where the right person is among them
    mean_candidates: float

    @property
    def share_reidentified(self) -> float:
        return self.linked_correctly / self.patients if self.patients else 0.0

    @property
    def expected_share(self) -> float:
        return self.expected_correct / self.patients if self.patients else 0.0

    def as_dict(self) -> dict:
        return {"patients": self.patients, "linked_correctly": self.linked_correctly,
                "linked_wrongly": self.linked_wrongly,
                "share_reidentified": round(self.share_reidentified, 4),
                "expected_share": round(self.expected_share, 4),
                "mean_candidates": round(self.mean_candidates, 2)}


def _zip_ok(zip3: str | None, zip5: str) -> bool:
    if zip3 is None:
        return True
    if zip3 == "000":
        return zip5[:3] in RESTRICTED_ZIP3
    return zip5.startswith(zip3)


def _age_ok(age: tuple[int, int] | None, years: tuple[int, ...], born: date) -> bool:
    if age is None:
        return True
    lo, hi = age
    for y in years or (DEFAULT_YEAR,):
        for yy in range(y - YEAR_SLACK, y + YEAR_SLACK + 1):
            # Age during year yy is yy - birth year - 1 (before the birthday) or yy - year.
            if lo <= yy - born.year and yy - born.year - 1 <= hi:
                return True
    return False


def candidates(row: QIRow, public: Sequence[PublicPerson]) -> list[PublicPerson]:
    """The public people compatible with every QI ``row`` states."""
    return [p for p in public
            if (row.sex is None or row.sex == p.sex) and _zip_ok(row.zip3, p.zip5)
            and _age_ok(row.age, row.years, p.birth_date)]


def attack(released: Sequence[tuple[str, QIRow]], public: Sequence[PublicPerson],
           ) -> LinkageResult:
    """Link every released patient.

    Args:
        released: (true person id, QI row) per released patient; the id is used only to
            score the attack, never to link.
        public: the public table (the patients and decoys).
    """
    correct = wrong = 0
    expected = 0.0
    total = 0
    by_sex: dict[str | None, list[PublicPerson]] = {}
    for p in public:
        by_sex.setdefault(p.sex, []).append(p)
    for person_id, row in released:
        pool = by_sex.get(row.sex, []) if row.sex is not None else list(public)
        found = candidates(row, pool)
        total += len(found)
        ids = [p.person_id for p in found]
        if person_id in ids:
            expected += 1 / len(ids)
        if len(ids) == 1:
            if ids[0] == person_id:
                correct += 1
            else:
                wrong += 1
    n = len(released)
    return LinkageResult(patients=n, linked_correctly=correct, linked_wrongly=wrong,
                         expected_correct=expected, mean_candidates=total / n if n else 0.0)
