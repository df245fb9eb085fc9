"""The rule set: every rule and vocabulary file of ``agent/rules/`` behind one loader.

``Rules.load(rules_dir)`` reads, validates and caches the rule files once: the cue words
(``cues.json``, one vocabulary for the timeline, the handoff and the verifier), the section
headers and section roles (``sections.json``), and the paths of the extractor's files.
A user's rules folder (setting ``extraction.rules_dir``) replaces the packaged files it
holds; the same object is built from the settings once and handed to the extractor, the
timeline, the summaries, the verifier, chat and indexing, so a changed cue changes every
one of them the same way. Every output records the sha256 of the files it used.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from agent.errors import RuleFileError
from agent.rules.files import (
    file_sha256,
    read_json,
    read_rule_file,
    rules_path,
    section_entries,
)
from agent.rules.relation_gates import GatedRelationRuleSet
from agent.schemas.relation_rules import RelationRule
from agent.schemas.summary_rules import CueRule, CueSet, SectionRoles

if TYPE_CHECKING:  # typing only: the rule set does not depend on configuration code
    from agent.config import Settings

CUE_FILE = "cues.json"
SECTIONS_FILE = "sections.json"
RELATIONS_FILE = "relations.json"


class Rules:
    """One validated rule set (packaged, or a user's folder over the packaged files).

    Build it with :meth:`load` (cached per folder), not directly.

    Args:
        rules_dir: the user's rules folder, or None for the packaged rules.

    Raises:
        RuleFileError: a file is missing or invalid (file and entry index named).
    """

    def __init__(self, rules_dir: str | Path | None = None) -> None:
        self.dir: Path | None = Path(rules_dir) if rules_dir else None
        self.cues = CueSet(read_rule_file(self.path(CUE_FILE), "cue_rules", CueRule))
        sections_path = self.path(SECTIONS_FILE)
        entries = section_entries(sections_path)
        # Header label (lower case, no colon) -> section, as the sectionizer matches them.
        self.headers: dict[str, str] = {}
        for entry in entries:
            self.headers.setdefault(entry.literal.rstrip(":").strip().lower(), entry.category)
        self.roles = _section_roles(sections_path, {e.category for e in entries})
        # Relation patterns, adverse-effect cues and body sites (agent.relations).
        self.relations = GatedRelationRuleSet(read_rule_file(self.path(RELATIONS_FILE),
                                                             "relation_rules", RelationRule))

    @classmethod
    def load(cls, rules_dir: str | Path | None = None) -> Rules:
        """The rule set of a folder (None = packaged), read once per process."""
        return _load(str(rules_dir) if rules_dir else None)

    def path(self, name: str) -> Path:
        """The file in use for ``name``: the user's copy when the folder holds it."""
        if self.dir is not None and (self.dir / name).exists():
            return self.dir / name
        # The extractor requires its overridable files in a user folder
        # (agent.nlp.entities); the others fall back to the packaged copy.
        return rules_path(name)

    @property
    def rules_dir(self) -> str | None:
        """The user's folder as a string (what the extractor's loaders take)."""
        return str(self.dir) if self.dir is not None else None

    def sha256(self, *names: str) -> str:
        """``file=sha256[:12]`` of the named files, for provenance."""
        return ";".join(f"{n}={file_sha256(self.path(n))[:12]}" for n in sorted(names))

    def provenance(self) -> str:
        """The hashes of the files the timeline, handoff and verifier read."""
        return self.sha256(CUE_FILE, SECTIONS_FILE)


@lru_cache(maxsize=8)
def _load(rules_dir: str | None) -> Rules:
    return Rules(rules_dir)


def _section_roles(path: Path, categories: set[str]) -> SectionRoles:
    raw = read_json(path).get("section_roles")
    if not isinstance(raw, dict):
        raise RuleFileError(str(path), "'section_roles' (role -> sections) is missing; copy "
                            "it from the packaged agent/rules/sections.json")
    try:
        roles = SectionRoles(roles={k: frozenset(v) for k, v in raw.items()})
    except (ValidationError, TypeError) as e:
        raise RuleFileError(str(path), f"section_roles: {e}") from e
    for i, (role, sections) in enumerate(roles.roles.items()):
        unknown = sorted(s for s in sections if s not in categories
                         or not re.fullmatch(r"[A-Z][A-Z0-9_]*", s))
        if unknown:
            raise RuleFileError(str(path), f"section_roles.{role} names sections no "
                                f"section rule opens: {unknown}", index=i)
    return roles


def rules_for(settings: Settings) -> Rules:
    """The rule set the settings configure (``extraction.rules_dir``, else packaged)."""
    return Rules.load(settings.extraction.rules_dir)
