"""Regular expressions whose searches skip, in C, the places no match can start.

``re`` searches a pattern by trying a match at every position, unless the pattern opens on a
literal or a character class: then its compiled program carries the characters a match can
start with and the search skips every other position in a tight C loop. Most of the
recognizers' patterns open on a look-behind (``(?<![\\d/.-])\\d{3}...``), a word boundary,
a group or an optional part, and lose that: a full match attempt at each of a note's ~2,000
positions, ~50 ns each, for each of ~140 patterns.

:func:`compile_skipping` compiles a pattern as ``re.compile`` does, then, where ``re`` found
no such characters, works out from the parse tree (``re``'s own parser) every character the
first character a match consumes can be, and writes that set into the program's info block,
where ``re`` keeps its own (``_compiler._compile_info``). Look-arounds and anchors consume
nothing and are passed over (a superset is always safe); a pattern that can match the empty
string, back-references, negated classes, "any character" and case-insensitive letters are
left as ``re`` compiles them. The set only decides where a match is tried, never whether it
matches, so every search, ``finditer`` and ``match`` gives what the plain pattern gives
(``tests/agent/deid/test_first_chars.py`` compares every pattern of the pack over the dev
notes).
"""

from __future__ import annotations

import _sre
import re

# re's own parser, compiler and opcodes (the private modules sre_parse / sre_compile were
# before Python 3.11): the set must be read from the pattern exactly as re compiles it.
from re import _compiler as sre_compile
from re import _constants as sre_c
from re import _parser as sre_parse

from agent.nlp.literal_gate import GatedPattern

_REPEATS = (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT)
# Character-class members whose characters a set can list as they are.
_MEMBERS = (sre_c.LITERAL, sre_c.RANGE, sre_c.CATEGORY)
_STARTS_AT_BEGINNING = ((sre_c.AT, sre_c.AT_BEGINNING), (sre_c.AT, sre_c.AT_BEGINNING_STRING))
_UNCASED_CATEGORIES = frozenset({sre_c.CATEGORY_DIGIT, sre_c.CATEGORY_SPACE,
                                 sre_c.CATEGORY_LINEBREAK})


class _Unknown(Exception):
    """A part whose first characters are not worked out here."""


def _first(items) -> tuple[list, bool]:
    """(class members one of which a match of ``items`` starts with, whether ``items`` can
    match without consuming anything)."""
    members: list = []
    for op, av in items:
        found, nullable = _first_of(op, av)
        members += found
        if not nullable:
            return members, False
    return members, True


def _first_of(op, av) -> tuple[list, bool]:
    if op in _ZERO_WIDTH:
        return [], True
    if op is sre_c.LITERAL:
        return [(sre_c.LITERAL, av)], False
    if op is sre_c.IN:
        if any(m not in _MEMBERS for m, _ in av):
            raise _Unknown  # NEGATE and the like
        return list(av), False
    if op is sre_c.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise _Unknown  # (?i:...), (?a:...): the characters mean something else there
        return _first(sub.data)
    if op is sre_c.ATOMIC_GROUP:
        return _first(av.data)
    if op in _REPEATS:
        low, _, sub = av
        found, nullable = _first(sub.data)
        return found, nullable or low == 0
    if op is sre_c.BRANCH:
        members: list = []
        nullable = False
        for alternative in av[1]:
            found, empty = _first(alternative.data)
            members += found
            nullable = nullable or empty
        return members, nullable
    raise _Unknown  # ANY, NOT_LITERAL, back-references, conditionals


def _cased(members, flags: int) -> bool:
    """Whether case-insensitive matching would let a member stand for other characters."""
    iscased = _sre.ascii_iscased if flags & re.ASCII else _sre.unicode_iscased
    for op, av in members:
        if op is sre_c.LITERAL and iscased(av):
            return True
        if op is sre_c.RANGE and any(map(iscased, range(av[0], av[1] + 1))):
            return True
        if op is sre_c.CATEGORY and av not in _UNCASED_CATEGORIES:
            return True
    return False


def first_chars(pattern: str, flags: int = 0) -> list | None:
    """The class members (``re``'s parse-tree form) one of which the first character of
    every match of ``pattern`` is; None when that is not worked out (see the module)."""
    tree = sre_parse.parse(pattern, flags)
    flags |= tree.state.flags
    if flags & re.LOCALE:
        return None
    # "^" (without MULTILINE) and "\\A": re's search stops after the first position.
    if tree.data and tree.data[0] in _STARTS_AT_BEGINNING:
        return None
    try:
        members, nullable = _first(tree.data)
    except _Unknown:
        return None
    if nullable or not members or (flags & re.IGNORECASE and _cased(members, flags)):
        return None
    return members


def compile_skipping(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, searching only at the characters a match can start
    with where ``re`` would try every position (see the module)."""
    rx = re.compile(pattern, flags)
    members = first_chars(pattern, flags)
    if members is None:
        return rx
    try:
        return _with_first_chars(rx, members, flags) or rx
    except (AttributeError, TypeError, ValueError, RuntimeError):
        # re's internals are not a public interface: should a Python release change them,
        # the pattern is searched as re compiles it (slower, same matches).
        return rx


def _with_first_chars(rx: re.Pattern[str], members: list, flags: int) -> re.Pattern[str] | None:
    """``rx`` recompiled with ``members`` as the info block's character set; None where re
    put a set or a literal prefix there itself."""
    tree = sre_parse.parse(rx.pattern, flags)
    flags |= tree.state.flags
    code = sre_compile._code(tree, flags)
    # The info block: INFO, its length, a mask of what it holds, min and max width, then a
    # literal prefix or a character set. One that already holds either is re's own.
    if code[0] != sre_c.INFO or code[2] != 0 or code[3] == 0:
        return None  # re's own set or prefix, or a pattern that can match the empty string
    charset, hascased = sre_compile._optimize_charset(members)
    if hascased:
        return None
    info = [sre_c.INFO, 0, sre_c.SRE_INFO_CHARSET, code[3], code[4]]
    sre_compile._compile_charset(charset, flags, info)
    info[1] = len(info) - 1
    program = info + code[1 + code[1]:]
    indexgroup = [None] * tree.state.groups
    for name, index in tree.state.groupdict.items():
        indexgroup[index] = name
    return _sre.compile(rx.pattern, flags, program, tree.state.groups - 1,
                        tree.state.groupdict, tuple(indexgroup))


def gated(pattern: str, flags: int = 0) -> GatedPattern:
    """``agent.nlp.literal_gate.gated`` over :func:`compile_skipping`: a pattern the gate
    scans (no leading label to anchor it) skips the places no match can start."""
    return GatedPattern(compile_skipping(pattern, flags))
