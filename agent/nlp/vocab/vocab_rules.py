"""Validated data files that adjust the vocabularies (synonym overrides, stop-lists).

Each file is JSON with one top-level key naming the rule type, e.g.
``{"icd10cm_synonyms": [...]}``; reading and validation are shared with the other rule
files (:func:`agent.rules.files.read_rule_file`): a bad entry raises RuleFileError naming
the file and the entry index.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.rules.files import read_rule_file, rules_path

SYNONYMS_FILE = "icd10cm_synonyms.json"
DRUG_STOPLIST_FILE = "drug_stoplist.json"
DISEASE_STOPLIST_FILE = "disease_stoplist.json"

RuleT = TypeVar("RuleT", bound=BaseModel)


class SynonymRule(BaseModel):
    """A mention rewrite the vocabularies miss.

    ``SYNONYM`` replaces ``variant`` (a whole word or phrase of the mention) by ``canonical``;
    ``DROP`` removes a context phrase ("status post") that is not part of the problem itself.
    """

    model_config = ConfigDict(extra="forbid")

    variant: str = Field(min_length=1)
    kind: Literal["SYNONYM", "DROP"]
    canonical: str = ""
    note: str | None = None

    @model_validator(mode="after")
    def _canonical_matches_kind(self) -> SynonymRule:
        if self.kind == "SYNONYM" and not self.canonical.strip():
            raise ValueError("a SYNONYM rule needs a non-empty 'canonical'")
        if self.kind == "DROP" and self.canonical:
            raise ValueError("a DROP rule must not have a 'canonical'")
        return self


class StopRule(BaseModel):
    """A lexicon variant that must not be matched in notes, with the reason it collides."""

    model_config = ConfigDict(extra="forbid")

    variant: str = Field(min_length=1)
    reason: Literal["ENGLISH_WORD", "LAB_TEST", "CLINICAL_WORD", "ABBREVIATION_CLASH"]
    note: str | None = None


def load_rules(filename: str, key: str, model: type[RuleT]) -> list[RuleT]:
    """Load and validate one rule file shipped in ``agent/rules``.

    Args:
        filename: file name inside ``agent/rules``.
        key: the required top-level key (the rule type).
        model: pydantic model each entry is validated into.

    Returns:
        The validated entries, in file order.

    Raises:
        RuleFileError: the file is missing, is not JSON, lacks ``key``, has other top-level
            keys, or an entry does not validate.
    """
    return read_rule_file(rules_path(filename), key, model)


def disease_stopwords() -> frozenset[str]:
    """The lower-case variants of ``disease_stoplist.json``: words no disease vocabulary
    may name (English words, clashing abbreviations).

    Raises:
        RuleFileError: the stop-list file is invalid.
    """
    return frozenset(r.variant.lower()
                     for r in load_rules(DISEASE_STOPLIST_FILE, "disease_stoplist", StopRule))
