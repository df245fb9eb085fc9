"""Relation rules that skip a window none of a rule's required literals is in.

The relation finder asks for body sites and adverse-effect terms in every sentence that
holds a drug or a problem (~25 windows a note), and each rule is a long alternation that
``re`` tries at every position: ~0.6 ms a note. A window holding none of the literals one
of which every match of a rule contains (agent.nlp.literal_gate, read from the rule's own
parse tree; look-arounds add no requirement, so a literal outside the window is never
needed) cannot match, so skipping it changes nothing: same matches, same order. A window
that is scanned skips, in C, the positions no match can start
(:func:`agent.nlp.first_chars.compile_skipping`).
"""

from __future__ import annotations

import re

from agent.nlp.first_chars import compile_skipping
from agent.nlp.literal_gate import LiteralGate, folded
from agent.schemas.relation_rules import RelationRule, RelationRuleSet


class GatedRelationRuleSet(RelationRuleSet):
    """:class:`RelationRuleSet` whose :meth:`finditer` looks only where a rule can match."""

    def __init__(self, rules) -> None:
        super().__init__(rules)
        self._gates: dict[str, list[tuple[LiteralGate, re.Pattern[str]]]] = {}

    def _gates_of(self, kind: str) -> list[tuple[LiteralGate, re.Pattern[str]]]:
        gates = self._gates.get(kind)
        if gates is None:
            gates = self._gates[kind] = [(LiteralGate(rx), compile_skipping(rx.pattern, rx.flags))
                                         for _, rx in self.rules(kind)]
        return gates

    def finditer(self, kind: str, text: str, start: int = 0,
                 end: int | None = None) -> list[tuple[RelationRule, re.Match[str]]]:
        end = len(text) if end is None else end
        window = low = None
        out: list[tuple[RelationRule, re.Match[str]]] = []
        for (rule, _), (gate, rx) in zip(self.rules(kind), self._gates_of(kind), strict=True):
            if not gate.always:
                if window is None:
                    window = text[start:end]
                    low = folded(window)
                if not gate.may_match(window, low):
                    continue
            out.extend((rule, m) for m in rx.finditer(text, start, end) if m.end() > m.start())
        return out
