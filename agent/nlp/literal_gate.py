"""Regular expressions run only where they can match, with the same matches: from each
expression's parse tree (re's own parser), found once,

- the literals one of which every match must contain: a note without any of them is not
  scanned (:class:`LiteralGate`, checked with ``str.__contains__``, C speed);
- the literals one of which every match starts with (its labels: "MRN", "Attending",
  "daughter", month names): the expression is tried only where one of them starts
  (:class:`GatedPattern`).

Most of the pack's ~140 expressions need a label or a mark ("SSN", "NPI", "@", "http") that
most notes never contain, or start with a label most of a note is not; scanning every note
with each of them cost ~11 ms of ~28 per note. The analysis is conservative: anything it
does not understand (classes, back-references, conditionals, optional parts) adds no
requirement, and an expression with none is scanned as before.

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

from agent.nlp.first_chars import IGNORECASE_EXTRAS, compile_skipping

# The letters re.IGNORECASE matches to ASCII letters (first_chars' table, checked against
# every code point), folded to them: str.lower() does not give them all.
_FOLD = str.maketrans({c: letter for letter, chars in IGNORECASE_EXTRAS.items()
                       for c in chars})

# A requirement: (literal, case-insensitive), one of which a match contains.
Requirement = frozenset[tuple[str, bool]]


def folded(text: str) -> str:
    """``text`` as the gates compare case-insensitive literals with it (lower-cased, the
    letters of ``_FOLD`` replaced); a copy per recognizer call costs ~1 µs per kilobyte."""
    return text.lower() if text.isascii() else text.translate(_FOLD).lower()


# At most this many requirements are kept per pattern (the most selective), and a branch's
# requirements are combined (one from each alternative) only while there are at most this
# many combinations: the gate stays a handful of ``in`` checks.
_MAX_CLAUSES = 8


def _selectivity(req: Requirement) -> tuple[int, int]:
    # A long label is rarer than a one-character mark; fewer alternatives are rarer.
    return min(len(s) for s, _ in req), -len(req)


def _clauses(items, icase: bool) -> list[Requirement]:
    """Requirements every match of the sequence meets, all of them (each a set of
    literals one of which the match holds), most selective first."""
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
        options += _node(op, av, icase)
    close()
    # dict.fromkeys: no duplicates, first-seen order kept among equals (stable sort).
    return sorted(dict.fromkeys(options), key=_selectivity, reverse=True)[:_MAX_CLAUSES]


def _node(op, av, icase: bool) -> list[Requirement]:
    if op is sre_c.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        inner = icase
        if add_flags & re.IGNORECASE:
            inner = True
        if del_flags & re.IGNORECASE:
            inner = False
        return _clauses(sub, inner)
    if op is sre_c.BRANCH:
        # A match holds one alternative's requirements; so, for any choice of one
        # requirement per alternative, the union of the chosen ones ("body part ... swollen"
        # | "swollen ... body part": {swollen, ...} and {hand, ...} both hold).
        combined: list[set[tuple[str, bool]]] = [set()]
        for alt in av[1]:
            reqs = _clauses(alt, icase)
            if not reqs:
                return []
            # A one-character mark ("s" of "s(?:wollen|ore)") is in every note: no use to
            # combine; then as many of the best as the cap allows.
            reqs = [r for r in reqs if _selectivity(r)[0] > 1] or reqs[:1]
            combined = [c | r for c in combined
                        for r in reqs[:max(1, _MAX_CLAUSES // len(combined))]]
        return [frozenset(c) for c in combined]
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
        low, _high, sub = av
        return _clauses(sub, icase) if low >= 1 else []
    if op is sre_c.ATOMIC_GROUP:
        return _clauses(av, icase)
    return []


_ZERO_WIDTH = (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT)


def _zero_width(items) -> bool:
    """Whether a sequence only asserts ("^", "\\b", look-arounds) and consumes nothing."""
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is sre_c.SUBPATTERN and _zero_width(av[3]):
            continue
        if op is sre_c.BRANCH and all(_zero_width(alt) for alt in av[1]):
            continue
        return False
    return True


def _first(items, icase: bool) -> Requirement | None:
    """Literals one of which every match of the sequence begins with (after assertions
    that consume nothing); None when that is not certain."""
    items = list(items)
    for i, (op, av) in enumerate(items):
        if op in _ZERO_WIDTH:
            continue
        if op is sre_c.LITERAL:
            run = []
            for op2, av2 in items[i:]:
                if op2 is not sre_c.LITERAL or (icase and not chr(av2).isascii()):
                    break
                run.append(chr(av2).lower() if icase else chr(av2))
            if not run:
                return None
            head = "".join(run)
            # re's parser moves a prefix all alternatives share out of them ("Mother|
            # Martin" is "M(?:other|artin)"): the literals go on into what follows.
            rest = _first(items[i + len(run):], icase)
            if rest is not None and all(fold == icase for _, fold in rest):
                return frozenset((head + tail, icase) for tail, _ in rest)
            return frozenset({(head, icase)})
        if op is sre_c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if _zero_width(sub):
                continue
            inner = (icase or bool(add_flags & re.IGNORECASE)) and not (
                del_flags & re.IGNORECASE)
            return _first(sub, inner)
        if op is sre_c.BRANCH:
            if all(_zero_width(alt) for alt in av[1]):
                continue
            union: set[tuple[str, bool]] = set()
            for alt in av[1]:
                req = _first(alt, icase)
                if req is None:
                    return None
                union |= req
            return frozenset(union)
        if op is sre_c.IN:
            # A few plain characters ("[rs]", what the parser makes of "Mr|Ms"): each one
            # starts the match; anything else in a class (ranges, \d) is not certain.
            if len(av) > 4 or any(o is not sre_c.LITERAL or (icase and not chr(a).isascii())
                                  for o, a in av):
                return None
            return frozenset((chr(a).lower() if icase else chr(a), icase) for _, a in av)
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            low, _high, body = av
            head = _first(body, icase)
            if head is None or low >= 1:
                return head
            # Optional: the match begins with the body or with what follows it.
            rest = _first(items[i + 1:], icase)
            return None if rest is None else head | rest
        return None
    return None  # nothing certain is consumed


def leading_literals(pattern: str, flags: int = 0) -> Requirement | None:
    """Literals one of which every match of ``pattern`` starts with (its labels: "MRN",
    "chart"), so a match can only start where one of them is; None when not certain."""
    tree = sre_parse.parse(pattern, flags)
    return _first(list(tree), bool(tree.state.flags & re.IGNORECASE))


def required_literals(pattern: str, flags: int = 0) -> Requirement | None:
    """Literals one of which every match of ``pattern`` (compiled with ``flags``) holds,
    with whether each is compared case-insensitively; None when there is no such set."""
    found = required_clauses(pattern, flags)
    return found[0] if found else None


def required_clauses(pattern: str, flags: int = 0) -> list[Requirement]:
    """Sets of literals every match of ``pattern`` meets, all of them (one literal of each
    set is in the match), most selective first; empty when there are none."""
    tree = sre_parse.parse(pattern, flags)
    # state.flags holds the flags given and those set inline for the whole pattern ("(?i)").
    return _clauses(list(tree), bool(tree.state.flags & re.IGNORECASE))


def _shortest_first(literals: set[str]) -> tuple[str, ...]:
    """The literals without those holding another one ("mrn" when "mr" is there: a text
    with "mrn" has "mr"), shortest first (the likeliest found, so the soonest done)."""
    kept: list[str] = []
    for s in sorted(literals, key=lambda x: (len(x), x)):
        if not any(k in s for k in kept):
            kept.append(s)
    return tuple(kept)


class LiteralGate:
    """Whether a compiled expression can match a text (False: it certainly cannot): every
    requirement the expression's parse tree gives (:func:`required_clauses`, the most
    selective few) must be met by the text."""

    __slots__ = ("_clauses",)

    # More requirements would cost more checks in every note than they save.
    _KEPT = 4

    def __init__(self, rx: re.Pattern[str]) -> None:
        # Per requirement: (exact literals, case-insensitive literals), shortest first.
        self._clauses = tuple(
            (_shortest_first({s for s, icase in req if not icase}),
             _shortest_first({s for s, icase in req if icase}))
            for req in required_clauses(rx.pattern, rx.flags)[:self._KEPT])

    @property
    def always(self) -> bool:
        """True when the expression requires no literal (the gate never skips it)."""
        return not self._clauses

    def may_match(self, text: str, low: str) -> bool:
        """Whether the expression may match ``text`` (``low``: ``folded(text)``)."""
        for exact, fold in self._clauses:
            # Plain loops: a generator per requirement would cost more than the checks.
            for s in exact:
                if s in text:
                    break
            else:
                for s in fold:
                    if s in low:
                        break
                else:
                    return False
        return True


def _prefix_minimal(literals: set[str]) -> tuple[str, ...]:
    """The literals without those another one begins ("mrn" when "mr" is there: wherever
    "mrn" starts, "mr" starts)."""
    kept: list[str] = []
    for s in sorted(literals, key=lambda x: (len(x), x)):
        if not any(s.startswith(k) for k in kept):
            kept.append(s)
    return tuple(kept)


def _finder(literals: tuple[str, ...]) -> re.Pattern[str] | None:
    # One alternation of escaped literals: re scans it in C (its first characters make a
    # set re skips by), where a str.find per literal would scan the text once per label.
    if not literals:
        return None
    return re.compile("|".join(re.escape(x) for x in sorted(literals, key=len, reverse=True)))


class GatedPattern:
    """A compiled expression whose ``finditer`` gives what the pattern's gives, faster:

    - an expression every match of which starts with one of a few literals (a label) is
      tried only where one of them starts (``rx.match(text, pos)``, which sees the text
      before ``pos`` as a search does), in order and after the previous match, as
      ``finditer`` would find them;
    - otherwise, a text without any required literal (:class:`LiteralGate`) yields no
      match without being scanned, and one that is scanned skips, in C, the places no match
      can start (:func:`agent.nlp.first_chars.compile_skipping`).

    Every other attribute is the pattern's own.
    """

    __slots__ = ("pattern_", "gate", "_exact_starts", "_folded_starts")

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.pattern_ = compile_skipping(rx.pattern, rx.flags)
        self.gate = LiteralGate(rx)
        starts = leading_literals(rx.pattern, rx.flags)
        self._exact_starts = self._folded_starts = None
        # A one-character start ("(", ",") is everywhere, and re already scans for a
        # pattern's literal first character in C: only labels are worth it.
        if starts is not None and min(len(s) for s, _ in starts) >= 2:
            self._exact_starts = _finder(_prefix_minimal({s for s, i in starts if not i}))
            self._folded_starts = _finder(_prefix_minimal({s for s, i in starts if i}))

    @property
    def anchored(self) -> bool:
        """Whether matches are looked for only where a leading literal starts."""
        return self._exact_starts is not None or self._folded_starts is not None

    def finditer(self, text: str, low: str | None = None) -> Iterator[re.Match[str]]:
        """``pattern.finditer(text)``; ``low``, when given, is ``folded(text)`` (a caller
        scanning one text with many patterns folds it once)."""
        if self.anchored:
            gate_applies = not self.gate.always
            if self._folded_starts is not None or gate_applies:
                low = folded(text) if low is None else low
            else:
                low = text
            # The fold keeps offsets (İ, the one letter whose lower case is longer, is
            # replaced first); were it ever longer, the plain scan is taken.
            if len(low) == len(text):
                # A rule that starts with common words ("on", "with") but needs a rare one
                # ("collar") is not tried at each common word of a note without the rare one.
                if gate_applies and not self.gate.may_match(text, low):
                    return iter(())
                return self._anchored(text, low)
        if self.gate.always or self.gate.may_match(text, folded(text) if low is None else low):
            return self.pattern_.finditer(text)
        return iter(())

    def _anchored(self, text: str, low: str) -> Iterator[re.Match[str]]:
        match = self.pattern_.match
        exact, fold = self._exact_starts, self._folded_starts
        pos = 0
        while True:
            # The next place a leading literal starts, at or after pos.
            at = -1
            if exact is not None:
                hit = exact.search(text, pos)
                at = hit.start() if hit else -1
            if fold is not None:
                hit = fold.search(low, pos)
                if hit is not None and (at == -1 or hit.start() < at):
                    at = hit.start()
            if at == -1:
                return
            m = match(text, at)
            if m is None:
                pos = at + 1
                continue
            yield m
            # A match always holds a literal, so it is never empty: go on after it.
            pos = m.end()

    def __getattr__(self, name: str):
        return getattr(self.pattern_, name)


def gated(pattern: str, flags: int = 0) -> GatedPattern:
    """``re.compile(pattern, flags)`` with a gate on ``finditer`` (see GatedPattern)."""
    return GatedPattern(re.compile(pattern, flags))
