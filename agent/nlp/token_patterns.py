"""Every match of spaCy token patterns in a doc, found from the tokens that can start one.

spaCy's ``Matcher`` starts every pattern at every token and evaluates ``{"IN": [...]}``
sets through Python callbacks, so ConText's ~40 patterns a note can match cost ~4 ms per
note, the largest part of extraction. Here each pattern starts only where a token can
begin it (a word index gives those positions) and is followed as a small automaton over
its specs: a few hundred steps per note.

Only what ConText rules use is supported (``LOWER``/``ORTH``/``TEXT`` equal to a string,
``IN``, ``NOT_IN`` or ``REGEX``; ``IS_SPACE``/``LIKE_NUM``/``IS_TITLE`` and friends; ``OP``
absent, ``?``, ``*``, ``+``); :func:`compile_pattern` returns None for anything else and
the caller keeps spaCy's Matcher. The matches are the spaCy ``Matcher``'s (all of them,
deduplicated, zero-length ones left out; tests/agent/nlp/test_token_patterns.py compares
the two on every demo and development note and on generated docs).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.nlp.doc_text import token_texts

# Boolean token flags a spec may test, read from the token only when a pattern needs them.
_FLAGS = ("IS_SPACE", "LIKE_NUM", "IS_TITLE", "IS_PUNCT", "IS_DIGIT", "IS_ALPHA",
          "IS_UPPER", "IS_LOWER", "IS_STOP")
_STRING_ATTRS = {"LOWER": "lower", "ORTH": "orth", "TEXT": "orth"}


class DocTokens:
    """The token attributes patterns read, taken from a doc once."""

    def __init__(self, doc) -> None:
        self.doc = doc
        # The token texts the doc already keeps; spaCy's LOWER is the text's str.lower()
        # (spacy.lang.lex_attrs.lower; English does not override it).
        self.orth = token_texts(doc)
        self.lower = [o.lower() for o in self.orth]
        # spaCy's IS_SPACE is the token text's str.isspace() (spacy.lang.lex_attrs).
        self._flags: dict[str, list[bool]] = {"IS_SPACE": [o.isspace() for o in self.orth]}
        self._positions: dict[str, dict[str, list[int]]] = {}
        self._holding: dict[tuple, list[int]] = {}

    def __len__(self) -> int:
        return len(self.lower)

    def flag(self, name: str) -> list[bool]:
        values = self._flags.get(name)
        if values is None:
            # Doc.to_array reads the flag of every token's lexeme in C, as the Token
            # properties do one Token object at a time (~12x faster).
            values = self._flags[name] = (self.doc.to_array(name) != 0).tolist()
        return values

    def holding(self, spec: _Spec) -> list[int]:
        """Token indices where a spec's tests hold (cached per doc by the tests)."""
        found = self._holding.get(spec.tests)
        if found is None:
            if len(spec.tests) == 1 and spec.tests[0][0] == "flag":
                _, name, value = spec.tests[0]
                found = [i for i, v in enumerate(self.flag(name)) if v == value]
            elif all(kind != "flag" for kind, _, _ in spec.tests):
                # Word tests depend on the token text only: one test per distinct text.
                found = sorted(i for at in self.positions("orth").values()
                               if spec.holds(self, at[0]) for i in at)
            else:
                found = [i for i in range(len(self.lower)) if spec.holds(self, i)]
            self._holding[spec.tests] = found
        return found

    def positions(self, attr: str) -> dict[str, list[int]]:
        """Word -> token indices, for ``lower`` or ``orth``."""
        index = self._positions.get(attr)
        if index is None:
            index = {}
            for i, word in enumerate(self.lower if attr == "lower" else self.orth):
                index.setdefault(word, []).append(i)
            self._positions[attr] = index
        return index


# spaCy's quantifiers (spacy/matcher/matcher.pyx: "+" is ONE then ZERO_PLUS).
_ONE, _ZERO_ONE, _ZERO_PLUS = 1, 2, 3
_QUANTIFIERS = {None: (_ONE,), "?": (_ZERO_ONE,), "*": (_ZERO_PLUS,),
                "+": (_ONE, _ZERO_PLUS)}
# spaCy's transition actions (get_action), named as there.
(_REJECT, _MATCH, _ADVANCE, _RETRY, _MATCH_EXTEND, _RETRY_ADVANCE, _RETRY_EXTEND,
 _MATCH_REJECT, _MATCH_DOUBLE) = range(9)


@dataclass(frozen=True)
class _Spec:
    """One token spec: the tests a token must pass, and its spaCy quantifier."""

    tests: tuple[tuple[str, str, object], ...]  # (kind, attribute, value)
    quantifier: int
    # Words one of which the token must be (attribute, words), when a test says so:
    # lets the start positions come from the word index.
    words: tuple[str, frozenset[str]] | None

    def holds(self, toks: DocTokens, i: int) -> bool:
        for kind, attr, value in self.tests:
            if kind == "flag":
                if toks.flag(attr)[i] != value:
                    return False
                continue
            word = toks.lower[i] if attr == "lower" else toks.orth[i]
            if kind == "eq":
                if word != value:
                    return False
            elif kind == "in":
                if word not in value:  # type: ignore[operator]
                    return False
            elif kind == "not_in":
                if word in value:  # type: ignore[operator]
                    return False
            elif not value.search(word):  # type: ignore[union-attr]  # kind == "regex"
                return False
        return True


def _specs(spec: dict) -> list[_Spec] | None:
    op = spec.get("OP")
    if op not in _QUANTIFIERS:
        return None
    tests: list[tuple[str, str, object]] = []
    words = None
    for key, value in spec.items():
        if key == "OP":
            continue
        upper = key.upper() if isinstance(key, str) else key
        if upper in _FLAGS and isinstance(value, bool):
            tests.append(("flag", upper, value))
            continue
        attr = _STRING_ATTRS.get(upper)
        if attr is None:
            return None
        if isinstance(value, str):
            tests.append(("eq", attr, value))
            words = words or (attr, frozenset((value,)))
        elif isinstance(value, dict) and len(value) == 1:
            (pred, arg), = value.items()
            if pred in ("IN", "NOT_IN") and isinstance(arg, list) and all(
                    isinstance(v, str) for v in arg):
                tests.append(("in" if pred == "IN" else "not_in", attr, frozenset(arg)))
                if pred == "IN":
                    words = words or (attr, frozenset(arg))
            elif pred == "REGEX" and isinstance(arg, str):
                tests.append(("regex", attr, re.compile(arg)))
            else:
                return None
        else:
            return None
    return [_Spec(tuple(tests), q, words) for q in _QUANTIFIERS[op]]


@dataclass(frozen=True)
class CompiledPattern:
    specs: tuple[_Spec, ...]

    def starts(self, toks: DocTokens) -> Sequence[int]:
        """Token indices where a match can begin: where a spec that can take the first
        token (the first, and each one after an optional one) holds; a superset of the
        true starts."""
        found: set[int] = set()
        for spec in self.specs:
            if spec.words is None:
                found.update(toks.holding(spec))
            else:
                attr, words = spec.words
                index = toks.positions(attr)
                for w in words:
                    found.update(index.get(w, ()))
            if spec.quantifier == _ONE:
                break
        return found

    def action(self, pos: int, toks: DocTokens, i: int) -> int:
        """spaCy's ``get_action`` for the spec at ``pos`` and token ``i``."""
        spec = self.specs[pos]
        is_match = spec.holds(toks, i)
        is_final = pos + 1 == len(self.specs)
        if spec.quantifier == _ONE:
            if not is_match:
                return _REJECT
            return _MATCH if is_final else _ADVANCE
        if spec.quantifier == _ZERO_PLUS:
            if is_match:
                return _MATCH_EXTEND if is_final else _RETRY_EXTEND
            return _MATCH_REJECT if is_final else _RETRY
        if is_match:  # _ZERO_ONE
            return _MATCH_DOUBLE if is_final else _RETRY_ADVANCE
        return _MATCH_REJECT if is_final else _RETRY


def start_words(pattern: CompiledPattern) -> list[tuple[str, frozenset[str]]] | None:
    """(attribute, words) of each spec that can take a match's first token (as
    :meth:`CompiledPattern.starts` reads them), or None when one of them tests more than a
    word."""
    out = []
    for spec in pattern.specs:
        if spec.words is None:
            return None
        out.append(spec.words)
        if spec.quantifier == _ONE:
            break
    return out


class StartIndex:
    """Where each of a list of patterns can start in a doc, found from the doc's distinct
    words (a dict lookup each) rather than from every word of every pattern: the same
    positions as :meth:`CompiledPattern.starts`, which stays the way for patterns whose
    first specs test more than words."""

    def __init__(self, patterns: Sequence[CompiledPattern]) -> None:
        self.patterns = patterns
        self.by_word: dict[str, dict[str, list[int]]] = {"lower": {}, "orth": {}}
        self.other: list[int] = []
        for p, pattern in enumerate(patterns):
            words = start_words(pattern)
            if words is None:
                self.other.append(p)
                continue
            for attr, accepted in words:
                for w in accepted:
                    table = self.by_word[attr].setdefault(w, [])
                    if not table or table[-1] != p:
                        table.append(p)

    def starting(self, toks: DocTokens, wanted: dict[int, int]) -> dict[int, list[int]]:
        """Token index -> the numbers ``wanted`` gives the patterns (of those it holds) that
        can start there, ascending."""
        found: dict[int, set[int]] = {}
        for attr, table in self.by_word.items():
            if not table:
                continue
            index = toks.positions(attr)
            # Only the doc's words some pattern starts with (a set intersection in C).
            for word in table.keys() & index.keys():
                positions = index[word]
                for p in table[word]:
                    q = wanted.get(p)
                    if q is not None:
                        for i in positions:
                            found.setdefault(i, set()).add(q)
        for p in self.other:
            q = wanted.get(p)
            if q is not None:
                for i in self.patterns[p].starts(toks):
                    found.setdefault(i, set()).add(q)
        return {i: sorted(qs) for i, qs in found.items()}


def compile_pattern(pattern: list[dict]) -> CompiledPattern | None:
    """The pattern compiled, or None when it uses something this matcher does not do."""
    specs: list[_Spec] = []
    for spec in pattern:
        if not isinstance(spec, dict):
            return None
        compiled = _specs(spec)
        if compiled is None:
            return None
        specs.extend(compiled)
    return CompiledPattern(tuple(specs)) if specs else None


def find_all(toks: DocTokens, patterns: Sequence[tuple[int, CompiledPattern]],
             starting: dict[int, list[int]] | None = None) -> list[tuple[int, int, int]]:
    """(match id, start, end) of every match, in the order spaCy's ``Matcher`` holding
    these patterns (in this order) returns them.

    This is spaCy's ``find_matches`` / ``transition_states`` / ``finish_states`` step for
    step, except that a pattern's state is only started at a token where one of its
    first specs holds: anywhere else spaCy's state is rejected on that token having
    emitted nothing but a zero-length match (which spaCy drops) and forked nothing, so
    leaving it out changes neither the matches nor their order.
    """
    n = len(toks)
    if starting is None:  # else: from a StartIndex (same positions, numbers ascending)
        starting = {}
        for p, (_, pattern) in enumerate(patterns):
            for i in pattern.starts(toks):
                starting.setdefault(i, []).append(p)
        starting = {i: sorted(ps) for i, ps in starting.items()}
    # A state: [pattern number, spec position, start, length].
    states: list[list[int]] = []
    matches: list[tuple[int, int, int]] = []  # (pattern number, start, length)
    for i in range(n):
        new = starting.get(i)
        if new:
            states.extend([p, 0, i, 0] for p in new)
        if not states:
            continue
        kept: list[list[int]] = []
        forks: list[list[int]] = []
        for p, pos, start, length in states:
            pattern = patterns[p][1]
            action = pattern.action(pos, toks, i)
            if action == _REJECT:
                continue
            while action in (_RETRY, _RETRY_ADVANCE, _RETRY_EXTEND):
                if action == _RETRY_EXTEND:
                    forks.append([p, pos, start, length + 1])
                elif action == _RETRY_ADVANCE:
                    forks.append([p, pos + 1, start, length + 1])
                pos += 1
                action = pattern.action(pos, toks, i)
            if action == _ADVANCE:
                kept.append([p, pos + 1, start, length + 1])
            elif action == _MATCH:
                matches.append((p, start, length + 1))
            elif action == _MATCH_DOUBLE:
                if length > 0:
                    matches.append((p, start, length))
                matches.append((p, start, length + 1))
            elif action == _MATCH_REJECT:
                matches.append((p, start, length))
            elif action == _MATCH_EXTEND:
                matches.append((p, start, length))
                kept.append([p, pos, start, length + 1])
        states = kept + forks
    # Patterns whose remaining specs may match nothing end at the end of the doc.
    for p, pos, start, length in states:
        specs = patterns[p][1].specs
        while specs[pos].quantifier in (_ZERO_PLUS, _ZERO_ONE):
            if pos + 1 == len(specs):
                matches.append((p, start, length))
                break
            pos += 1
    seen = set()
    out = []
    for p, start, length in matches:
        match = (patterns[p][0], start, start + length)
        if length > 0 and match not in seen:
            seen.add(match)
            out.append(match)
    return out
