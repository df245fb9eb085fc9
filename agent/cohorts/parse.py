"""Reading a cohort query: YAML or JSON criteria, or the compact text form of the CLI.

Compact text form, one statement per line (``#`` starts a comment)::

    name: t2dm-microvascular
    include: code:E11
    include: code:E11.4 OR concept:"diabetic retinopathy" OR concept:retinopathy
    include: drug:metformin [status=current]
    include: lab:hba1c > 8 % [days=365, before=2026-12-01]
    exclude: class:insulins [status=current]

A leaf is ``KIND:VALUE`` (kinds: ``concept`` / ``condition``, ``code``, ``drug`` /
``ingredient``, ``class``, ``lab``), a lab may be followed by a comparison and a unit, and
``[key=value, ...]`` sets its filters (``assertion=present|possible``, ``experiencer``,
``temporality``, ``section``, ``status``, ``notes=2`` (at least 2 notes), ``id``, and the
window: ``from=`` / ``to=`` dates, or ``days=N`` with ``before=`` / ``after=`` / ``around=``
a date or ``@criterion-id``). ``AND``, ``OR``, ``NOT`` and parentheses combine leaves; a
group is named with ``(a OR b) [id=NAME]``.

Every unknown key, kind or operator is an error naming it with the valid choices.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agent.cohorts.vocabulary import suggestions
from agent.errors import InputError
from agent.schemas.cohort import (
    CohortQuery,
    ConditionCriterion,
    LabCriterion,
    MedicationCriterion,
    TimeWindow,
)

LEAF_KINDS = {"concept": ("condition", "concept"), "condition": ("condition", "concept"),
              "code": ("condition", "code"), "drug": ("medication", "ingredient"),
              "ingredient": ("medication", "ingredient"), "medication": ("medication",
                                                                          "ingredient"),
              "class": ("medication", "class"), "lab": ("lab", "test")}
TEXT_STATEMENTS = ("name", "description", "include", "exclude")
_TOKEN = re.compile(r"""\s*(?:(?P<str>"[^"]*"|'[^']*')|(?P<op>>=|<=|!=|>|<|=)|(?P<punct>[()\[\],])
                    |(?P<word>[^\s()\[\],"'<>=!]+))""", re.VERBOSE)
_LIST_KEYS = ("assertion", "experiencer", "temporality", "section")
_OPTION_KEYS = ("id", "assertion", "experiencer", "temporality", "section", "status", "notes",
                "min_notes", "from", "to", "days", "before", "after", "around")
_QUERY_KEYS = tuple(CohortQuery.model_fields)
_CRITERION_KEYS = ("id", "condition", "medication", "lab", "all", "any", "not")
_LEAF_MODELS = {"condition": ConditionCriterion, "medication": MedicationCriterion,
                "lab": LabCriterion}


def _fields(model) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _check_keys(data: Any, allowed, where: str) -> None:
    if not isinstance(data, dict):
        raise InputError("query", f"expected a mapping, got {type(data).__name__}",
                         field=where or "query", fix=f"Use keys {', '.join(allowed)}")
    for key in data:
        if key not in allowed:
            close = suggestions(str(key), allowed)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            raise InputError("query", f"unknown field {key!r}",
                             field=f"{where}.{key}" if where else str(key),
                             fix=f"{hint}Valid: {', '.join(allowed)}")


# Deeper nesting than any eligibility list needs is refused before it reaches the parser
# and the SQL compiler (both recurse).
MAX_DEPTH = 12


def _check_criterion(data: Any, where: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise InputError("query", f"criteria nest deeper than {MAX_DEPTH} levels",
                         field=where, fix="Flatten the all/any/not groups")
    _check_keys(data, _CRITERION_KEYS, where)
    for kind, model in _LEAF_MODELS.items():
        if kind in data:
            _check_keys(data[kind], _fields(model), f"{where}.{kind}")
            window = data[kind].get("window")
            if window is not None:
                _check_keys(window, _fields(TimeWindow), f"{where}.{kind}.window")
    for kind in ("all", "any"):
        if kind in data:
            if not isinstance(data[kind], list):
                raise InputError("query", f"{kind} takes a list of criteria",
                                 field=f"{where}.{kind}", fix="Write it as a YAML/JSON list")
            for i, sub in enumerate(data[kind]):
                _check_criterion(sub, f"{where}.{kind}[{i}]", depth + 1)
    if "not" in data:
        _check_criterion(data["not"], f"{where}.not", depth + 1)


def query_from_data(data: Any) -> CohortQuery:
    """Validate parsed YAML/JSON into a query.

    Raises:
        InputError: an unknown field or value (named, with the valid choices).
    """
    _check_keys(data, _QUERY_KEYS, "")
    for part in ("inclusion", "exclusion"):
        items = data.get(part) or []
        if not isinstance(items, list):
            raise InputError("query", f"{part} takes a list of criteria", field=part,
                             fix="Write it as a YAML/JSON list")
        for i, crit in enumerate(items):
            _check_criterion(crit, f"{part}[{i}]")
    try:
        return CohortQuery.model_validate(data)
    except ValidationError as e:
        err = e.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError("query", err["msg"], field=where,
                         fix="See the query language reference (README, Cohort queries)"
                         ) from e


def _tokens(text: str, line: int) -> list[tuple[str, str]]:
    out, at = [], 0
    while at < len(text):
        m = _TOKEN.match(text, at)
        if m is None or m.end() == at:
            if text[at:].strip() == "":
                break
            raise InputError("query", f"cannot read {text[at:at + 12].strip()!r}", line=line,
                             fix="Quote values with spaces or symbols")
        at = m.end()
        kind = m.lastgroup
        if kind is None:
            continue
        value = m.group(kind)
        out.append(("word", value[1:-1]) if kind == "str" else (kind, value))
    return out


class _Parser:
    """Recursive descent over one ``include:`` / ``exclude:`` expression."""

    def __init__(self, tokens: list[tuple[str, str]], line: int) -> None:
        self.toks = tokens
        self.i = 0
        self.line = line
        self.depth = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _take(self) -> tuple[str, str]:
        tok = self._peek()
        if tok is None:
            raise InputError("query", "the expression ends too early", line=self.line,
                             fix="Finish the criterion, e.g. code:E11")
        self.i += 1
        return tok

    def _error(self, problem: str, fix: str) -> InputError:
        return InputError("query", problem, line=self.line, fix=fix)

    def parse(self) -> dict:
        out = self._or()
        if self._peek() is not None:
            raise self._error(f"unexpected {self._peek()[1]!r}",
                              "Join criteria with AND / OR, group them with ( )")
        return out

    def _or(self) -> dict:
        items = [self._and()]
        while (tok := self._peek()) and tok[0] == "word" and tok[1].upper() == "OR":
            self.i += 1
            items.append(self._and())
        return items[0] if len(items) == 1 else {"any": items}

    def _and(self) -> dict:
        items = [self._not()]
        while (tok := self._peek()) and tok[0] == "word" and tok[1].upper() == "AND":
            self.i += 1
            items.append(self._not())
        return items[0] if len(items) == 1 else {"all": items}

    def _not(self) -> dict:
        self.depth += 1
        try:
            return self._not_inner()
        finally:
            self.depth -= 1

    def _not_inner(self) -> dict:
        if self.depth > 2 * MAX_DEPTH:
            raise self._error("the expression nests too deeply", "Flatten the groups")
        tok = self._peek()
        if tok and tok[0] == "word" and tok[1].upper() == "NOT":
            self.i += 1
            return {"not": self._not()}
        if tok and tok == ("punct", "("):
            self.i += 1
            inner = self._or()
            if self._take() != ("punct", ")"):
                raise self._error("a '(' is not closed", "Add the missing ')'")
            if self._peek() == ("punct", "["):
                # A group takes only a name: "(a OR b) [id=microvascular]".
                self.i += 1
                options: dict[str, Any] = {}
                self._options(options, options)
                if set(options) - {"id"}:
                    raise self._error("a group takes only [id=NAME]",
                                      "Put filters on the criteria inside the group")
                inner = {**inner, **options} if "any" in inner or "all" in inner \
                    else {"all": [inner], **options}
            return inner
        return self._leaf()

    def _leaf(self) -> dict:
        kind_tok = self._take()
        if kind_tok[0] != "word" or ":" not in kind_tok[1]:
            raise self._error(f"expected KIND:VALUE, got {kind_tok[1]!r}",
                              f"Kinds: {', '.join(LEAF_KINDS)}")
        kind, _, value = kind_tok[1].partition(":")
        if kind.lower() not in LEAF_KINDS:
            close = suggestions(kind.lower(), LEAF_KINDS)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            raise self._error(f"unknown criterion kind {kind!r}",
                              f"{hint}Valid: {', '.join(LEAF_KINDS)}")
        if not value:
            nxt = self._take()
            value = nxt[1]
        group, key = LEAF_KINDS[kind.lower()]
        leaf: dict[str, Any] = {key: value}
        if group == "lab" and (tok := self._peek()) and tok[0] == "op":
            self.i += 1
            leaf["op"] = tok[1]
            number = self._take()[1]
            try:
                leaf["value"] = float(number)
            except ValueError as e:
                raise self._error(f"{number!r} is not a number",
                                  "Write e.g. lab:hba1c > 8 %") from e
            if (tok := self._peek()) and tok[0] == "word" and tok[1].upper() not in (
                    "AND", "OR", "NOT"):
                leaf["unit"] = self._take()[1]
        crit: dict[str, Any] = {group: leaf}
        if self._peek() == ("punct", "["):
            self.i += 1
            self._options(crit, leaf)
        return crit

    def _options(self, crit: dict, leaf: dict) -> None:
        window: dict[str, Any] = {}
        while True:
            key_tok = self._take()
            if key_tok == ("punct", "]"):
                break
            if key_tok == ("punct", ","):
                continue
            key = key_tok[1].lower()
            if key not in _OPTION_KEYS:
                close = suggestions(key, _OPTION_KEYS)
                hint = f"Did you mean {close[0]!r}? " if close else ""
                raise self._error(f"unknown option {key_tok[1]!r}",
                                  f"{hint}Valid: {', '.join(_OPTION_KEYS)}")
            op = self._take()
            if op[0] != "op" or op[1] not in ("=", ">="):
                raise self._error(f"expected '=' after {key!r}", f"Write {key}=VALUE")
            value = self._take()[1]
            if key == "id":
                crit["id"] = value
            elif key in _LIST_KEYS:
                leaf[key] = [v for v in value.split("|") if v]
            elif key == "status":
                leaf["status"] = value
            elif key in ("notes", "min_notes"):
                leaf["min_notes"] = self._int(key, value)
            elif key == "from":
                window["start"] = value
            elif key == "to":
                window["end"] = value
            elif key == "days":
                window["days"] = self._int(key, value)
            else:
                window["direction"] = key
                if value.startswith("@"):
                    window["criterion"] = value[1:]
                else:
                    window["date"] = value
        if window:
            leaf["window"] = window

    def _int(self, key: str, value: str) -> int:
        try:
            return int(value.rstrip("d"))
        except ValueError as e:
            raise self._error(f"{key} must be a whole number, got {value!r}",
                              f"Write e.g. {key}=2") from e


def query_from_text(text: str) -> CohortQuery:
    """Parse the compact text form (see the module docstring).

    Raises:
        InputError: a syntax error, unknown statement, kind, option or value (names the
            line and the valid choices).
    """
    data: dict[str, Any] = {"inclusion": [], "exclusion": []}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        head, sep, rest = line.partition(":")
        statement = head.strip().lower()
        if not sep or statement not in TEXT_STATEMENTS:
            close = suggestions(statement, TEXT_STATEMENTS)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            raise InputError("query", f"unknown statement {head.strip()!r}", line=n,
                             fix=f"{hint}Start each line with one of "
                             f"{', '.join(s + ':' for s in TEXT_STATEMENTS)}")
        if statement in ("name", "description"):
            data[statement] = rest.strip()
            continue
        crit = _Parser(_tokens(rest, n), n).parse()
        data["inclusion" if statement == "include" else "exclusion"].append(crit)
    return query_from_data(data)


def load_query(path: str | Path) -> CohortQuery:
    """Read a query file: ``.yaml`` / ``.yml`` / ``.json`` criteria, anything else the
    compact text form.

    Raises:
        InputError: the file is missing or unreadable, or the query is invalid.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(str(p), f"cannot read the query file ({e.strerror})",
                         fix="Check the path") from e
    if p.suffix.lower() in (".yaml", ".yml", ".json"):
        try:
            data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as e:
            raise InputError(str(p), "the query file is not valid YAML/JSON",
                             fix="Check the indentation and quoting") from e
        return query_from_data(data)
    return query_from_text(text)
