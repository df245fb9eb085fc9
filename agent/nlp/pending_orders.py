"""Shapes that make a test, procedure or drug a plan rather than a fact (hypothetical).

ConText cues cannot express these, because each needs to look at both sides of the target
or at the target's neighbours in the entity list:

- a test named as the condition or the target of an order ("resume heparin when the
  platelets are stable", "goal INR 2-3"): the word after it ("stable", a number) is a
  threshold, not its result;
- a test or procedure ordered and not yet resulted ("renal scan ordered", "I ordered a
  ferritin"), per the guideline example "[LE venous duplex] ordered";
- two treatments weighed against each other ("TURP vs suprapubic catheter", guideline):
  neither has been chosen yet. Alternative diagnoses or causes ("sepsis vs steroid effect")
  are 'possible' and stay with ConText.
"""

from __future__ import annotations

from spacy.tokens import Span

from agent.nlp.clause_structure import entity_ranges
from agent.nlp.doc_text import token_texts

# Words that turn the test right after them into a condition or a target of the plan.
_CONDITION_OPENERS = frozenset({"if", "when", "once", "until", "unless", "goal", "target",
                                "targeting"})
# Words that make "when" a time in the past, not a condition ("when Cr was 3.1").
_PAST_AFTER_WHEN = frozenset({"was", "were", "had", "peaked"})
# A test directly followed by these is a target of the plan ("INR goal 2-3").
_TARGET_AFTER = frozenset({"goal", "target"})
_DETERMINERS = frozenset({"the", "a", "an", "his", "her", "their", "repeat"})


def _next_word(span: Span, k: int) -> int | None:
    """Index of the first non-space token at or after ``k`` inside the span's sentence."""
    doc = span.doc
    end = span.sent.end
    while k < end and doc[k].is_space:
        k += 1
    return k if k < end else None


def _prev_word(span: Span, k: int) -> int | None:
    """Index of the last non-space token before ``k`` inside the span's sentence."""
    doc = span.doc
    k -= 1
    while k >= span.sent.start and doc[k].is_space:
        k -= 1
    return k if k >= span.sent.start else None


_COMPARATORS = frozenset({">", "<", ">=", "<=", "≥", "≤", "above", "below", "over",
                          "under"})
# Verbs that set a target only when a comparator follows the test ("keep K > 4").
_TARGET_VERBS = frozenset({"keep", "maintain"})
_LIST_SEPARATORS = frozenset({",", "/", "and", "&"})


def _comparator_follows(span: Span, end: int) -> bool:
    after = _next_word(span, end)
    return after is not None and span.doc[after].text.lower() in _COMPARATORS


def _previous_target_in_list(span: Span) -> bool:
    """Whether the test continues a list of targets ("goal K > 4, Mg > 2"): a comparator
    follows it, and the previous test of its clause is a target with its own comparator."""
    if not _comparator_follows(span, span.end):
        return False
    doc = span.doc
    ents = entity_ranges(doc)
    before = _prev_word(span, span.start)
    if before is None or doc[before].lower_ not in _LIST_SEPARATORS:
        return False
    for start, end, label in sorted(ents, reverse=True):
        if end > span.start:
            continue
        if start < span.sent.start or any(doc[k].text in {";", ".", ":"} or
                                          "\n" in doc[k].text
                                          for k in range(end, span.start)):
            return False
        if label.upper() != "TEST":
            return False
        prev = doc[start:end]
        return _comparator_follows(span, end) and is_condition_test(prev)
    return False


def is_condition_test(span: Span) -> bool:
    """Whether a TEST is the condition or target of a plan ("restart the drip if Plt
    stable", "until Cr back", "goal LDL < 55", "K goal > 4", "keep Mg > 2", and the next
    targets of its list: "goal K > 4, Mg > 2"), so what follows it is a threshold and not
    a result. "when Cr was 3.1" is a past time, not a condition."""
    doc = span.doc
    if _previous_target_in_list(span):
        return True
    before = _prev_word(span, span.start)
    after = _next_word(span, span.end)
    after_word = doc[after].lower_ if after is not None else ""
    if after_word in _TARGET_AFTER:
        return True
    # "until the INR >= 2", "once her platelets recover": a determiner may stand between.
    if before is not None and doc[before].lower_ in _DETERMINERS:
        before = _prev_word(span, before)
    if before is None:
        return False
    opener = doc[before].lower_
    if opener in _TARGET_VERBS:
        return _comparator_follows(span, span.end)
    if opener not in _CONDITION_OPENERS:
        return False
    if opener == "when" and after_word in _PAST_AFTER_WHEN:
        return False
    # "heparin started 4/27 once plt > 50": the condition was met in the past.
    return not (opener in _TIME_OPENERS and _past_before(span, before))


_TIME_OPENERS = frozenset({"when", "once", "until"})
_PAST_MARKERS = frozenset({"started", "began", "begun", "given", "resumed", "restarted",
                           "stopped", "was", "were", "received", "got",
                           "had"})


def _past_before(span: Span, opener: int) -> bool:
    """Whether the clause before the opener reports a past event."""
    doc = span.doc
    for k in range(opener - 1, span.sent.start - 1, -1):
        text = doc[k].text
        if text in {";", ".", ":"} or "\n" in text:
            return False
        if doc[k].lower_ in _PAST_MARKERS:
            return True
    return False


# The verbs that put a test or procedure on order without a result yet.
_ORDER_VERBS = frozenset({"ordered", "requested"})
# After the order verb, these say the test was done and read ("CT ordered, showed ...").
_RESULT_AFTER_ORDER = frozenset({
    "showed", "shows", "showing", "revealed", "revealing", "demonstrated", "demonstrating",
    "was", "were", "is", "are", "returned", "came", "resulted", "negative", "positive",
    "normal", "unremarkable", "notable", "significant", "with", "without", "w/", "w/o",
    "which", "that",
})
# What may stand between a test and the order verb of its list ("CBC, BMP and Mg
# ordered") or between the verb and the test ("ordered a CBC and a ferritin").
_LIST_FILLER = frozenset({",", "and", "+", "/", "&", "a", "an", "the", "repeat", "stat",
                          "also", "x1", "x2"})
_ORDER_REACH = 8
_RESULT_WINDOW = 4


def _inside_entity(k: int, ents: list[tuple[int, int, str]]) -> bool:
    return any(a <= k < b for a, b, _ in ents)


def _result_after(span: Span, verb: int) -> bool:
    """Whether the words right after the order verb give a result."""
    doc = span.doc
    texts = token_texts(doc)
    seen = 0
    for k in range(verb + 1, span.sent.end):
        if doc[k].is_space:
            continue
        word = texts[k].lower()
        if word in {".", ";"} or "\n" in texts[k]:
            return False
        if word in _RESULT_AFTER_ORDER or word[:1].isdigit():
            return True
        seen += 1
        if seen >= _RESULT_WINDOW:
            return False
    return False


def is_ordered(span: Span) -> bool:
    """Whether a test or procedure is named as ordered and not read yet: the order verb
    follows it through its list ("BNP, lipase ordered") or precedes it ("ordered a renal
    scan"), and no result follows the verb ("CT ordered, showed a bleed" was done)."""
    doc = span.doc
    texts = token_texts(doc)
    ents = entity_ranges(doc)
    seen = 0
    for k in range(span.end, span.sent.end):
        if doc[k].is_space:
            continue
        word = texts[k].lower()
        if word in _ORDER_VERBS:
            return not _result_after(span, k)
        if "\n" in texts[k] or not (word in _LIST_FILLER or _inside_entity(k, ents)):
            break
        seen += 1
        if seen > _ORDER_REACH:
            break
    seen = 0
    for k in range(span.start - 1, span.sent.start - 1, -1):
        if doc[k].is_space:
            continue
        word = texts[k].lower()
        if word in _ORDER_VERBS:
            return not _result_after(span, span.end - 1)
        if "\n" in texts[k] or not (word in _LIST_FILLER or _inside_entity(k, ents)):
            return False
        seen += 1
        if seen > _ORDER_REACH:
            return False
    return False


_VERSUS = frozenset({"vs", "vs.", "versus", "v."})
# A drug followed by these is named as a cause ("steroid effect"), not as a choice.
_CAUSE_AFTER = frozenset({"effect", "effects", "toxicity", "induced", "-induced", "related",
                          "reaction", "withdrawal", "overdose", "use"})
TREATMENT_TYPES = frozenset({"MEDICATION", "PROCEDURE"})


def _entity_at(k: int | None, ents: list[tuple[int, int, str]]) -> tuple[int, int, str] | None:
    if k is None:
        return None
    return next((e for e in ents if e[0] <= k < e[1]), None)


def _is_treatment(span: Span, ent: tuple[int, int, str] | None) -> bool:
    """Whether an entity is a drug or procedure named as itself (not as a cause)."""
    if ent is None or ent[2].upper() not in TREATMENT_TYPES:
        return False
    after = _next_word(span, ent[1])
    return after is None or span.doc[after].lower_ not in _CAUSE_AFTER


def is_treatment_alternative(span: Span) -> bool:
    """Whether a drug or procedure is weighed against another one with "vs" right beside
    it ("apixaban vs warfarin", "stenting vs bypass"): both sides must be treatments, so
    "pneumonia vs steroid effect" (a differential) is left to ConText."""
    doc = span.doc
    ents = entity_ranges(doc)
    me = (span.start, span.end, span.label_)
    if not _is_treatment(span, me):
        return False
    after = _next_word(span, span.end)
    if after is not None and doc[after].lower_ in _VERSUS and \
            _is_treatment(span, _entity_at(_next_word(span, after + 1), ents)):
        return True
    before = _prev_word(span, span.start)
    if before is not None and doc[before].lower_ in _VERSUS:
        left = _prev_word(span, before)
        # "chest tube with fibrinolysis (alteplase) vs VATS": the parenthesis closes
        # the left-hand option.
        if left is not None and doc[left].text == ")":
            left = _prev_word(span, left)
        return _is_treatment(span, _entity_at(left, ents))
    return False
