"""The medspaCy pipeline: clinical tokenizer, sentence rules, sectionizer and ConText.

Entity matching is not a spaCy component here (see ``agent/nlp/lexicon.py`` for why); the
extractor sets ``doc.ents`` between the sentence splitter and the context components.
"""

from __future__ import annotations

import bisect
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spacy.language import Language

from agent.nlp.clause_structure import remember_entity_ranges
from agent.nlp.doc_text import doc_text, keep_text
from agent.nlp.first_chars import compile_skipping
from agent.nlp.layout import set_sentence_starts
from agent.nlp.list_sections import end_short_lists
from agent.nlp.section_store import apply_sectionizer
from agent.nlp.token_patterns import (
    CompiledPattern,
    DocTokens,
    StartIndex,
    compile_pattern,
    find_all,
)
from agent.nlp.tokenizer_cache import TokenizerCachePrimer
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
SECTIONS_FILE = "sections.json"


@dataclass
class ClinicalPipeline:
    """The spaCy objects the extractor drives, plus the hashes of the rule files used."""

    nlp: Language
    sectionizer: object
    context: object
    rule_hashes: dict[str, str]

    def __post_init__(self) -> None:
        self._primer = TokenizerCachePrimer(self.nlp.tokenizer)

    def prepare(self, text: str):
        """Tokenise, split sentences and find sections (no entities yet)."""
        self._primer.prime(text)
        doc = keep_text(self.nlp.make_doc(text), text)
        return end_short_lists(apply_sectionizer(self.sectionizer, set_sentence_starts(doc)))

    def annotate(self, doc):
        """Run ConText on a prepared doc whose ``ents`` are set."""
        remember_entity_ranges(doc)
        return _apply_context(self.context, doc)


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
        first = frozenset(lit.lstrip()[:1].lower() for lit in literals)
        if not all(c.isascii() and c for c in first):
            first = None  # no gate: Unicode case folding is the regex's to decide
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
        if first is not None:
            _LINE_GATES[pattern] = first
        if not bare:
            # Any header in capitals alone on its line is a header too ("RESULTS", "PLAN"):
            # case-sensitive, so "Plan" or "results" inside prose never match.
            caps = _alternation(literals, upper=True)
            pattern = rf"(?m)^[ \t]*(?-i:{caps})[ \t]*(?=\r?\n)"
            rules.append(SectionRule(
                literal=f"{category} capital headers", category=category,
                # medspaCy compiles rule regexes with IGNORECASE; (?-i:) turns it off.
                pattern=pattern))
            if first is not None:
                _LINE_GATES[pattern] = first
    # Any short label naming allergies opens the allergy section ("Allergy band:", "Drug
    # allergies & reactions:", "Known allergies:"): the shape, not a list of headers.
    rules.append(SectionRule(
        literal="allergy labels", category="ALLERGIES",
        pattern=r"(?im)^[ \t]*(?:[a-z]+[ \t]+){0,2}allerg(?:y|ies|ic)\b(?:[ \t]*[/&][ \t]*"
                r"[a-z]+)?(?:[ \t]+[a-z&]+){0,2}[ \t]*(?::|[ \t]+[-\u2013]{1,2}(?=[ \t]|\r?\n))"))
    return rules


# Section header regex (as written) -> the lower-cased first characters its header words
# can start with. Each of these regexes begins "^[ \t]*" then one of those words, in
# MULTILINE mode, so a match can only start at a line start whose first character after
# spaces and tabs is one of them (or is not ASCII: Unicode case folding, "K" for "k", is
# left to the regex).
_LINE_GATES: dict[str, frozenset[str]] = {}


def _line_starts(text: str) -> list[tuple[int, str]]:
    """(offset, first character after spaces/tabs, lower-cased) of every line."""
    out = []
    start = 0
    while True:
        rest = text[start:start + 80].lstrip(" \t")
        out.append((start, rest[:1].lower() if rest[:1].isascii() else ""))
        nl = text.find("\n", start)
        if nl == -1:
            return out
        start = nl + 1


def _skipping(matcher, key=None, count: int | None = None) -> None:
    """Recompile a medSpaCy ``RegexMatcher``'s patterns (all, or the last ``count`` of
    ``key``) with :func:`agent.nlp.first_chars.compile_skipping`: same matches, without
    trying every position of the note where a pattern opens on a look-behind or boundary."""
    for k, patterns in matcher._patterns.items():
        if key is not None and k != key:
            continue
        first = 0 if count is None else len(patterns) - count
        patterns[first:] = [compile_skipping(p.pattern, p.flags) for p in patterns[first:]]


class _SingleTextRegexMatcher:
    """Mixin body for medspaCy's RegexMatcher that builds ``doc.text_with_ws`` once per doc
    and tries the section header regexes only at the lines they can match.

    medspaCy 1.3.1 rebuilds the text (a join over all tokens) for every regex rule; with one
    rule per section category that was most of the sectionizer's time. Then scanning every
    character of the note with ~100 regexes was (~2 ms a note): a header regex of
    :data:`_LINE_GATES` is only tried (``match``) at line starts its first words allow,
    skipping lines inside an earlier match as ``finditer`` does, so the matches are the
    ones ``finditer`` finds, in the same order.
    """

    def __call__(self, doc):
        text = doc_text(doc)
        lines = None
        matches = []
        for match_id, patterns in self._patterns.items():
            for pattern in patterns:
                gate = _LINE_GATES.get(pattern.pattern)
                if gate is None:
                    found = pattern.finditer(text)
                else:
                    if lines is None:
                        lines = _line_starts(text)
                    found = _gated_matches(pattern, text, lines, gate)
                for m in found:
                    span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                    if span is not None and len(span):
                        matches.append((match_id, span.start, span.end))
        return matches


def _gated_matches(pattern: re.Pattern[str], text: str, lines: list[tuple[int, str]],
                   gate: frozenset[str]) -> list[re.Match[str]]:
    out = []
    pos = 0
    for start, first in lines:
        if start < pos or (first and first not in gate):
            continue
        m = pattern.match(text, start)
        if m is not None:
            out.append(m)
            pos = m.end() if m.end() > m.start() else m.end() + 1
    return out


class _OneTextRegexMatcher:
    """Mixin body for ConText's medspaCy ``RegexMatcher``: its ``__call__`` line for line
    (same spans, same token resolution, same callbacks), but ``doc.text_with_ws``, a join
    over every token that medspaCy rebuilds for each regex rule, is built once per doc."""

    def add(self, match_id, regex_rules, on_match=None) -> None:
        rules = list(regex_rules)
        super().add(match_id, rules, on_match)
        _skipping(self, self.vocab.strings[match_id], len(rules))

    def __call__(self, doc):
        from medspacy.common.util import get_token_for_char

        text = doc_text(doc)
        matches = []
        for match_id, patterns in self._patterns.items():
            for pattern in patterns:
                on_match = self._callbacks[match_id]
                for re_match in pattern.finditer(text):
                    span = doc.char_span(re_match.start(), re_match.end())
                    if span is None:
                        start = get_token_for_char(doc, re_match.start(),
                                                   resolve=self.resolve_start)
                        end = get_token_for_char(doc, re_match.end(), resolve=self.resolve_end)
                        end_index = len(doc) if end is None else end.i
                        span = doc[start.i:end_index]
                    if len(span):
                        matches.append((match_id, span.start, span.end))
                    if on_match is not None:
                        on_match(self, doc, len(matches) - 1, matches)
        return matches


def _speed_up_sectionizer(sectionizer) -> None:
    from medspacy.common.regex_matcher import RegexMatcher

    # Private attributes of medspacy==1.3.1 (pinned); tests/agent/nlp/test_pipeline.py fails
    # loudly if a medspaCy upgrade renames them.
    inner = sectionizer._Sectionizer__matcher._MedspacyMatcher__regex_matcher
    if not isinstance(inner, RegexMatcher):
        raise TypeError("unexpected medspaCy internals: sectionizer regex matcher not found")
    inner.__class__ = type("SingleTextRegexMatcher", (_SingleTextRegexMatcher, RegexMatcher), {})
    _skipping(inner)


# Token-pattern operators under which a pattern token must match at least one doc token.
_REQUIRED_OPS = (None, "+", "1")
# Process-local cache of compiled sub-matchers, keyed by the indices of the active patterns
# (rule numbers only, never note text); bounded so memory stays flat.
_SUBSET_CACHE_SIZE = 512


def _required_words(pattern: list[dict]) -> list[tuple[str, frozenset[str]]]:
    """For each token spec that must match some token, the words it accepts.

    Returns (attribute, words) pairs where attribute is ``lower`` (the token's ``lower_``) or
    ``orth`` (its text); a spec with only other constraints (regexes, shapes) gives none.
    """
    required = []
    for spec in pattern:
        if spec.get("OP") not in _REQUIRED_OPS:
            continue
        for key, attr in (("LOWER", "lower"), ("ORTH", "orth"), ("TEXT", "orth")):
            value = spec.get(key)
            if isinstance(value, str):
                required.append((attr, frozenset((value,))))
            elif (isinstance(value, dict) and set(value) == {"IN"}
                  and all(isinstance(v, str) for v in value["IN"])):
                required.append((attr, frozenset(value["IN"])))
    return required


class _WordFilteredMatcher:
    """spaCy's token ``Matcher`` for ConText that runs only the patterns a doc can match.

    The Matcher starts every pattern at every token, so its time is patterns x tokens, and
    ConText's ~200 patterns were ~40% of extraction time. A pattern whose required word
    (``{"LOWER": "ruled"}``, ``{"LOWER": {"IN": [...]}}``) occurs nowhere in the doc cannot
    match; the others run in a Matcher holding just them, in the order they were added. The
    Matcher advances each pattern's states independently and keeps their order, so a
    subset's matches are exactly the full matcher's matches of those patterns, in the same
    order: the output is identical (tests/agent/nlp/test_pipeline_speed.py checks it).
    """

    def __init__(self, vocab) -> None:
        from spacy.matcher import Matcher

        self.vocab = vocab
        # Holds every pattern once, validated as medspaCy's own Matcher would (a bad pattern
        # fails at add time); the per-doc sub-matchers then skip the validation.
        self._all = Matcher(vocab)
        self._specs: list[tuple[str, list[dict], object, list]] = []
        self._subsets: OrderedDict[tuple[int, ...], object] = OrderedDict()
        # Per pattern: (match id, compiled pattern) for agent.nlp.token_patterns, or None
        # where it uses what only spaCy's Matcher does (then the doc goes to spaCy's).
        self._compiled: list[tuple[int, CompiledPattern] | None] = []
        # Built on first use after the last add: where patterns start (StartIndex), and the
        # required word sets numbered once, each pattern's as a set of those numbers.
        self._starts: StartIndex | None = None
        self._needs: tuple[dict[str, dict[str, list[int]]], list[frozenset[int]]] | None = None
        self._lock = threading.Lock()  # the API may share one extractor between threads

    def __len__(self) -> int:
        return len(self._specs)

    def add(self, key: str, patterns: list[list[dict]], on_match=None) -> None:
        """Same as ``Matcher.add``, one spec per pattern (kept in order)."""
        self._all.add(key, patterns, on_match=on_match)
        key_id = self.vocab.strings.add(key)
        for pattern in patterns:
            self._specs.append((key, pattern, on_match, _required_words(pattern)))
            compiled = compile_pattern(pattern) if on_match is None else None
            self._compiled.append(None if compiled is None else (key_id, compiled))
        self._subsets.clear()
        self._starts = self._needs = None

    def _required(self) -> tuple[dict[str, dict[str, list[int]]], list[frozenset[int]]]:
        needs = self._needs
        if needs is None:
            numbers: dict[tuple[str, frozenset[str]], int] = {}
            by_word: dict[str, dict[str, list[int]]] = {"lower": {}, "orth": {}}
            per_pattern = []
            for _, _, _, required in self._specs:
                ids = set()
                for group in required:
                    if group not in numbers:
                        numbers[group] = len(numbers)
                        for w in group[1]:
                            by_word[group[0]].setdefault(w, []).append(numbers[group])
                    ids.add(numbers[group])
                per_pattern.append(frozenset(ids))
            needs = self._needs = (by_word, per_pattern)
        return needs

    def _active(self, toks: DocTokens) -> tuple[int, ...]:
        """The patterns every required word set of which meets a word of the doc: each
        distinct doc word marks the sets it is in, then a pattern is a subset test."""
        by_word, per_pattern = self._required()
        met: set[int] = set()
        for attr in ("lower", "orth"):
            table = by_word[attr]
            # The doc's distinct words that are in some set, found by one set intersection
            # in C rather than a lookup per distinct word.
            for w in table.keys() & toks.positions(attr).keys():
                met.update(table[w])
        return tuple(i for i, ids in enumerate(per_pattern) if ids <= met)

    def _start_index(self) -> StartIndex:
        index = self._starts
        if index is None:
            never = CompiledPattern(())
            index = self._starts = StartIndex(
                [never if c is None else c[1] for c in self._compiled])
        return index

    def _matcher(self, active: tuple[int, ...]):
        from spacy.matcher import Matcher

        with self._lock:
            matcher = self._subsets.get(active)
            if matcher is not None:
                self._subsets.move_to_end(active)
                return matcher
        matcher = Matcher(self.vocab, validate=False)
        for i in active:
            key, pattern, on_match, _ = self._specs[i]
            matcher.add(key, [pattern], on_match=on_match)
        with self._lock:
            self._subsets[active] = matcher
            if len(self._subsets) > _SUBSET_CACHE_SIZE:
                self._subsets.popitem(last=False)
        return matcher

    def __call__(self, doc):
        toks = DocTokens(doc)
        active = self._active(toks)
        if not active:
            return []
        compiled = [self._compiled[i] for i in active]
        if all(c is not None for c in compiled):
            starting = self._start_index().starting(toks, {i: q for q, i in enumerate(active)})
            return find_all(toks, compiled, starting)  # type: ignore[arg-type]
        return self._matcher(active)(doc)


def _filter_context_matcher(context) -> None:
    """Put a :class:`_WordFilteredMatcher` in place of ConText's token Matcher (before any
    rule is added, so it receives every pattern in order), and build the doc text once
    for its regex rules (:class:`_OneTextRegexMatcher`)."""
    from medspacy.common.regex_matcher import RegexMatcher
    from spacy.matcher import Matcher

    # Private attributes of medspacy==1.3.1 (pinned), as in _speed_up_sectionizer.
    outer = context._ConText__matcher
    if context.input_span_type != "ents":
        raise TypeError("ConText must take its targets from doc.ents (_apply_context)")
    if not isinstance(outer._MedspacyMatcher__matcher, Matcher) or len(
            outer._MedspacyMatcher__matcher):
        raise TypeError("unexpected medspaCy internals: empty ConText token Matcher not found")
    outer._MedspacyMatcher__matcher = _WordFilteredMatcher(outer._MedspacyMatcher__matcher.vocab)
    inner = outer._MedspacyMatcher__regex_matcher
    if type(inner) is not RegexMatcher:
        raise TypeError("unexpected medspaCy internals: ConText regex matcher not found")
    inner.__class__ = type("OneTextRegexMatcher", (_OneTextRegexMatcher, RegexMatcher), {})


def _apply_context(context, doc):
    """medspaCy 1.3.1's ``ConText.__call__`` (targets: ``doc.ents``), step for step, with
    the graph's target/modifier pairing done by :func:`_sorted_targets_graph`."""
    from medspacy.context import ConTextModifier

    # Private attribute of medspacy==1.3.1 (pinned), as in _filter_context_matcher.
    matcher = context._ConText__matcher
    graph = _sorted_targets_graph()(prune_on_modifier_overlap=context.prune_on_target_overlap)
    graph.targets = doc.ents
    graph.modifiers = []
    for match_id, start, end in matcher(doc):
        rule = matcher.rule_map[context.nlp.vocab[match_id].text]
        graph.modifiers.append(ConTextModifier(rule, start, end, doc,
                                               max_scope=context.max_scope))
    graph.update_scopes()
    graph.apply_modifiers()
    for target, modifier in graph.edges:
        target._.modifiers += (modifier,)
    if context.context_attributes_mapping:
        context.set_context_attributes(graph.edges)
    doc._.context_graph = graph
    return doc


@lru_cache(maxsize=1)
def _sorted_targets_graph() -> type:
    """A medspaCy ``ConTextGraph`` subclass (made once, as medspaCy loads lazily) whose
    ``apply_modifiers`` tests each modifier only against the targets its scope can reach.

    medspaCy tests every target against every modifier (~6% of extraction time). A
    modifier modifies a target only when ``tuple_overlaps(scope, target)``: the target
    starts in ``[scope start, scope end)`` or ends in ``(scope start, scope end]``. The
    targets (``doc.ents``) are sorted and disjoint, so those are two index ranges found by
    bisection; every other target fails that test, so skipping it changes nothing. The
    candidates go through the same ``modifies``/``modify`` calls in target order, so each
    modifier's target list, and the edges, are the ones medspaCy builds. Anything unusual
    (pruning on, unsorted targets, ``on_modifies`` callbacks) takes medspaCy's own loop.
    """
    from medspacy.context import ConTextGraph

    class SortedTargetsGraph(ConTextGraph):
        def update_scopes(self) -> None:
            # medspaCy limits every pair of modifiers (i < j, both ways, in that order);
            # limit_scope does nothing unless the two scopes overlap as tuple_overlaps
            # says, and scopes only shrink, so a pair whose first scopes do not even touch
            # (closed intervals) never changes anything: the others run in medspaCy's order.
            mods = self.modifiers
            first = [m.scope_span for m in mods]
            for i in range(len(mods) - 1):
                lo, hi = first[i]
                for j in range(i + 1, len(mods)):
                    lo2, hi2 = first[j]
                    if lo2 <= hi and lo <= hi2:
                        mods[i].limit_scope(mods[j])
                        mods[j].limit_scope(mods[i])

        def apply_modifiers(self) -> None:
            targets = list(self.targets)
            starts = [t.start for t in targets]
            ends = [t.end for t in targets]
            if (self.prune_on_modifier_overlap or starts != sorted(starts)
                    or ends != sorted(ends)
                    or any(m.rule.on_modifies is not None for m in self.modifiers)):
                super().apply_modifiers()
                return
            for modifier in self.modifiers:
                lo, hi = modifier.scope_span
                reach = set(range(bisect.bisect_left(starts, lo), bisect.bisect_left(starts, hi)))
                reach.update(range(bisect.bisect_right(ends, lo), bisect.bisect_right(ends, hi)))
                for i in sorted(reach):
                    if modifier.modifies(targets[i]):
                        modifier.modify(targets[i])
            edges = []
            for modifier in self.modifiers:
                modifier.reduce_targets()
                for target in modifier._targets:
                    edges.append((target, modifier))
            self.edges = edges

    return SortedTargetsGraph


def _context_rules(entries: list[ContextRuleEntry]):
    from medspacy.context import ConTextRule

    return [
        ConTextRule(
            literal=e.literal, category=e.category, pattern=e.pattern, direction=e.direction,
            max_scope=e.max_scope,
            allowed_types=set(e.allowed_types) if e.allowed_types else None,
            excluded_types=set(e.excluded_types) if e.excluded_types else None,
            terminated_by=set(e.terminated_by) if e.terminated_by else None,
            metadata={k: True for k, on in (("verb_only", e.verb_only),
                                            ("forward_at_clause_start",
                                             e.forward_at_clause_start)) if on} or None,
        )
        for e in entries
    ]


_PLUGIN_FACTORIES_LOCK = threading.Lock()


@contextmanager
def _without_plugin_factories() -> Iterator[None]:
    """Create a blank ``Language`` without importing every installed spaCy plugin.

    ``Language.__init__`` loads all ``spacy_factories`` entry points; one of them is
    Presidio's Hugging Face pipe, which imports transformers and torch (~4 s of the
    extractor's start-up). This pipeline uses only medspaCy's components (registered by
    ``import medspacy``) and spaCy's own, so skipping the plugins changes nothing in it; a
    later ``Language`` (the de-identifier's model) loads them as usual.
    """
    from spacy import util

    registry = util.registry._entry_point_factories
    with _PLUGIN_FACTORIES_LOCK:
        registry.get_all = dict  # shadows the method on this instance: no entry points
        try:
            yield
        finally:
            del registry.get_all


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
    with _without_plugin_factories():
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
    _filter_context_matcher(context)
    context.add(_context_rules(ctx_entries))
    return ClinicalPipeline(
        nlp=nlp, sectionizer=sectionizer, context=context,
        rule_hashes={CONTEXT_FILE: file_sha256(ctx_path), SECTIONS_FILE: file_sha256(sec_path)},
    )
