"""The medspaCy pipeline: clinical tokenizer, sentence rules, sectionizer and ConText.

Entity matching is not a spaCy component here (see ``agent/nlp/lexicon.py`` for why); the
extractor sets ``doc.ents`` between the sentence splitter and the context components.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language

from agent.nlp.layout import set_sentence_starts
from agent.nlp.list_sections import end_short_lists
from agent.rules.files import (
    ContextRuleEntry,
    SectionRuleEntry,
    file_sha256,
    read_rule_file,
    rules_path,
    section_entries,
)

# The sectionizer has only regex rules, so its (empty) token Matcher warns on every call.
warnings.filterwarnings("ignore", message=r"\[W036\]")

CONTEXT_FILE = "context.json"
# spaCy work (and ConText's pairing of cues and targets) grows with document length; long
# notes are processed in segments cut at blank lines (or line ends) so memory and time stay
# linear and nothing is truncated.
SEGMENT_CHARS = 5_000
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
        return end_short_lists(self.sectionizer(set_sentence_starts(self.nlp.make_doc(text))))

    def annotate(self, doc):
        """Run ConText on a prepared doc whose ``ents`` are set."""
        return self.context(doc)


def _alternation(literals: set[str], *, upper: bool = False) -> str:
    # Longest first so "past medical history" wins over "history"; any whitespace run may
    # separate the words.
    words = [(lit.upper() if upper else lit).rstrip(":").split() for lit in literals]
    return "|".join(r"\s+".join(re.escape(w) for w in ws)
                    for ws in sorted(words, key=lambda ws: -len(" ".join(ws))))


def _section_rules(entries: list[SectionRuleEntry]):
    """One regex rule per (category, header style).

    medspaCy's regex matcher rebuilds ``doc.text`` for every rule, so ~300 literal rules cost
    ~70% of extraction time; alternations grouped by category give the same matches.
    """
    from medspacy.section_detection import SectionRule

    groups: dict[tuple[str, bool], set[str]] = {}
    for e in entries:
        groups.setdefault((e.category, e.bare), set()).add(e.literal)
    rules = []
    for (category, bare), literals in groups.items():
        alt = _alternation(literals)
        if bare:
            # Header alone on its line: anchored to line start and end.
            pattern = rf"(?im)^[ \t]*(?:{alt})[ \t]*(?=\r?\n)"
        else:
            # "Home meds (pt's list):" - a short parenthetical may sit before the colon;
            # "ALLERGIES / INTOLERANCES:" - a header joined to a second label by a slash
            # opens the first label's section.
            # "ALLERGIES -", "Plan -- continue": a spaced dash ends a header as a colon does.
            pattern = (rf"(?im)^[ \t]*(?:{alt})(?:[ \t]*/[ \t]*[a-z][a-z &-]{{0,30}}?)?"
                       rf"(?:[ \t]*\([^)\n]{{0,40}}\))?"
                       rf"(?:[ \t]*:|[ \t]+[-\u2013\u2014]{{1,2}}(?=[ \t]|\r?\n))")
        rules.append(SectionRule(literal=f"{category} headers", category=category,
                                 pattern=pattern))
        if not bare:
            # Any header in capitals alone on its line is a header too ("RESULTS", "PLAN"):
            # case-sensitive, so "Plan" or "results" inside prose never match.
            caps = _alternation(literals, upper=True)
            rules.append(SectionRule(
                literal=f"{category} capital headers", category=category,
                # medspaCy compiles rule regexes with IGNORECASE; (?-i:) turns it off.
                pattern=rf"(?m)^[ \t]*(?-i:{caps})[ \t]*(?=\r?\n)"))
    # Any short label naming allergies opens the allergy section ("Allergy band:", "Drug
    # allergies & reactions:", "Known allergies:"): the shape, not a list of headers.
    rules.append(SectionRule(
        literal="allergy labels", category="ALLERGIES",
        pattern=r"(?im)^[ \t]*(?:[a-z]+[ \t]+){0,2}allerg(?:y|ies|ic)\b(?:[ \t]*[/&][ \t]*"
                r"[a-z]+)?(?:[ \t]+[a-z&]+){0,2}[ \t]*(?::|[ \t]+[-\u2013]{1,2}(?=[ \t]|\r?\n))"))
    return rules


class _SingleTextRegexMatcher:
    """Mixin body for medspaCy's RegexMatcher that builds ``doc.text_with_ws`` once per doc.

    medspaCy 1.3.1 rebuilds the text (a join over all tokens) for every regex rule; with one
    rule per section category that was most of the sectionizer's time.
    """

    def __call__(self, doc):
        text = doc.text_with_ws
        matches = []
        for match_id, patterns in self._patterns.items():
            for pattern in patterns:
                for m in pattern.finditer(text):
                    span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                    if span is not None and len(span):
                        matches.append((match_id, span.start, span.end))
        return matches


def _speed_up_sectionizer(sectionizer) -> None:
    from medspacy.common.regex_matcher import RegexMatcher

    # Private attributes of medspacy==1.3.1 (pinned); tests/agent/nlp/test_pipeline.py fails
    # loudly if a medspaCy upgrade renames them.
    inner = sectionizer._Sectionizer__matcher._MedspacyMatcher__regex_matcher
    if not isinstance(inner, RegexMatcher):
        raise TypeError("unexpected medspaCy internals: sectionizer regex matcher not found")
    inner.__class__ = type("SingleTextRegexMatcher", (_SingleTextRegexMatcher, RegexMatcher), {})


def _context_rules(entries: list[ContextRuleEntry]):
    from medspacy.context import ConTextRule

    return [
        ConTextRule(
            literal=e.literal, category=e.category, pattern=e.pattern, direction=e.direction,
            max_scope=e.max_scope,
            allowed_types=set(e.allowed_types) if e.allowed_types else None,
            excluded_types=set(e.excluded_types) if e.excluded_types else None,
            terminated_by=set(e.terminated_by) if e.terminated_by else None,
            metadata={"verb_only": True} if e.verb_only else None,
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
    sec_entries = section_entries(sec_path)

    # spaCy's English tokenizer (what medspacy.load gives by default); sentences come from
    # agent.nlp.layout.py, sections and ConText from medspaCy components.
    nlp = spacy.blank("en")
    # Notes can be large; the extractor splits very long notes itself, so this limit only
    # needs to cover one segment.
    nlp.max_length = 2_000_000
    sectionizer = nlp.add_pipe(
        "medspacy_sectionizer",
        config={"rules": None, "require_start_line": True, "span_attrs": None},
    )
    sectionizer.add(_section_rules(sec_entries))
    _speed_up_sectionizer(sectionizer)
    context = nlp.add_pipe("medspacy_context", config={"rules": None})
    context.add(_context_rules(ctx_entries))
    return ClinicalPipeline(
        nlp=nlp, sectionizer=sectionizer, context=context,
        rule_hashes={CONTEXT_FILE: file_sha256(ctx_path), SECTIONS_FILE: file_sha256(sec_path)},
    )


def segments(text: str, max_chars: int = SEGMENT_CHARS) -> Iterator[tuple[int, str]]:
    """Split text into pieces of at most ~max_chars, cutting at blank lines or newlines."""
    pos = 0
    n = len(text)
    while pos < n:
        if n - pos <= max_chars:
            yield pos, text[pos:]
            return
        cut = text.rfind("\n\n", pos + max_chars // 2, pos + max_chars)
        if cut == -1:
            cut = text.rfind("\n", pos + max_chars // 2, pos + max_chars)
        if cut == -1:
            cut = text.rfind(" ", pos + max_chars // 2, pos + max_chars)
        cut = pos + max_chars if cut == -1 else cut + 1
        yield pos, text[pos:cut]
        pos = cut
