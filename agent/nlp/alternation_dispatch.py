"""A big regex alternation tried, at each position, only with the branches that can start
with the character there.

The medication-attribute terms are one alternation of ~150 branches behind a look-behind
(``(?<![A-Za-z0-9])(?=...)(?:(?P<t0>...)|(?P<t1>...)|...)(?![A-Za-z0-9])``); at every
word start ``re`` tries each branch in turn, which made it the slowest regex of extraction
(~3 ms over a demo note). :class:`AlternationDispatch` reads each branch with ``re``'s own
parser to learn the characters it can start with, and at a candidate position runs the
same prefix + alternation + suffix restricted to the branches whose first character class
matches the character found there, in their original order. A branch left out cannot
match at that position, so the first branch that matches (and the match) is the one the
full alternation gives; positions are taken as ``finditer`` takes them (after the end of
the previous match). A branch that can match the empty string, or that the reader does not
follow, is kept for every character; tests/agent/nlp/test_alternation_dispatch.py compares
with ``finditer`` of the full pattern.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

try:  # re's parser: private, Python 3.11+ names; anything unexpected -> keep the branch
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    P = C = None  # type: ignore[assignment]

# Per-character sub-patterns kept per dispatcher (a note has ~100 distinct characters).
_MAX_SUBPATTERNS = 4096


class _Unknown(Exception):
    """A construct the first-character reader does not follow."""


def _first(items, case: list[bool]) -> tuple[set[str], bool]:
    """(class items a match of this sequence can start with, whether it can be empty)."""
    out: set[str] = set()
    for op, av in items:
        got, nullable = _first_one(op, av, case)
        out |= got
        if not nullable:
            return out, False
    return out, True


def _class_item(kind, value) -> str:
    if kind is C.LITERAL:
        return re.escape(chr(value))
    if kind is C.RANGE:
        return f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}"
    if kind is C.CATEGORY:
        names = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D",
                 C.CATEGORY_SPACE: r"\s", C.CATEGORY_NOT_SPACE: r"\S",
                 C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}
        if value in names:
            return names[value]
    raise _Unknown


def _first_one(op, av, case: list[bool]) -> tuple[set[str], bool]:
    if op is C.LITERAL:
        return {re.escape(chr(av))}, False
    if op is C.IN:
        if any(kind is C.NEGATE for kind, _ in av):
            raise _Unknown
        return {_class_item(kind, value) for kind, value in av}, False
    if op is C.CATEGORY:
        return {_class_item(op, av)}, False
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if (add_flags | del_flags) & re.IGNORECASE:
            case[0] = True  # some part reads case differently: classes ignore case
        return _first(sub, case)
    if op is C.BRANCH:
        out, nullable = set(), False
        for alt in av[1]:
            got, empty = _first(alt, case)
            out |= got
            nullable |= empty
        return out, nullable
    if op in (C.MAX_REPEAT, C.MIN_REPEAT) or op is getattr(C, "POSSESSIVE_REPEAT", None):
        lo, _hi, sub = av
        got, empty = _first(sub, case)
        return got, empty or lo == 0
    if op is getattr(C, "ATOMIC_GROUP", None):
        return _first(av, case)
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return set(), True  # zero-width: says nothing of the first character
    raise _Unknown  # ANY, NOT_LITERAL, GROUPREF ...


def first_class(branch: str, flags: int = 0) -> tuple[re.Pattern[str] | None, bool]:
    """(a one-character regex matching every character a match of ``branch`` can start
    with, or None when that cannot be told; whether the branch may match the empty
    string)."""
    if P is None:
        return None, True
    try:
        case = [bool(flags & re.IGNORECASE)]
        items, nullable = _first(P.parse(branch, flags), case)
    except (_Unknown, re.error, TypeError, ValueError, IndexError, AttributeError):
        return None, False
    if nullable or not items:
        return None, nullable
    # Ignoring case whenever any part of the branch does gives a superset: safe.
    return re.compile("[" + "".join(sorted(items)) + "]",
                      (flags & ~re.VERBOSE) | (re.IGNORECASE if case[0] else 0)), False


class AlternationDispatch:
    """``prefix (?:b0|b1|...) suffix`` matched like ``re.finditer`` of the whole, trying
    at each position only the branches that can start with its character.

    Args:
        prefix: a zero-width pattern every match starts with (look-behinds,
            look-aheads); candidate positions are where it matches.
        branches: the alternation's branches, in order (named groups allowed).
        suffix: pattern after the alternation.
        flags: ``re`` flags of the whole pattern.
    """

    def __init__(self, prefix: str, branches: list[str], suffix: str = "",
                 flags: int = 0) -> None:
        self.prefix, self.suffix, self.flags = prefix, suffix, flags
        self.branches = branches
        self.full = re.compile(f"{prefix}(?:{'|'.join(branches)}){suffix}", flags)
        self._starts = re.compile(prefix, flags)
        read = [first_class(b, flags) for b in branches]
        self._firsts = [first for first, _ in read]
        # A branch that may match empty brings finditer's empty-match rules in: the whole
        # pattern then runs as it is.
        self.dispatches = not any(nullable for _, nullable in read)
        self._by_char: dict[str, re.Pattern[str] | None] = {}
        self._by_keep: dict[tuple[int, ...], re.Pattern[str] | None] = {}
        self._lock = threading.Lock()

    def _for(self, ch: str) -> re.Pattern[str] | None:
        sub = self._by_char.get(ch, self)
        if sub is not self:
            return sub  # type: ignore[return-value]
        keep = tuple(i for i, first in enumerate(self._firsts)
                     if first is None or first.match(ch))
        # Characters keeping the same branches (a letter in either case, most digits) share
        # one compiled sub-pattern: compiling one is ~10 ms, the dispatcher's first-use cost.
        sub = self._by_keep.get(keep, self)
        if sub is self:
            sub = re.compile(
                f"{self.prefix}(?:{'|'.join(self.branches[i] for i in keep)}){self.suffix}",
                self.flags) if keep else None
        with self._lock:
            if len(self._by_char) < _MAX_SUBPATTERNS:
                self._by_char[ch] = sub
                self._by_keep[keep] = sub
        return sub

    def prepare(self, chars: str) -> None:
        """Compile now the sub-patterns of ``chars`` (each is ~10-30 ms the first time a note
        holds its character): a long run pays the same once, at load time instead of
        inside its first notes."""
        if self.dispatches:
            for ch in chars:
                self._for(ch)

    def finditer(self, text: str, pos: int = 0,
                 endpos: int | None = None) -> Iterator[re.Match[str]]:
        end = len(text) if endpos is None else endpos
        if not self.dispatches:
            yield from self.full.finditer(text, pos, end)
            return
        nxt = pos
        for start in self._starts.finditer(text, pos, end):
            at = start.start()
            if at < nxt or at >= end:
                continue
            sub = self._for(text[at])
            if sub is None:
                continue
            m = sub.match(text, at, end)
            if m is not None:
                yield m
                nxt = m.end() if m.end() > m.start() else m.end() + 1


class FirstCharScan:
    """``rx.finditer`` tried only at the positions where a match can start.

    ``re`` tries a pattern that opens with look-behinds and a big group at every position
    (the number-led medication patterns: ~0.3 us a character each). Here a small regex,
    the pattern's own leading look-behinds (``lead``) followed by the one-character class
    its matches can start with (:func:`first_class`), finds the candidate positions, and
    ``rx.match`` runs only there (its look-behinds still see the text before, as in
    ``finditer``). Matches are found in order, each after the end of the previous one, as
    ``finditer`` finds them; a pattern that may match empty, or that the reader does not
    follow, runs as it is.

    Args:
        rx: the compiled pattern.
        lead: the zero-width assertions ``rx.pattern`` starts with, as written there ("" for
            none); compiled with ``rx``'s flags so they accept exactly what ``rx``'s do.
    """

    __slots__ = ("rx", "_first")

    def __init__(self, rx: re.Pattern[str], lead: str = "") -> None:
        if not rx.pattern.startswith(lead):
            raise ValueError("lead must be the text the pattern starts with")
        self.rx = rx
        first, nullable = first_class(rx.pattern, rx.flags)
        self._first = None
        if first is not None and not nullable:
            cls = first.pattern
            if first.flags & re.IGNORECASE and not rx.flags & re.IGNORECASE:
                cls = f"(?i:{cls})"
            self._first = re.compile(lead + cls, rx.flags & ~re.VERBOSE)

    @property
    def pattern(self) -> str:
        return self.rx.pattern

    def finditer(self, text: str, pos: int = 0,
                 endpos: int | None = None) -> Iterator[re.Match[str]]:
        end = len(text) if endpos is None else endpos
        if self._first is None:
            yield from self.rx.finditer(text, pos, end)
            return
        match = self.rx.match
        nxt = pos
        for hit in self._first.finditer(text, pos, end):
            at = hit.start()
            if at < nxt:
                continue
            m = match(text, at, end)
            if m is not None:
                yield m
                nxt = m.end()
