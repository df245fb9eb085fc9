"""A problem a lab value defines is resolved once a later value is normal again.

"Hypokalemia" on day 1 and "K 4.1" on day 3 is no active problem at discharge, although no
note writes "resolved": the handoff would list it as active and the verifier would back a
false "still hypokalemic". Which problems and which tests, with the normal limits, are data
(``agent/rules/lab_problems.json``). A problem is settled only by a value written after its
last active mention (a later note, or later in the same note), read from the test's
extracted value; a value that is not a plain number, or a test the rules do not name, says
nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from agent.rules.files import read_rule_file, rules_path
from agent.schemas.extraction import Entity, NoteExtraction
from agent.schemas.notes import Note
from agent.schemas.summary import Citation, TimelineEvent
from agent.schemas.validators import check_regex

LAB_PROBLEMS_FILE = "lab_problems.json"
_NUMBER = re.compile(r"^\s*[<>]?\s*(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)")


class LabProblemRule(BaseModel):
    """One problem defined by a test value: normal when ``low <= value <= high``."""

    model_config = ConfigDict(extra="forbid")

    problem: str
    test: str
    low: float | None = None
    high: float | None = None
    per_thousand: bool = False
    comment: str = ""

    @field_validator("problem", "test")
    @classmethod
    def _regex(cls, v: str) -> str:
        return check_regex(v)


@dataclass(frozen=True)
class _Rule:
    problem: re.Pattern[str]
    test: re.Pattern[str]
    low: float | None
    high: float | None
    per_thousand: bool

    def is_normal(self, value: float) -> bool:
        if self.per_thousand and value >= 100:
            value /= 1000.0
        return (self.low is None or value >= self.low) and \
            (self.high is None or value <= self.high)


@lru_cache(maxsize=4)
def lab_problem_rules(rules_dir: str | None = None) -> tuple[_Rule, ...]:
    """The compiled rules (the user's folder when it holds the file, else the packaged one).

    Raises:
        RuleFileError: the file is invalid.
    """
    path = rules_path(LAB_PROBLEMS_FILE, rules_dir)
    if rules_dir is not None and not Path(path).exists():
        path = rules_path(LAB_PROBLEMS_FILE)
    return tuple(
        _Rule(re.compile(rf"(?:{r.problem})", re.IGNORECASE),
              re.compile(rf"(?:{r.test})", re.IGNORECASE), r.low, r.high, r.per_thousand)
        for r in read_rule_file(path, "lab_problem_rules", LabProblemRule))


def _value(ent: Entity) -> float | None:
    value = ent.attributes.get("value") if ent.attributes else None
    m = _NUMBER.match(value.text) if value is not None else None
    return float(m.group(1).replace(",", "")) if m else None


def _rule_for(name: str, rules: tuple[_Rule, ...]) -> _Rule | None:
    return next((r for r in rules if r.problem.search(name)), None)


@dataclass(frozen=True)
class LabValue:
    """A test mention with a plain number, in note order (``where``: note index, offset)."""

    where: tuple[int, int]
    note: Note
    ent: Entity
    value: float | None
    normal: bool = False  # said in words to be normal again (no number)


# A test said to be normal again in words ("sodium normalized with oral water", "potassium
# back to normal after repletion"): as good as a normal value. "normalizing" / "trending
# toward normal" are on the way, not there; "normal saline" is no test result.
_BACK_TO_NORMAL = re.compile(
    r"\s*(?:levels?\s+)?(?:(?:has|had|have|was|were|is|are|then|subsequently|since)\s+)*"
    r"(?:normali[sz]ed|(?:returned|back|came back)\s+to\s+(?:normal|baseline)|"
    r"(?:now\s+)?within\s+normal\s+limits|now\s+normal)\b", re.IGNORECASE)


def lab_values(notes: list[Note], extractions: dict[str, NoteExtraction]) -> list[LabValue]:
    """The patient's stated test values in note order, read once for all problems; a test
    said in words to be normal again (:data:`_BACK_TO_NORMAL`) carries ``normal=True``
    and no number."""
    out = []
    for i, note in enumerate(notes):
        ext = extractions.get(note.note_id)
        for ent in ext.entities if ext else []:
            if ent.type != "TEST" or ent.assertion not in ("present", "historical"):
                continue
            value = _value(ent)
            if value is not None:
                out.append(LabValue((i, ent.start), note, ent, value))
            elif _BACK_TO_NORMAL.match(note.text, ent.end):
                out.append(LabValue((i, ent.start), note, ent, None, normal=True))
    return out


def settle_by_labs(track: dict, order: dict[str, int], values: list[LabValue],
                   rules: tuple[_Rule, ...]) -> None:
    """Mark an active lab-defined problem resolved when the last value of its test, written
    after its last active mention, is normal (the track dict of ``build_problems``;
    ``order``: note id -> index; ``values``: :func:`lab_values`)."""
    if track["status"] != "active":
        return
    rule = _rule_for(track["name"], rules)
    if rule is None:
        return
    active = [e for e in track["events"] if e.change == "active"]
    if not active:
        return
    last = max(active, key=lambda e: (order.get(e.note_id, -1), e.citation.start))
    after = (order.get(last.note_id, -1), last.citation.end)
    later = [v for v in values if v.where > after and rule.test.fullmatch(v.ent.text.strip())]
    if not later:
        return
    last_value = max(later, key=lambda v: v.where)
    if not (last_value.normal or (last_value.value is not None
                                  and rule.is_normal(last_value.value))):
        return
    note, ent = last_value.note, last_value.ent
    if last_value.normal:
        words = _BACK_TO_NORMAL.match(note.text, ent.end)
        detail, end = f"{note.text[ent.start:words.end()].strip()}", words.end()
    else:
        detail, end = f"{ent.text} {ent.attributes['value'].text} (normal)", ent.end
    track["status"] = "resolved"
    track["events"].append(TimelineEvent(
        note_id=note.note_id, date=note.date, change="resolved", detail=detail,
        citation=Citation(note_id=note.note_id, start=ent.start, end=end)))
