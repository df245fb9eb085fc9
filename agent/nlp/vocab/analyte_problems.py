"""Shorthand names of the electrolyte and mineral problems a lab value defines ("hypoK",
"hyperCa", "hypo-Mg", "hypophos").

Clinicians write a low or high analyte as "hypo" / "hyper" joined to the analyte's lab
abbreviation instead of the disease noun ("hypokalemia"). Neither MeSH nor ICD-10-CM lists
these forms, and listing the strings one by one would only cover the ones seen. The link
between the disease noun and the analyte is already data: ``agent/rules/lab_problems.json``
names, for each problem a lab value defines, the problem ("hypokalemia|...") and the test
("k\\+?|potassium|..."). Each problem named "hypo..." or "hyper..." gives its prefix joined
to each short test name (at most four letters, no digits: "k", "na", "mg", "ca", "phos"),
written solid or hyphenated; the canonical is the problem's first name. Matched
case-insensitively as whole words ("HypoK/hypoMg" is two problems: the slash is a word
boundary), after every packaged vocabulary.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from agent.rules.files import read_rule_file, rules_path

LAB_PROBLEMS_FILE = "lab_problems.json"

_PREFIXED = re.compile(r"^(hypo|hyper)[a-z]+$")
# A short analyte name: an element symbol or a clipped analyte ("k", "na", "phos"); longer
# names ("potassium") already form the disease noun, digits are formulas ("po4").
_SHORT_ANALYTE = re.compile(r"^[a-z]{1,4}$")
# Regex decorations of a test alternative ("k\\+?"): an optional charge sign.
_CHARGE = re.compile(r"\\\+\??|\+\??")


class _LabProblemEntry(BaseModel):
    """The fields of a lab-problem rule this module reads (the handoff reads the rest)."""

    model_config = ConfigDict(extra="allow")

    problem: str
    test: str


def shorthand_forms(problem_regex: str, test_regex: str) -> dict[str, str]:
    """Shorthand -> canonical problem for one rule.

    >>> shorthand_forms("hypokalemia|low k", "k\\\\+?|potassium")["hypo-k"]
    'hypokalemia'
    """
    canonical = problem_regex.split("|", 1)[0].strip().lower()
    m = _PREFIXED.match(canonical)
    if m is None:
        return {}
    prefix = m.group(1)
    out: dict[str, str] = {}
    for alternative in test_regex.split("|"):
        analyte = _CHARGE.sub("", alternative.strip().lower())
        if _SHORT_ANALYTE.match(analyte):
            out[prefix + analyte] = canonical
            out[f"{prefix}-{analyte}"] = canonical
    return out


@lru_cache(maxsize=4)
def analyte_problem_forms(rules_dir: str | None = None) -> dict[str, str]:
    """Every shorthand of the lab-problem rules (lower case) -> canonical problem name.

    Raises:
        RuleFileError: the rule file is invalid.
    """
    path = rules_path(LAB_PROBLEMS_FILE, rules_dir)
    out: dict[str, str] = {}
    for entry in read_rule_file(path, "lab_problem_rules", _LabProblemEntry):
        for form, canonical in shorthand_forms(entry.problem, entry.test).items():
            out.setdefault(form, canonical)
    return out
