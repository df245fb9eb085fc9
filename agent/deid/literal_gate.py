"""A cheap test of whether a regular expression can match a text at all: the literal strings
one of which every match must contain, found once from the expression's parse tree and
looked for with ``str.__contains__`` (C speed, no regex engine).

Most of the pack's ~100 expressions need a label or a mark ("SSN", "NPI", "@", "http") that
most notes never contain; scanning a note with each of them cost ~6 ms of ~30 per note, and
a gate skips an expression only when no match can exist, so the results never change. The
analysis is conservative: anything it does not understand (classes, back-references,
optional parts) adds no requirement, and an expression with none is always run.

Case-insensitive literals are looked for in a folded copy of the text: lower-cased, with the
four non-ASCII letters Python's ``re.IGNORECASE`` equates to ASCII ones (``İ ı ſ K``)
written as those letters; a non-ASCII literal is only required where case matters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# re's own parser and opcodes (what sre_parse was before Python 3.11 made it private): the
# gate must read an expression exactly as re compiles it.
from re import _constants as sre_c
from re import _parser as sre_parse

# Letters that re.IGNORECASE matches to ASCII letters although str.lower() does not give
# them (found by matching [a-z0-9] against every code point).
_FOLD = str.maketrans({"İ": "i", "ı": "i", "ſ": "s", "K": "k"})

# A requirement: (literal, case-insensitive), one of which a match contains.
Requirement = frozenset[tuple[str, bool]]

def folded(text: str) -> str:
    """``text`` as the gates compare case-insensitive literals with it (lower-cased, the
    letters of ``_FOLD`` replaced); a copy per recognizer call costs ~1 µs per kilobyte."""
    return text.lower() if text.isascii() else text.translate(_FOLD).lower()


def _best(options: list[Requirement]) -> Requirement | None:
    """The most selective of several requirements that all hold: the one whose shortest
    literal is longest (a long label is rarer than a one-character mark), then the one with
    fewer alternatives."""
    if not options:
        return None
    return max(options, key=lambda r: (min(len(s) for s, _ in r), -len(r)))


def _sequence(items, icase: bool) -> Requirement | None:
    options: list[Requirement] = []
    run: list[str] = []

    def close() -> None:
        if run:
            options.append(frozenset({("".join(run), icase)}))
            run.clear()

    for op, av in items:
        if op is sre_c.LITERAL:
            ch = chr(av)
            # A case-insensitive non-ASCII letter may match letters the fold does not
            # give: it requires nothing.
            if icase and not ch.isascii():
                close()
                continue
            run.append(ch.lower() if icase else ch)
            continue
        close()
        req = _node(op, av, icase)
        if req is not None:
            options.append(req)
    close()
    return _best(options)


def _node(op, av, icase: bool) -> Requirement | None:
    if op is sre_c.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        inner = icase
        if add_flags & re.IGNORECASE:
            inner = True
        if del_flags & re.IGNORECASE:
            inner = False
        return _sequence(sub, inner)
    if op is sre_c.BRANCH:
        _, alternatives = av
        union: set[tuple[str, bool]] = set()
        for alt in alternatives:
            req = _sequence(alt, icase)
            if req is None:
                return None
            union |= req
        return frozenset(union)
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
        low, _high, sub = av
        return _sequence(sub, icase) if low >= 1 else None
    if op is sre_c.ATOMIC_GROUP:
        return _sequence(av, icase)
    return None


def required_literals(pattern: str, flags: int = 0) -> Requirement | None:
    """Literals one of which every match of ``pattern`` (compiled with ``flags``) holds,
    with whether each is compared case-insensitively; None when there is no such set."""
    tree = sre_parse.parse(pattern, flags)
    # state.flags holds the flags given and those set inline for the whole pattern ("(?i)").
    return _sequence(list(tree), bool(tree.state.flags & re.IGNORECASE))


def _shortest_first(literals: set[str]) -> tuple[str, ...]:
    """The literals without those holding another one ("mrn" when "mr" is there: a text
    with "mrn" has "mr"), shortest first (the likeliest found, so the soonest done)."""
    kept: list[str] = []
    for s in sorted(literals, key=lambda x: (len(x), x)):
        if not any(k in s for k in kept):
            kept.append(s)
    return tuple(kept)


class LiteralGate:
    """Whether a compiled expression can match a text (False: it certainly cannot)."""

    __slots__ = ("_exact", "_folded")

    def __init__(self, rx: re.Pattern[str]) -> None:
        req = required_literals(rx.pattern, rx.flags)
        if req is None:
            self._exact = self._folded = None
            return
        self._exact = _shortest_first({s for s, icase in req if not icase})
        self._folded = _shortest_first({s for s, icase in req if icase})

    @property
    def always(self) -> bool:
        """True when the expression requires no literal (the gate never skips it)."""
        return self._exact is None

    def may_match(self, text: str, low: str) -> bool:
        """Whether the expression may match ``text`` (``low``: ``folded(text)``)."""
        if self._exact is None:
            return True
        for s in self._exact:
            if s in text:
                return True
        for s in self._folded:
            if s in low:
                return True
        return False


class GatedPattern:
    """A compiled expression whose ``finditer`` first asks its :class:`LiteralGate` (a
    text without any required literal yields no match without being scanned); every
    other attribute is the pattern's own."""

    __slots__ = ("pattern_", "gate")

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.pattern_ = rx
        self.gate = LiteralGate(rx)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self.gate.always or self.gate.may_match(text, folded(text)):
            return self.pattern_.finditer(text)
        return iter(())

    def __getattr__(self, name: str):
        return getattr(self.pattern_, name)


def gated(pattern: str, flags: int = 0) -> GatedPattern:
    """``re.compile(pattern, flags)`` with a gate on ``finditer``."""
    return GatedPattern(re.compile(pattern, flags))
