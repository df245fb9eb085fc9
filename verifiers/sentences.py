"""Sentence boundaries for clinical notes, in one linear pass over the tokens.

medspaCy's default splitter (PyRuSH) costs ~60% of extraction time (PyFastNER matches its
rules in pure Python, about 0.2 s per 5 kB) and logs matched text through the standard
``logging`` module at INFO, which would put note text (PHI) into logs. Clinical notes mostly
mark sentences with line structure, so these rules follow it:

- a blank line, a bullet ("-", "*", "•"), a numbered item ("1.", "2)") or a header
  ("Plan:", "PMH:") starts a sentence;
- a line break after a line that ends with ".", ":", ";", "!" or "?" starts a sentence, and so
  does one before a line that starts with a capital letter when the previous line is short (a
  list or a header); other line breaks are wrapped text and continue the sentence;
- ".", "!" or "?" followed by a word or a digit ends a sentence (notes often start sentences
  in lower case: "h/o MI."), unless the period belongs to a title or abbreviation ("Dr.",
  "vs.", "approx.").
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

# Abbreviations after which a period does not end the sentence.
_NO_BREAK_AFTER = frozenset({
    "dr", "mr", "mrs", "ms", "st", "vs", "approx", "e.g", "i.e", "eg", "ie", "etc", "no",
    "pt", "pts", "hx", "fig", "ref", "wk", "mo", "yr", "yrs", "min", "sec", "hr", "hrs",
    "tab", "tabs", "cap", "caps", "inj", "sol", "susp", "q", "p", "b", "t", "d", "a", "m",
})
_BULLET = re.compile(r"^(?:[-*•·▪]|\d{1,2}[.)]|[a-z][.)]|#\d*)$")
_SHORT_LINE = 60
# A line that ends with one of these words is wrapped mid-sentence ("negative for\nDVT").
_CONTINUES = frozenset({
    "for", "of", "with", "and", "or", "to", "the", "a", "an", "in", "on", "at", "by",
    "without", "no", "than", "from", "denies", "including", "has", "had", "was", "is",
})


def _line_text_before(text: str, idx: int) -> str:
    start = text.rfind("\n", 0, idx) + 1
    return text[start:idx].strip()


def set_sentence_starts(doc: Doc) -> Doc:
    """Set ``is_sent_start`` on every token of ``doc`` and return it.

    Args:
        doc: a tokenised doc with no sentence boundaries yet.

    Returns:
        The same doc, sentence-segmented.
    """
    text = doc.text
    n = len(doc)
    starts = [False] * n
    last = -1  # index of the previous non-space token
    for i in range(n):
        tok = doc[i]
        if tok.is_space:
            continue
        if last < 0:
            starts[i] = True
            last = i
            continue
        prev = doc[last]
        prev_end = prev.idx + len(prev.text)
        newlines = text.count("\n", prev_end, tok.idx)
        if newlines:
            prev_line = _line_text_before(text, prev_end)
            starts[i] = newlines >= 2 or (prev.lower_ not in _CONTINUES and bool(
                _BULLET.match(tok.text)
                or prev.text in (".", ":", ";", "!", "?")
                or (tok.text[:1].isupper() and len(prev_line) <= _SHORT_LINE)
                or _is_header_start(doc, i)
            ))
        elif prev.text in (".", "!", "?") and tok.text[:1].isalnum():
            before = doc[last - 1].lower_ if last >= 1 else ""
            starts[i] = before not in _NO_BREAK_AFTER and not (
                len(before) == 1 and before.isalpha())
        last = i
    # Space tokens take the boundary of the token after them so sentences never start
    # with whitespace mid-line; spaCy requires token 0 to start a sentence.
    if n:
        starts[0] = True
    for i, tok in enumerate(doc):
        tok.is_sent_start = starts[i]
    return doc


def _is_header_start(doc: Doc, i: int) -> bool:
    """A line starting with a few words and a colon ("Plan:", "Chief Complaint:")."""
    for k in range(i, min(i + 5, len(doc))):
        t = doc[k]
        if "\n" in t.text or "\n" in t.whitespace_:
            return t.text == ":"
        if t.text == ":":
            return True
    return False
