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
from re import _constants as C

from agent.nlp.first_chars import first_members

# Per-character sub-patterns kept per dispatcher (a note has ~100 distinct characters).
_MAX_SUBPATTERNS = 4096
_CATEGORIES = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s",
               C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}


def _class_item(kind, value) -> str | None:
    if kind is C.LITERAL:
        return re.escape(chr(value))
    if kind is C.RANGE:
        return f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}"
    return _CATEGORIES.get(value) if kind is C.CATEGORY else None


def first_class(branch: str, flags: int = 0) -> tuple[re.Pattern[str] | None, bool]:
    """(a one-character regex matching every character a match of ``branch`` can start
    with, or None when that cannot be told; whether the branch may match the empty
    string). The characters are read by :func:`agent.nlp.first_chars.first_members`, which
    already widens case-insensitive letters to both cases: the class is compiled without
    IGNORECASE."""
    try:
        members, nullable = first_members(branch, flags)
    except re.error:
        return None, False  # a branch that is no pattern on its own: kept for every character
    if members is None or nullable or not members:
        return None, nullable
    items = {_class_item(kind, value) for kind, value in members}
    if None in items:
        return None, False
    return re.compile("[" + "".join(sorted(items)) + "]",
                      flags & ~(re.VERBOSE | re.IGNORECASE)), False


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
