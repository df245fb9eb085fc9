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
nothing and are passed over (a superset is always safe). Under ``re.IGNORECASE`` (the whole
pattern or an ``(?i:...)`` group) an ASCII letter stands for both its cases and the four
non-ASCII letters ``re`` equates with ASCII ones (``İ ı ſ K``), which is what ``re`` itself
would match there. A pattern that can match the empty string, back-references, negated
classes, "any character", and non-ASCII letters or categories under IGNORECASE (their case
equivalences are Unicode's) are left as ``re`` compiles them. The set only decides where
a match is tried, never whether it matches, so every search, ``finditer`` and ``match``
gives what the plain pattern gives (``tests/agent/nlp/test_first_chars.py`` compares every
pattern of the de-id pack and of the extraction's vocabulary rules over the dev notes).
Extraction and de-identification both get it through ``agent.nlp.literal_gate.GatedPattern``.
"""

from __future__ import annotations

import _sre
import re

# re's own parser, compiler and opcodes (the private modules sre_parse / sre_compile were
# before Python 3.11): the set must be read from the pattern exactly as re compiles it.
from re import _compiler as sre_compile
from re import _constants as sre_c
from re import _parser as sre_parse

_REPEATS = (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT)
_STARTS_AT_BEGINNING = ((sre_c.AT, sre_c.AT_BEGINNING), (sre_c.AT, sre_c.AT_BEGINNING_STRING))
_UNCASED_CATEGORIES = frozenset({sre_c.CATEGORY_DIGIT, sre_c.CATEGORY_SPACE,
                                 sre_c.CATEGORY_LINEBREAK})
# The non-ASCII letters re.IGNORECASE matches to an ASCII letter (found by matching [a-zA-Z]
# case-insensitively against every code point; tests/agent/nlp/test_first_chars.py checks it).
# agent.nlp.literal_gate folds them with the same table.
IGNORECASE_EXTRAS = {"i": "\u0130\u0131", "s": "\u017f", "k": "\u212a"}


class _Unknown(Exception):
    """A part whose first characters are not worked out here."""


def _first(items, icase: bool) -> tuple[list, bool]:
    """(class members one of which a match of ``items`` starts with, whether ``items`` can
    match without consuming anything); ``icase``: matched case-insensitively."""
    members: list = []
    for op, av in items:
        found, nullable = _first_of(op, av, icase)
        members += found
        if not nullable:
            return members, False
    return members, True


def _letter_cases(code: int) -> list:
    """The characters re.IGNORECASE lets ``chr(code)`` match, as LITERAL members."""
    ch = chr(code)
    if not _sre.unicode_iscased(code):
        return [(sre_c.LITERAL, code)]
    if not ch.isascii():
        raise _Unknown  # Unicode's case equivalences: left to re
    low = ch.lower()
    return [(sre_c.LITERAL, ord(c)) for c in {low, ch.upper(), *IGNORECASE_EXTRAS.get(low, "")}]


def _class_members(av, icase: bool) -> list:
    members: list = []
    for op, value in av:
        if op is sre_c.LITERAL:
            members += _letter_cases(value) if icase else [(op, value)]
        elif op is sre_c.RANGE:
            members.append((op, value))
            if icase:
                for code in range(value[0], value[1] + 1):
                    if _sre.unicode_iscased(code):
                        members += _letter_cases(code)
        elif op is sre_c.CATEGORY:
            if icase and value not in _UNCASED_CATEGORIES:
                raise _Unknown  # \w under IGNORECASE also matches what folds into it
            members.append((op, value))
        else:
            raise _Unknown  # NEGATE and the like
    return members


def _first_of(op, av, icase: bool) -> tuple[list, bool]:
    if op in _ZERO_WIDTH:
        return [], True
    if op is sre_c.LITERAL:
        return (_letter_cases(av) if icase else [(op, av)]), False
    if op is sre_c.IN:
        return _class_members(av, icase), False
    if op is sre_c.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        if (add_flags | del_flags) & ~re.IGNORECASE:
            raise _Unknown  # (?a:...), (?s:...): the characters mean something else there
        return _first(sub.data, (icase or bool(add_flags)) and not del_flags)
    if op is sre_c.ATOMIC_GROUP:
        return _first(av.data, icase)
    if op in _REPEATS:
        low, _, sub = av
        found, nullable = _first(sub.data, icase)
        return found, nullable or low == 0
    if op is sre_c.BRANCH:
        members: list = []
        nullable = False
        for alternative in av[1]:
            found, empty = _first(alternative.data, icase)
            members += found
            nullable = nullable or empty
        return members, nullable
    raise _Unknown  # ANY, NOT_LITERAL, back-references, conditionals


def first_members(pattern: str, flags: int = 0) -> tuple[list | None, bool]:
    """(the class members, ``re``'s parse-tree form, one of which the first character of
    every non-empty match of ``pattern`` is, or None when that is not worked out; whether
    ``pattern`` can match the empty string). Also read per branch by
    ``agent.nlp.alternation_dispatch``."""
    return _members(sre_parse.parse(pattern, flags), flags)


def _members(tree, flags: int) -> tuple[list | None, bool]:
    flags |= tree.state.flags
    if flags & re.LOCALE:
        return None, False
    try:
        return _first(tree.data, bool(flags & re.IGNORECASE))
    except _Unknown:
        return None, False


def first_chars(pattern: str, flags: int = 0) -> list | None:
    """The class members one of which the first character of every match of ``pattern``
    is; None when that is not worked out (see the module)."""
    return _skip_set(sre_parse.parse(pattern, flags), flags)


def _skip_set(tree, flags: int) -> list | None:
    # "^" (without MULTILINE) and "\\A": re's search stops after the first position.
    if tree.data and tree.data[0] in _STARTS_AT_BEGINNING:
        return None
    members, nullable = _members(tree, flags)
    if members is None or nullable or not members:
        return None
    return members


def compile_skipping(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, searching only at the characters a match can start
    with where ``re`` would try every position (see the module)."""
    rx = re.compile(pattern, flags)
    # One parse for both the set and the program (compiling the program reads the tree,
    # after the set is worked out from it).
    tree = sre_parse.parse(pattern, flags)
    members = _skip_set(tree, flags)
    if members is None:
        return rx
    try:
        return _with_first_chars(rx, tree, members, flags) or rx
    except (AttributeError, TypeError, ValueError, RuntimeError):
        # re's internals are not a public interface: should a Python release change them,
        # the pattern is searched as re compiles it (slower, same matches).
        return rx


def _with_first_chars(rx: re.Pattern[str], tree, members: list,
                      flags: int) -> re.Pattern[str] | None:
    """``rx`` (parsed as ``tree``) recompiled with ``members`` as the info block's character
    set; None where re put a set or a literal prefix there itself."""
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
