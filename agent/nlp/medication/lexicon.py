"""Load, validate and compile the medication attribute lexicon (rules/medication_attributes.json).

The file holds one list under the top-level key ``medication_attribute_rules``. Each entry has a
``kind``:

- ``term``: a phrase that is itself an attribute (route, frequency, form, prn, duration), with
  its normalised ``value``. ``value`` may use ``{name}`` placeholders filled from named groups of
  the pattern (numbers normalised, e.g. ``q(?P<n><NUM>)h`` -> ``Q{n}H``); no ``value`` means the
  lower-cased matched text. ``direction`` says whether the term may sit after the drug
  (``forward``), before it (``backward``) or both.
- ``strength_unit``, ``dose_unit``, ``per_unit``, ``time_unit``, ``count_unit``,
  ``number_word``: vocabulary the structural matchers (strength, dose, duration) are built
  from. A ``strength_unit`` (mass, mEq, %) makes an amount a strength ("25 mg"); a
  ``dose_unit`` (units, volumes) makes it a dose plus unit ("20 units", "2 L") unless it is a
  concentration ("100 units/mL"). A ``count_unit`` ("tablets", "puffs") needs ``attribute``:
  ``form`` when the counted word is a dosage form ("1 [tablet]"), ``unit`` otherwise
  ("2 [puffs]", "1 [drop]"), following the demo corpus guideline (n2c2 2018 style).
- ``cue``: words that introduce a duration ("for", "x") or an indication ("for", "to treat").
- ``stop``: words that end an indication phrase.
- ``connector``: filler allowed between a drug and attributes written before it
  ("12 mg *of* adenosine", "a single *dose of*").
- ``boundary``: words that end a drug's attribute scope ("Disp", "then").

Patterns are regular expressions, case-insensitive unless ``is_case_sensitive``; ``<NUM>`` expands
to a number or number range. Every pattern is wrapped in alphanumeric boundaries.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from agent.errors import RuleFileError
from agent.nlp.alternation_dispatch import AlternationDispatch
from agent.rules.files import read_rule_file, rules_path
from agent.schemas.extraction import MEDICATION_ATTRIBUTES

RULES_FILE = "medication_attributes.json"
TOP_LEVEL_KEY = "medication_attribute_rules"

RuleKind = Literal[
    "term", "strength_unit", "dose_unit", "per_unit", "time_unit", "count_unit", "number_word",
    "cue", "stop", "connector", "boundary",
]
_VOCABULARY_KINDS = {
    "strength_unit", "dose_unit", "per_unit", "time_unit", "count_unit", "number_word",
}
_COUNT_ATTRIBUTES = {"form", "unit"}
# unit and indication are derived from other matches, never matched directly.
_TERM_ATTRIBUTES = set(MEDICATION_ATTRIBUTES) - {"unit", "indication"}
_CUE_ATTRIBUTES = {"duration", "indication"}

_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+|[1-3]/[2-4](?![\d/])"
_ECHO = r"(?:\s*\(\s*\d+(?:\.\d+)?\s*\))?"  # "One (1) Tablet": the digit repeats the word.
_RANGE_SEPARATOR = r"\s*(?:-|\u2013|to|or)\s*"
_BOUNDARY_BEFORE = r"(?<![A-Za-z0-9])"
_BOUNDARY_AFTER = r"(?![A-Za-z0-9])"
_GROUP_NAME = re.compile(r"\(\?P<([A-Za-z_]\w*)>")
_ECHO_DIGIT = re.compile(r"\(\s*(\d+(?:\.\d+)?)\s*\)")
# "seventy-five milligrams", "twenty five": a tens word and a unit word are one number.
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9}
COMPOUND_NUMBER = (rf"(?i:(?:{'|'.join(_TENS)})[- ](?:{'|'.join(_UNITS)}))(?![A-Za-z])")
_COMPOUND_RX = re.compile(COMPOUND_NUMBER)


def _compound_value(m: re.Match[str]) -> str:
    tens, unit = re.split(r"[- ]", m.group().lower())
    return str(_TENS[tens] + _UNITS[unit])


_RANGE_SPLIT = re.compile(r"\s*(?:-|\u2013|\bto\b|\bor\b)\s*", re.IGNORECASE)


class MedicationAttributeRule(BaseModel):
    """One entry of the medication attribute lexicon."""

    model_config = ConfigDict(extra="forbid")

    kind: RuleKind
    pattern: str
    attribute: str | None = None
    value: str | None = None
    direction: Literal["forward", "backward", "both"] = "both"
    is_case_sensitive: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> MedicationAttributeRule:
        if not self.pattern:
            raise ValueError("pattern is empty")
        if self.attribute is not None and self.attribute not in MEDICATION_ATTRIBUTES:
            raise ValueError(
                f"unknown attribute {self.attribute!r}; use one of {MEDICATION_ATTRIBUTES}"
            )
        if self.kind == "term" and self.attribute not in _TERM_ATTRIBUTES:
            raise ValueError(f"a term needs an attribute among {sorted(_TERM_ATTRIBUTES)}")
        if self.kind == "cue" and self.attribute not in _CUE_ATTRIBUTES:
            raise ValueError(f"a cue needs an attribute among {sorted(_CUE_ATTRIBUTES)}")
        if self.kind == "stop" and self.attribute != "indication":
            raise ValueError("a stop entry needs attribute 'indication'")
        if self.kind == "count_unit":
            if self.value is None or self.attribute not in _COUNT_ATTRIBUTES:
                raise ValueError(
                    f"a count_unit entry needs a value and an attribute among "
                    f"{sorted(_COUNT_ATTRIBUTES)}"
                )
        elif self.kind in _VOCABULARY_KINDS and (
            self.value is None or self.attribute is not None
        ):
            raise ValueError(f"a {self.kind} entry needs a value and no attribute")
        if self.kind in {"connector", "boundary"} and (self.value or self.attribute):
            raise ValueError(f"a {self.kind} entry takes only a pattern")
        if self.kind != "term" and self.direction != "both":
            raise ValueError("direction applies to term entries only")
        if self.kind != "term" and self.is_case_sensitive:
            # Vocabularies, cues and stops are merged into case-insensitive alternations.
            raise ValueError("is_case_sensitive applies to term entries only")
        return self


@dataclass(frozen=True)
class TermRule:
    """A compiled ``term`` entry."""

    index: int
    attribute: str
    regex: re.Pattern[str]
    value: str | None
    is_forward: bool
    is_backward: bool


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Compiled (regex, normalised value) pairs of one vocabulary kind."""

    alternation: str
    entries: tuple[tuple[re.Pattern[str], str], ...]

    def lookup(self, text: str) -> str | None:
        """Return the value of the first entry that matches ``text`` in full, else None."""
        return _lookup_cached(self, " ".join(text.split()))

    def normalize(self, text: str) -> str:
        """Like :meth:`lookup`, but unknown text comes back unchanged."""
        value = self.lookup(text)
        return text if value is None else value


@lru_cache(maxsize=4096)
def _lookup_cached(vocabulary: Vocabulary, text: str) -> str | None:
    for regex, value in vocabulary.entries:
        if regex.fullmatch(text):
            return value
    return None


@dataclass(frozen=True, eq=False)
class MedicationLexicon:
    """The compiled lexicon: vocabularies, term rules and cue/stop/connector regexes."""

    source: str
    number: str
    number_range: str
    number_words: Vocabulary
    strength_units: Vocabulary  # every amount unit: strength_unit and dose_unit entries
    dose_units: Vocabulary
    per_units: Vocabulary
    time_units: Vocabulary
    count_units: Vocabulary
    count_forms: Vocabulary
    terms: tuple[TermRule, ...]
    terms_combined: AlternationDispatch
    duration_cue: str
    indication_cue: re.Pattern[str]
    indication_stop: re.Pattern[str]
    connector_gap: re.Pattern[str]
    boundary: re.Pattern[str]
    term_by_group: dict[str, TermRule] = field(default_factory=dict)

    def normalize_number(self, text: str) -> str:
        """Normalise a number or range: "1,000" -> "1000", "two" -> "2", "4 to 6" -> "4-6"."""
        return _normalize_number_cached(self, text.strip())


@lru_cache(maxsize=4096)
def _normalize_number_cached(lexicon: MedicationLexicon, text: str) -> str:
    echo = _ECHO_DIGIT.search(text)
    if echo:
        return _clean_number(echo.group(1))
    text = _COMPOUND_RX.sub(_compound_value, text)
    parts = [p for p in _RANGE_SPLIT.split(text) if p]
    values = []
    for part in parts:
        if part[0].isdigit() or part[0] == ".":
            values.append(_clean_number(part))
        else:
            values.append(lexicon.number_words.normalize(part))
    return "-".join(values)


def _clean_number(text: str) -> str:
    text = text.replace(",", "")
    if "/" in text:
        numerator, denominator = text.split("/")
        return _format_float(int(numerator) / int(denominator))
    if text.startswith("."):
        text = "0" + text
    return text


def _format_float(number: float) -> str:
    return f"{number:g}"


def _compile(pattern: str, *, is_case_sensitive: bool) -> re.Pattern[str]:
    flags = 0 if is_case_sensitive else re.IGNORECASE
    return re.compile(f"{_BOUNDARY_BEFORE}(?:{pattern}){_BOUNDARY_AFTER}", flags)


def _alternation(patterns: list[str]) -> str:
    # Longest first so that a shorter alternative never hides a longer one at the same start.
    return "|".join(sorted(patterns, key=len, reverse=True))


def _check_regex(source: str, index: int, pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as e:
        raise RuleFileError(source, f"invalid regex: {e}", index=index) from e


def _vocabulary(
    source: str, rules: list[tuple[int, MedicationAttributeRule]]
) -> Vocabulary:
    entries = []
    for index, rule in rules:
        try:
            regex = re.compile(rule.pattern, 0 if rule.is_case_sensitive else re.IGNORECASE)
        except re.error as e:
            raise RuleFileError(source, f"invalid regex: {e}", index=index) from e
        entries.append((regex, str(rule.value)))
    return Vocabulary(_alternation([r.pattern for _, r in rules]), tuple(entries))


def _term(source: str, index: int, rule: MedicationAttributeRule, number_range: str) -> TermRule:
    pattern = rule.pattern.replace("<NUM>", number_range)
    try:
        regex = _compile(pattern, is_case_sensitive=rule.is_case_sensitive)
    except re.error as e:
        raise RuleFileError(source, f"invalid regex: {e}", index=index) from e
    if rule.value is not None:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(rule.value) if f is not None}
        except ValueError as e:
            raise RuleFileError(source, f"invalid value template: {e}", index=index) from e
        missing = fields - set(regex.groupindex)
        if missing:
            raise RuleFileError(
                source, f"value uses {sorted(missing)}, which the pattern does not name",
                index=index,
            )
    return TermRule(
        index=index, attribute=str(rule.attribute), regex=regex, value=rule.value,
        is_forward=rule.direction != "backward", is_backward=rule.direction != "forward",
    )


def _combined(terms: list[TermRule], rules: list[MedicationAttributeRule]) -> list[str]:
    # One alternation finds candidate positions (agent.nlp.alternation_dispatch tries only
    # the branches that can start where it stands); inner group names are prefixed so that
    # several entries may reuse "n".
    parts = []
    for term in terms:
        rule = rules[term.index]
        body = _GROUP_NAME.sub(lambda m, i=term.index: f"(?P<t{i}_{m.group(1)}>", rule.pattern)
        flag = "" if rule.is_case_sensitive else "i"
        inner = f"(?{flag}:{body})" if flag else body
        parts.append(f"(?P<t{term.index}>{inner})")
    return parts


# The lookahead lets the scan skip spaces and punctuation before trying every alternative
# (about a third faster); no term starts with one of these characters.
_TERMS_PREFIX = f"{_BOUNDARY_BEFORE}(?=[^\\s,;:.)\\]\\-])"


def load_lexicon(path: Path) -> MedicationLexicon:
    """Read, validate and compile a lexicon file.

    Args:
        path: a JSON file shaped like the shipped ``rules/medication_attributes.json``.

    Returns:
        The compiled lexicon.

    Raises:
        RuleFileError: missing file, bad JSON, unknown key, unknown kind or attribute, invalid
            regex or value template; names the file and, for entry problems, the entry index.
    """
    source = str(path)
    rules = read_rule_file(path, TOP_LEVEL_KEY, MedicationAttributeRule)
    by_kind: dict[str, list[tuple[int, MedicationAttributeRule]]] = {}
    for index, rule in enumerate(rules):
        by_kind.setdefault(rule.kind, []).append((index, rule))
    for kind in (*_VOCABULARY_KINDS, "term", "cue", "stop", "connector"):
        if kind not in by_kind:
            raise RuleFileError(source, f"no {kind!r} entries; the matchers need at least one")
    vocab = {kind: _vocabulary(source, by_kind[kind]) for kind in _VOCABULARY_KINDS}
    # Amount units: both kinds are matched by one strength grammar; the dose_unit subset
    # decides which amounts are doses.
    amount_units = _vocabulary(source, by_kind["strength_unit"] + by_kind["dose_unit"])
    count_forms = [(i, r) for i, r in by_kind["count_unit"] if r.attribute == "form"]
    for kind in ("cue", "stop", "connector", "boundary"):
        for index, rule in by_kind.get(kind, []):
            _check_regex(source, index, rule.pattern)
    number = (
        f"(?:{_DIGITS}|{COMPOUND_NUMBER}|(?:{vocab['number_word'].alternation})(?![A-Za-z]))"
        f"{_ECHO}"
    )
    number_range = f"(?:{number}(?:{_RANGE_SEPARATOR}{number})?)"
    terms = [_term(source, i, r, number_range) for i, r in by_kind["term"]]
    branches = [b.replace("<NUM>", number_range) for b in _combined(terms, rules)]
    try:
        terms_combined = AlternationDispatch(_TERMS_PREFIX, branches, _BOUNDARY_AFTER)
        # Letters and digits start almost every term of a note.
        terms_combined.prepare(string.ascii_lowercase + string.digits)
    except re.error as e:
        raise RuleFileError(source, f"term patterns do not combine: {e}") from e

    def words(kind: str, attribute: str | None = None) -> str:
        return _alternation(
            [r.pattern for _, r in by_kind.get(kind, []) if attribute in (None, r.attribute)]
        )

    return MedicationLexicon(
        source=source,
        number=number,
        number_range=number_range,
        number_words=vocab["number_word"],
        strength_units=amount_units,
        dose_units=vocab["dose_unit"],
        per_units=vocab["per_unit"],
        time_units=vocab["time_unit"],
        count_units=vocab["count_unit"],
        count_forms=_vocabulary(source, count_forms) if count_forms else Vocabulary("(?!)", ()),
        terms=tuple(terms),
        terms_combined=terms_combined,
        duration_cue=words("cue", "duration"),
        indication_cue=_compile(words("cue", "indication"), is_case_sensitive=False),
        indication_stop=re.compile(f"(?:{words('stop')})", re.IGNORECASE),
        connector_gap=re.compile(
            rf"(?:[ \t\-\u2013]|{_BOUNDARY_BEFORE}(?:{words('connector')}){_BOUNDARY_AFTER})*",
            re.IGNORECASE,
        ),
        boundary=_compile(words("boundary") or "(?!)", is_case_sensitive=False),
        term_by_group={f"t{t.index}": t for t in terms},
    )


@lru_cache(maxsize=1)
def default_lexicon() -> MedicationLexicon:
    """The lexicon shipped in ``agent/rules``, compiled once per process.

    Raises:
        RuleFileError: the shipped file is invalid.
    """
    return load_lexicon(rules_path(RULES_FILE))
