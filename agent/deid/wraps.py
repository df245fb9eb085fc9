"""Identifiers cut in two by a line break.

Fax OCR, narrow terminal exports and hard-wrapped dictation break lines wherever the width
runs out: "MRN 55-" / "3308127", "Vasquez-" / "Harrow", "ninety-" / "three year old",
"Wexcombe" / "Family Practice". Each half alone no longer has the shape (or the context) its
recognizer needs, so it leaks. Here the two lines around such a break are read again joined
(the hyphen, slash or "@" kept, a digit run closed up, a word wrap read as a space) and a
span that crosses the joint is mapped back as its two halves.

Only breaks that look like a cut are re-read (a line ending in a hyphen, slash, "@" or a
digit run continued by digits; or a wrap where a found identifier touches the break), so
ordinary notes pay almost nothing. The windows are found first (:func:`wrap_windows`) and
read after, so that the detector parses all the windows of a batch of notes in one spaCy
call (``Detector.detect_many``) instead of one call each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from agent.schemas.deid import PhiSpan

# One analysed window around a break: (entity type, start, end, score, recognizer).
Finding = tuple[str, int, int, float, str]
_WINDOW = 100  # characters kept on each side of the break
_CUT_END = re.compile(r"[A-Za-z0-9][-/@][ \t]*$")
_DIGITS_END = re.compile(r"\d[ \t]*$")
_WORD_END = re.compile(r"[^\W_][ \t]*$")
# A line that ends a sentence or a field is no wrap ("... at Wexcombe." / "Plan:").
_CLOSED = re.compile(r"[.:;!?)\]][ \t]*$")
_WRAP_SCORE = 0.75
_WRAPPABLE = frozenset({"NAME", "HOSPITAL", "CITY", "STREET_ADDRESS"})
_MIN_WRAPPED_LINE = 25  # shorter lines are list items, headers or signatures, not wraps
# A list item or a "Field: value" line ends where it ends: the next line is a new item.
_ITEM = re.compile(r"^[ \t]*(?:[-*•·]|\d{1,2}[.)]|[A-Za-z][\w /()-]{0,30}:)[ \t]")
# A next line that opens on a label or a chat speaker ("kateri s np 21:20: agree") starts
# a new field, whatever the line before ends on.
_LABEL_START = re.compile(r"[^\n]{1,40}?:[ \t]")


def _line(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start:end if end != -1 else len(text)]


def _same_case(prev: str, nxt: str) -> bool:
    """Wrapped text goes on in the style it was written in: an ALL-CAPS heading followed
    by mixed-case text ("HOSPICE REFERRAL" / "Harlow Memorial ...") is no wrap."""
    def caps(s: str) -> bool:
        letters = [c for c in s if c.isalpha()]
        return len(letters) >= 4 and all(c.isupper() for c in letters)
    return caps(prev) == caps(nxt) or not any(c.isalpha() for c in nxt)


def _breaks(text: str, found: Iterable[tuple[int, int]]) -> list[tuple[int, str]]:
    """(offset of the newline, joiner) for each break worth re-reading."""
    ends = {e for _, e in found}
    starts = {s for s, _ in found}
    out = []
    line_start = 0
    for nl in (m.start() for m in re.finditer("\n", text)):
        prev = text[line_start:nl]
        nxt_start = nl + 1
        line_start = nxt_start
        if nxt_start >= len(text) or not text[nxt_start].isalnum():
            continue
        if _CUT_END.search(prev):
            out.append((nl, ""))
        elif _DIGITS_END.search(prev) and text[nxt_start].isdigit():
            out.append((nl, ""))
        elif (len(prev) >= _MIN_WRAPPED_LINE and _WORD_END.search(prev)
              and not _CLOSED.search(prev) and not _ITEM.match(prev)
              and not _LABEL_START.match(text, nxt_start)
              and _same_case(prev, _line(text, nxt_start))
              and (len(prev.rstrip()) + (nl - len(prev)) in ends or nxt_start in starts
                   or nl in ends)):
            out.append((nl, " "))
    return out


@dataclass(frozen=True)
class Window:
    """The two lines around one break, joined, to be read again."""

    start: int  # offset of the window in the text
    newline: int  # offset of the break's newline in the text
    joiner: str  # what stands for the newline in the window ("" or " ")
    joint: int  # offset of the joiner in the window
    text: str


def wrap_windows(text: str, found: Iterable[tuple[int, int, str]]) -> list[Window]:
    """The joined windows around the breaks of ``text`` worth re-reading (``found``: the
    (start, end, type) of the spans the line-by-line pass found)."""
    # Only names and places run over a word wrap with a space inside them; a date or a
    # number at a line end ("Date: 3/4/2026") says nothing about the next line.
    wrappable = [(s, e) for s, e, etype in found if etype in _WRAPPABLE]
    out = []
    for nl, joiner in _breaks(text, wrappable):
        a = max(text.rfind("\n", 0, nl) + 1, nl - _WINDOW)
        nxt_end = text.find("\n", nl + 1)
        b = min(nxt_end if nxt_end != -1 else len(text), nl + 1 + _WINDOW)
        head = text[a:nl].rstrip(" \t")
        out.append(Window(start=a, newline=nl, joiner=joiner, joint=len(head),
                          text=head + joiner + text[nl + 1:b]))
    return out


def spans_across(windows: list[Window], findings: Iterable[list[Finding]],
                 found: Iterable[tuple[int, int, str]]) -> list[PhiSpan]:
    """The halves of the identifiers the recognizers found across each window's joint
    (``findings``: their results on each window, in order)."""
    found = [(s, e) for s, e, _ in found]
    out: list[PhiSpan] = []
    for w, results in zip(windows, findings, strict=True):
        a, nl, joiner, joint = w.start, w.newline, w.joiner, w.joint
        for etype, s, e, score, name in results:
            if not (s < joint and e > joint + len(joiner)):
                continue
            # A span read across a word wrap is a guess from a joined window: kept below
            # the score the patient memory learns from, so it never spreads to other notes.
            if joiner == " ":
                score = min(score, _WRAP_SCORE)
                # A reading that starts inside an identifier already found ("... Wolmarans
                # St" / "Caxias do Sul") cuts through it: that line's own span stands.
                if any(fs < a + s < fe for fs, fe in found):
                    continue
            out.append(PhiSpan(entity_type=etype, start=a + s, end=a + joint, score=score,
                               recognizer=f"wrap:{name}"))
            out.append(PhiSpan(entity_type=etype, start=nl + 1,
                               end=nl + 1 + e - joint - len(joiner), score=score,
                               recognizer=f"wrap:{name}"))
    return out


def wrapped_spans(text: str, found: Iterable[tuple[int, int, str]],
                  analyze: Callable[[str], list[Finding]]) -> list[PhiSpan]:
    """The halves of identifiers that cross a line break.

    Args:
        text: note text.
        found: (start, end, type) of spans the line-by-line pass already found (a word
            wrap is re-read only where a name or place touches it).
        analyze: runs the detector's recognizers on a short joined window.

    Returns:
        Two spans per crossing identifier: the part before the newline and the part after.
    """
    found = list(found)
    windows = wrap_windows(text, found)
    return spans_across(windows, (analyze(w.text) for w in windows), found)
