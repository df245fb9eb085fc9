"""Rule-file model of ``agent/rules/relations.json`` (relation patterns, adverse-effect
cues, body sites, relation assertion cues) and its compiled form :class:`RelationRuleSet`.

It lives in ``agent.schemas`` beside :class:`agent.schemas.summary_rules.CueSet` so that
the rule set (``agent.rules``), the relation extractor (``agent.relations``) and the
verifier share one validated, compiled copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from agent.schemas.extraction import RelationType
from agent.schemas.validators import check_regex

RelationRuleKind = Literal[
    "pair",          # the words between a head and a tail that state a relation
    "effect_term",   # an adverse-effect word the disease dictionary may lack ("hives")
    "ade_cue",       # a cue whose named group ``effect`` is an adverse effect ("developed X")
    "body_site",     # a body site (LOCATED_AT tail); ``label`` = laterality it implies
    "laterality",    # a side word before a body site; ``label`` = left / right / bilateral
    "negated",       # a negation of the relation ("no rash on penicillin", "tolerated")
    "speculated",    # a hedge ("possibly due to", "may", "suspected")
    "comorbidity",   # words right before a problem making it the patient's condition, not
                     # an effect ("in a patient with CML"): CAUSES rules skip that tail
    "drug_absence",  # words before or after a drug naming its absence ("missed insulin",
                     # "insulin pump failure"): that drug caused nothing
    "change",        # a word making a drug's clause a change beside the timeline's stop and
                     # hold cues ("avoid", "contraindicated"): enables requires_change rules
]
RELATION_RULE_KINDS: tuple[str, ...] = (
    "pair", "effect_term", "ade_cue", "body_site", "laterality", "negated", "speculated",
    "comorbidity", "drug_absence", "change",
)
_LATERALITY = ("left", "right", "bilateral")


class RelationRule(BaseModel):
    """One entry of ``relations.json``.

    ``pair`` rules: ``pattern`` must match the whole text between the two entities
    (``gap``), in the ``order`` given (``head_first``: "sulfa -> rash"; ``tail_first``:
    "rash due to vancomycin"); a named group ``trigger`` marks the linking words.
    ``requires_change`` rules apply only where the drug is stopped, held or avoided in the
    same clause (a reason for a change, "stopped 2023 for hyponatremia"); their tail is a
    ``CAUSES`` effect when it is an adverse-effect term and otherwise ``CONTRAINDICATED_BY``.
    ``scope`` ``adjacent`` lets the pair span two neighbouring sentences.

    ``negated`` / ``speculated`` rules are searched ``window`` characters around the pair
    (``position`` before the first entity, between them, or either).
    """

    model_config = ConfigDict(extra="forbid")

    kind: RelationRuleKind
    pattern: str
    name: str | None = None
    type: RelationType | None = None
    order: Literal["head_first", "tail_first"] | None = None
    scope: Literal["sentence", "adjacent"] = "sentence"
    requires_change: bool = False
    # The type given instead of ``type`` when the tail is not an adverse-effect term (a
    # requires_change rule: "held (AKI)" is a contraindication, "stopped for rash" an effect).
    non_effect_type: RelationType | None = None
    # The rule applies only when the tail is an adverse-effect term ("rash on penicillin"
    # is an effect, "AF on metoprolol" is not).
    tail_effect_only: bool = False
    head_types: list[Literal["MEDICATION", "ALLERGY", "PROBLEM", "PROCEDURE"]] | None = None
    tail_types: list[Literal["PROBLEM", "PROCEDURE", "ANATOMY"]] | None = None
    label: str | None = None
    position: Literal["before", "between", "after", "either"] = "either"
    window: int = 40
    comment: str | None = None

    _regex = field_validator("pattern")(check_regex)

    @model_validator(mode="after")
    def _fields_of_kind(self) -> RelationRule:
        if self.kind == "pair":
            if self.type is None or self.order is None or not self.name:
                raise ValueError("a pair rule needs 'name', 'type' and 'order' "
                                 "(head_first or tail_first)")
        elif (self.type, self.order, self.non_effect_type, self.head_types,
              self.tail_types) != (None,) * 5 or self.requires_change or self.tail_effect_only:
            raise ValueError(f"'type', 'order', 'requires_change', 'non_effect_type', "
                             f"'tail_effect_only', 'head_types' and 'tail_types' are for pair "
                             f"rules, not {self.kind!r}")
        if self.kind == "laterality" and self.label not in _LATERALITY:
            raise ValueError(f"a laterality rule needs 'label' one of {_LATERALITY}")
        if self.kind == "body_site" and self.label not in (None, *_LATERALITY):
            raise ValueError(f"a body_site label is the laterality it implies, one of "
                             f"{_LATERALITY}")
        if self.kind == "ade_cue" and "(?P<effect>" not in self.pattern:
            raise ValueError("an ade_cue pattern needs a named group (?P<effect>...)")
        return self


class RelationRuleSet:
    """The compiled relation rules, grouped by kind.

    Args:
        rules: validated rules in file order (pair rules are tried in this order).
    """

    def __init__(self, rules: Iterable[RelationRule]) -> None:
        self.pairs: list[tuple[RelationRule, re.Pattern[str]]] = []
        self._by_kind: dict[str, list[tuple[RelationRule, re.Pattern[str]]]] = {}
        for rule in rules:
            flags = re.IGNORECASE | re.DOTALL
            compiled = re.compile(rule.pattern, flags)
            self._by_kind.setdefault(rule.kind, []).append((rule, compiled))
            if rule.kind == "pair":
                self.pairs.append((rule, compiled))

    def rules(self, kind: str) -> list[tuple[RelationRule, re.Pattern[str]]]:
        """The rules of one kind with their compiled regexes, in file order."""
        return self._by_kind.get(kind, [])

    def finditer(self, kind: str, text: str, start: int = 0,
                 end: int | None = None) -> list[tuple[RelationRule, re.Match[str]]]:
        """Every match of every rule of ``kind`` inside ``text[start:end]`` (note offsets)."""
        end = len(text) if end is None else end
        return [(rule, m) for rule, rx in self.rules(kind)
                for m in rx.finditer(text, start, end) if m.end() > m.start()]

    def hit(self, kind: str, text: str) -> RelationRule | None:
        """The first rule of ``kind`` matching anywhere in ``text``, None if none does."""
        for rule, rx in self.rules(kind):
            if rx.search(text):
                return rule
        return None

    def is_effect_term(self, text: str) -> bool:
        """Whether ``text`` names an adverse-effect term of the file ("severe rash",
        "allopurinol hypersensitivity syndrome")."""
        return any(rx.search(text) for _, rx in self.rules("effect_term"))
