"""Where a negation running over a comma list stops.

ConText lets "no" reach every item of the list after it ("no fever, chills or sweats"),
which is right for a coordinated list of negatives. Two list shapes end the negation at a
comma instead:

- the writer negates each item on its own ("NO FEVER, NO HEMOPTYSIS, SWELLING IN BOTH
  LEGS"): once an item after the first carries its own negation, an item without one is a
  positive finding, unless the list is still being coordinated ("no fever, no chills,
  sweats or weight loss");
- the item is graded, sized, dated or sided, as positive findings are described ("no
  crepitus, mild tenderness", "no acute infarct, chronic small vessel changes", "no
  pneumothorax, L basilar atelectasis"): nobody grades what is absent.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from agent.nlp.doc_text import token_texts

# Words that negate a list item on their own.
_ITEM_NEGATIONS = frozenset({"no", "not", "without", "w/o", "denies", "negative", "neg"})
# Coordinators that keep a list of negatives going.
_COORDINATORS = frozenset({"or", "nor"})
# First words of a described, hence present, finding: severity, size, chronicity, side.
_DESCRIBERS = frozenset({
    "mild", "mildly", "moderate", "moderately", "severe", "severely", "small", "large",
    "trace", "minimal", "chronic", "old", "healed", "l", "r", "left", "right", "bilateral",
    "bilat", "1+", "2+", "3+", "4+",
})
# Items negated each on their own, at least this many, show the writer negates per item.
_OWN_NEGATIONS = 2
_CLAUSE_ENDS = frozenset({";", ".", "|"})


def item_outside_negation(doc: Doc, cue_end: int, span: Span,
                          ranges: list[tuple[int, int, str]]) -> bool:
    """Whether the list item holding ``span`` lies outside a forward negation ending at
    ``cue_end`` (see the module docstring).

    Args:
        doc: the annotated doc.
        cue_end: token index where the negation cue ends (the cue precedes the span).
        span: the target entity span.
        ranges: ``(start, end, label)`` of the doc's entities (breaks inside an entity do
            not count).

    Returns:
        True when the span's item is a positive finding the cue does not reach.
    """
    texts = token_texts(doc)
    commas = _item_breaks(texts, cue_end, span.start, ranges, (",",))
    if not commas:
        return False
    item = commas[-1] + 1
    first = _first_word(texts, item, span.end)
    if first is None or texts[first].lower() in _ITEM_NEGATIONS or any(
            texts[k].lower() in _COORDINATORS | {"and"} for k in range(item, span.start)):
        return False  # "..., no X", "..., or X", "rubs or gallops": still the negated list
    if texts[first].lower() in _DESCRIBERS:
        return True
    # Two items or more negated each on its own ("NO FEVER, NO COUGH, swelling"), and the
    # list does not go on as "..., or X" after the span.
    clause = _clause_start(texts, cue_end, doc[span.start].sent.start)
    starts = [clause] + [b + 1 for b in _item_breaks(texts, clause, item, ranges, (",", ":"))]
    negated_items = sum(
        1 for lo in starts
        if (word := _first_word(texts, lo, item)) is not None
        and texts[word].lower() in _ITEM_NEGATIONS)
    return negated_items >= _OWN_NEGATIONS and not _coordinated_after(texts, span.end)


def _item_breaks(texts: list[str], lo: int, hi: int, ranges: list[tuple[int, int, str]],
                 marks: tuple[str, ...]) -> list[int]:
    """Tokens in ``[lo, hi)`` outside every entity that are one of ``marks``."""
    inside = [False] * max(0, hi - lo)
    for start, end, _ in ranges:
        for k in range(max(start, lo), min(end, hi)):
            inside[k - lo] = True
    return [k for k in range(lo, hi) if texts[k] in marks and not inside[k - lo]]


def _clause_start(texts: list[str], cue_end: int, sent_start: int) -> int:
    """First token of the clause holding the cue (after ";", "." or a line break)."""
    k = cue_end - 1
    while k > sent_start and texts[k - 1] not in _CLAUSE_ENDS and "\n" not in texts[k - 1]:
        k -= 1
    return k


def _first_word(texts: list[str], lo: int, hi: int) -> int | None:
    """Index of the first non-space token in ``[lo, hi)``."""
    for k in range(lo, hi):
        if texts[k].strip():
            return k
    return None


def _coordinated_after(texts: list[str], lo: int) -> bool:
    """Whether "or" / "nor" follows before the clause ends (the list goes on)."""
    for k in range(lo, len(texts)):
        if texts[k] in _CLAUSE_ENDS or "\n" in texts[k]:
            return False
        if texts[k].lower() in _COORDINATORS:
            return True
    return False
