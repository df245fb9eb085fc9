"""The medspaCy pipeline: clinical tokenizer, sentence rules, sectionizer and ConText.

Entity matching is not a spaCy component here (see ``verifiers/lexicon.py`` for why); the
extractor sets ``doc.ents`` between the sentence splitter and the context components.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language

from verifiers.rulefiles import (
    ContextRuleEntry,
    SectionRuleEntry,
    file_sha256,
    read_rule_file,
    rules_path,
)
from verifiers.sentences import set_sentence_starts

CONTEXT_FILE = "context.json"
SECTIONS_FILE = "sections.json"


@dataclass
class ClinicalPipeline:
    """The spaCy objects the extractor drives, plus the hashes of the rule files used."""

    nlp: Language
    sectionizer: object
    context: object
    rule_hashes: dict[str, str]

    def prepare(self, text: str):
        """Tokenise, split sentences and find sections (no entities yet)."""
        return self.sectionizer(set_sentence_starts(self.nlp.make_doc(text)))

    def annotate(self, doc):
        """Run ConText on a prepared doc whose ``ents`` are set."""
        return self.context(doc)


def _section_rules(entries: list[SectionRuleEntry]):
    from medspacy.section_detection import SectionRule

    rules = []
    for e in entries:
        words = r"\s+".join(re.escape(w) for w in e.literal.rstrip(":").split())
        if e.bare:
            # Header alone on its line: regex anchored to line start and end.
            pattern = rf"(?im)^[ \t]*{words}[ \t]*(?=\r?\n)"
        else:
            # "Home meds (pt's list):" - a short parenthetical may sit before the colon.
            pattern = rf"(?im)^[ \t]*{words}(?:[ \t]*\([^)\n]{{0,40}}\))?[ \t]*:"
        rules.append(SectionRule(literal=e.literal, category=e.category, pattern=pattern))
    return rules


def _context_rules(entries: list[ContextRuleEntry]):
    from medspacy.context import ConTextRule

    return [
        ConTextRule(
            literal=e.literal, category=e.category, pattern=e.pattern, direction=e.direction,
            max_scope=e.max_scope,
            allowed_types=set(e.allowed_types) if e.allowed_types else None,
            excluded_types=set(e.excluded_types) if e.excluded_types else None,
            terminated_by=set(e.terminated_by) if e.terminated_by else None,
        )
        for e in entries
    ]


def build_pipeline(rules_dir: str | Path | None = None) -> ClinicalPipeline:
    """Build the clinical pipeline from the rule files.

    Args:
        rules_dir: a directory holding ``context.json`` and ``sections.json`` that replace
            the packaged ones; None uses the packaged rules.

    Returns:
        The pipeline, ready to process notes.

    Raises:
        RuleFileError: a rule file is missing or invalid.
    """
    import medspacy  # noqa: F401  (registers the medspaCy component factories)
    import spacy

    ctx_path = rules_path(CONTEXT_FILE, rules_dir)
    sec_path = rules_path(SECTIONS_FILE, rules_dir)
    ctx_entries = read_rule_file(ctx_path, "context_rules", ContextRuleEntry)
    sec_entries = read_rule_file(sec_path, "section_rules", SectionRuleEntry)

    # spaCy's English tokenizer (what medspacy.load gives by default); sentences come from
    # verifiers/sentences.py, sections and ConText from medspaCy components.
    nlp = spacy.blank("en")
    # Notes can be large; the extractor splits very long notes itself, so this limit only
    # needs to cover one segment.
    nlp.max_length = 2_000_000
    sectionizer = nlp.add_pipe(
        "medspacy_sectionizer",
        config={"rules": None, "require_start_line": True, "span_attrs": None},
    )
    sectionizer.add(_section_rules(sec_entries))
    context = nlp.add_pipe("medspacy_context", config={"rules": None})
    context.add(_context_rules(ctx_entries))
    return ClinicalPipeline(
        nlp=nlp, sectionizer=sectionizer, context=context,
        rule_hashes={CONTEXT_FILE: file_sha256(ctx_path), SECTIONS_FILE: file_sha256(sec_path)},
    )
