"""Test names on a labelled lab line: "Labs: aPTT 31, TEG normal, type and cross 4 u".

A line that opens with a lab label and lists "name value" items names a test in each item,
whether or not a vocabulary knows the name (assay brands, panels, local shorthand:
"QuantiFERON negative", "GI pathogen panel pending", "anti-Xa 0.45"). Only items whose value
is a number or a result word count, and only names of up to four words with no function word
("notable for hyponatremia 128" is prose, not an item), and not a lone lower-case word
(a panel's component: "nitrite negative") or a name followed by a date; an item a
vocabulary already found keeps its own hit, except a drug name inside the item's name: on
a lab line "lithium 1.2", "vancomycin trough 15" or "HBsAg negative"
are levels and assays, not the drug.
"""

from __future__ import annotations

import re

from agent.nlp.lexicon import LexiconHit

# Cheap literal gate: a note with no lab label is not scanned.
_GATE = ("abs", "ata:", "ata :")
_LAB_LINE = re.compile(
    r"(?im)^[ \t]*(?:[-*\u2022][ \t]*)?(?:labs?|lab\s+results|pertinent\s+labs|labs\s+today|"
    r"data|weekly\s+labs|monthly\s+labs|d/c\s+labs|admission\s+labs|am\s+labs|repeat\s+labs)"
    r"[ \t]*(?:\([^)\n]{0,30}\))?[ \t]*:")
_ITEM = re.compile(
    r"^(?:and\s+)?(?P<name>[A-Za-z][A-Za-z0-9./%'-]*(?:\s[A-Za-z0-9][A-Za-z0-9./'-]*){0,3}?)"
    r"\s+(?:of\s+|was\s+|is\s+|=\s*|:\s*)?"
    r"(?P<value>[<>]?\s?\d[\d,]*(?:\.\d+)?(?=$|[\s%/(A-Za-z])|positive|negative|pending|normal"
    r"|abnormal|neg|pos|bland|undetectable|detected|not\s+detected|reactive|nonreactive"
    r"|non-reactive|no\s+growth|NGTD|elevated|low|high|wnl)\b",
    re.IGNORECASE)
_FUNCTION_WORDS = frozenset({
    "for", "with", "of", "on", "in", "at", "was", "is", "were", "the", "a", "an", "no", "not",
    "than", "from", "to", "by", "after", "since", "notable", "significant", "otherwise",
    "remarkable", "unremarkable", "pt", "patient", "he", "she", "today", "yesterday", "am",
    "pm", "day", "hd", "pod", "s/p", "x", "post", "pre", "repeat", "trend", "down", "up",
})
_MAX_WORDS = 4
_DATE_AFTER = re.compile(r"\d{1,2}/\d{1,2}\b")


def with_lab_line_items(text: str, hits: list[LexiconHit]) -> list[LexiconHit]:
    """``hits`` plus TEST hits for the item names of labelled lab lines.

    Args:
        text: the note text.
        hits: the hits found so far, non-overlapping: an item that overlaps one is left to
            it, unless all it overlaps are drug hits inside the item's name.

    Returns:
        The hits, with drug hits inside lab items replaced, in offset order.
    """
    if not any(g in text.lower() for g in _GATE):
        return hits
    out: list[LexiconHit] = []
    dropped: set[int] = set()
    for line in _LAB_LINE.finditer(text):
        end = text.find("\n", line.end())
        end = len(text) if end == -1 else end
        pos = line.end()
        # Items are separated by ";" or by a comma followed by a space ("1,850" is a number).
        for m in re.finditer(r"[^;]+?(?=,\s|;|$)", text[pos:end]):
            raw = m.group(0)
            lead = len(raw) - len(raw.lstrip(" ,"))
            item = raw.strip(" ,")
            if not item:
                continue
            found = _ITEM.match(item)
            if found is None:
                continue
            name = found.group("name")
            words = name.lower().split()
            if len(words) > _MAX_WORDS or any(w in _FUNCTION_WORDS for w in words):
                continue
            if len(words) == 1 and name.islower():
                continue  # "nitrite negative", "eos 2": a component read off a panel
            if _DATE_AFTER.match(item, found.start("value")):
                continue  # "BK PCR 8/3": the day it is due, not a result
            start = pos + m.start() + lead
            stop = start + len(name)
            over = [i for i, h in enumerate(hits) if h.start < stop and start < h.end]
            if any(hits[i].label != "MEDICATION" or hits[i].start < start
                   or hits[i].end > stop for i in over):
                continue
            dropped.update(over)
            out.append(LexiconHit(start, stop, "TEST", name, "lab_line"))
    if not out:
        return hits
    kept = [h for i, h in enumerate(hits) if i not in dropped]
    return sorted(kept + out, key=lambda h: h.start)
