"""The assertion of a relation: present, negated ("no rash on penicillin", "tolerated
cephalexin") or speculated ("possibly due to vancomycin", "may cause").

A relation's assertion is its own, not its tail's: "rash, possibly from vancomycin" is a
present rash and a speculated cause. The tail's assertion still counts where it denies or
hedges the effect itself ("no rash" is absent, so the relation is negated).
"""

from __future__ import annotations

from agent.schemas.extraction import Entity, RelationAssertion
from agent.schemas.relation_rules import RelationRuleSet


def relation_assertion(text: str, head: Entity, tail: Entity, scope: tuple[int, int],
                       rules: RelationRuleSet, *, is_stop_reason: bool = False,
                       effect: bool = True,
                       ) -> RelationAssertion:
    """Negated, speculated or present, from the cues around and between the pair.

    Change words ("do not restart", "not restarted", "held") are blanked out first: they
    state the change, not a denied relation.

    Args:
        text: the note text.
        head: the relation's head entity.
        tail: the relation's tail entity.
        scope: the sentence (or sentences) holding the pair: cues never reach past it.
        rules: the compiled relation rules (``negated`` / ``speculated`` kinds).
        is_stop_reason: the relation is the reason of a stop or hold: the words before
            the drug ("Not on an inhaled corticosteroid (stopped ... due to thrush)") and
            the tail's own ConText assertion speak of the drug, not the reason.
        effect: the tail is an effect (CAUSES): its own absent / possible assertion
            makes the relation negated / speculated.

    Returns:
        The relation's assertion; negation wins over speculation.
    """
    first, second = sorted((head, tail), key=lambda e: e.start)
    lo, hi = scope
    chars = list(text[lo:hi])
    for _rule, m in rules.finditer("change", text, lo, hi):
        chars[m.start() - lo:m.end() - lo] = " " * (m.end() - m.start())
    blanked = "".join(chars)

    def window(a: int, z: int) -> str:
        return blanked[max(a, lo) - lo:max(min(z, hi), lo) - lo]

    for kind in ("negated", "speculated"):
        for rule, rx in rules.rules(kind):
            spans = {
                "before": [] if is_stop_reason else [(first.start - rule.window, first.start)],
                "between": [(first.end, second.start)] if first.end < second.start else [],
                "after": [(second.end, second.end + rule.window)],
            }
            spans["either"] = spans["before"] + spans["between"] + spans["after"]
            if any(rx.search(window(a, z)) for a, z in spans[rule.position]):
                return kind  # type: ignore[return-value]
    # An effect denied or hedged is a denied or hedged adverse event; a reason's own
    # assertion is not the relation's ("prn wheeze" is still what albuterol is for).
    effect = effect and not is_stop_reason
    if effect and tail.assertion == "absent":
        return "negated"
    if effect and tail.assertion in ("possible", "hypothetical"):
        return "speculated"
    return "present"
