"""Sentence boundaries for clinical notes, in one linear pass over the tokens.

medspaCy's default splitter (PyRuSH) costs ~60% of extraction time (PyFastNER matches its
rules in pure Python, about 0.2 s per 5 kB) and logs matched text through the standard
``logging`` module at INFO, which would put note text (PHI) into logs. Clinical notes mostly
mark sentences with line structure, so these rules follow it:

- a blank line, a bullet ("-", "*", "•"), a numbered item ("1.", "2)", "a.") or a header
  ("Plan:", "PMH:") starts a sentence;
- a line break after a line that ends a sentence (".", ":", ";", "!", "?", or a unit
  abbreviation with its period such as "h.") starts a sentence, and so does one before a
  line that starts with a capital letter when the previous line is short (a list or a
  header); other line breaks are wrapped text and continue the sentence;
- ".", "!" or "?" followed by a word or a digit ends a sentence (notes often start sentences
  in lower case: "h/o MI."), unless the period belongs to a title or a fixed abbreviation
  ("Dr.", "vs.", "approx.", "e.g."); after a short or unit abbreviation ("pt.", "hrs.",
  "x 24 h.", "98.6 F.") it ends one only when a capitalised word follows, since those
  abbreviations end sentences in notes as often as they sit inside them.

Sentence scope matters downstream: ConText cues ("was negative", "denies") reach to the
sentence edge, so a missed boundary lets a cue modify findings of the next sentence.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Token

# Titles and fixed abbreviations after which a period never ends the sentence ("Dr. Smith",
# "pneumonia vs. atelectasis", "approx. 5 cm"). spaCy keeps most of them as one token with
# their period ("Dr.", "vs."); the rest come out as word + ".".
_NEVER_BREAK_AFTER = frozenset({
    "dr", "mr", "mrs", "ms", "st", "vs", "approx", "e.g", "i.e", "eg", "ie", "cf", "fig",
    "ref", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "incl",
})
# Short and unit abbreviations: a period after them ends the sentence only when a
# capitalised word follows ("for 3 hrs. Then...", but "No. 2", "1 tab. daily").
_BREAK_IF_CAPITAL_AFTER = frozenset({
    "no", "pt", "pts", "hx", "wk", "wks", "mo", "mos", "yr", "yrs", "min", "mins", "sec", "hr",
    "hrs", "tab", "tabs", "cap", "caps", "inj", "sol", "susp", "etc", "inc", "cm", "mm", "mg",
    "kg", "ml", "b.i.d", "t.i.d", "q.i.d", "p.o", "q.d", "p.r.n",
})
_BULLET = re.compile(r"^(?:[-*•·▪]|\d{1,2}[.)]|[a-z][.)]|#\d*)$")
_ITEM_NUMBER = re.compile(r"^(?:\d{1,2}|[a-z])$")
_SHORT_LINE = 60
# A line that ends with one of these words is wrapped mid-sentence ("negative for\nDVT").
_CONTINUES = frozenset({
    "for", "of", "with", "and", "or", "to", "the", "a", "an", "in", "on", "at", "by",
    "without", "no", "than", "from", "denies", "including", "has", "had", "was", "is",
})
_LINE_END_PUNCT = frozenset({".", ":", ";", "!", "?"})


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
                _is_bullet(doc, i)
                or prev.text in _LINE_END_PUNCT
                or _is_abbreviation_end(doc, last, tok, at_line_end=True)
                or (tok.text[:1].isupper() and len(prev_line) <= _SHORT_LINE)
                or _is_header_start(doc, i)
            ))
        elif tok.text[:1].isalnum() and not _ends_list_marker(doc, last, starts):
            if prev.text in (".", "!", "?"):
                starts[i] = _period_ends_sentence(doc, last, tok)
            elif len(prev.text) > 1 and prev.text.endswith("."):
                starts[i] = _is_abbreviation_end(doc, last, tok, at_line_end=False)
        last = i
    # Space tokens take the boundary of the token after them so sentences never start
    # with whitespace mid-line; spaCy requires token 0 to start a sentence.
    if n:
        starts[0] = True
    for i, tok in enumerate(doc):
        tok.is_sent_start = starts[i]
    return doc


def _period_ends_sentence(doc: Doc, period: int, nxt: Token) -> bool:
    """A stand-alone "." (or "!"/"?") at ``period`` followed by the word ``nxt``."""
    if doc[period].text != ".":
        return True
    before = doc[period - 1] if period >= 1 else None
    if before is None or before.whitespace_:
        return True
    word = before.lower_
    if word in _NEVER_BREAK_AFTER:
        return False
    if word in _BREAK_IF_CAPITAL_AFTER or (len(word) == 1 and word.isalpha()):
        return nxt.text[:1].isupper()
    return True


def _is_abbreviation_end(doc: Doc, idx: int, nxt: Token, *, at_line_end: bool) -> bool:
    """Whether a token spaCy kept whole with its period ("h.", "F.", "Dr.") ends a sentence.

    A lone capital with a period is an initial ("J. Smith", "S. pneumoniae") unless it
    follows a number, where it is a unit ("98.6 F."). Other abbreviations end the sentence
    before a capitalised word, or at a line end.
    """
    tok = doc[idx]
    word = tok.lower_[:-1]
    if len(tok.text) < 2 or not tok.text.endswith(".") or word in _NEVER_BREAK_AFTER:
        return False
    if len(word) == 1 and word.isalpha() and tok.text[0].isupper():
        prev = doc[idx - 1] if idx >= 1 else None
        if prev is None or not prev.like_num:
            return False
    return at_line_end or nxt.text[:1].isupper()


def _ends_list_marker(doc: Doc, idx: int, starts: list[bool]) -> bool:
    """Whether token ``idx`` closes the list marker that opened its sentence ("1." "a.")."""
    if starts[idx]:
        return bool(_BULLET.match(doc[idx].text))
    return (idx >= 1 and starts[idx - 1] and doc[idx].text in (".", ")")
            and bool(_ITEM_NUMBER.match(doc[idx - 1].text)))


def _is_bullet(doc: Doc, i: int) -> bool:
    """A list marker at the start of a line: "-", "•", "1." / "2)" / "a." (one or two tokens)."""
    tok = doc[i]
    if _BULLET.match(tok.text):
        return True
    return (bool(_ITEM_NUMBER.match(tok.text)) and i + 1 < len(doc)
            and doc[i + 1].text in (".", ")") and not tok.whitespace_)


def _is_header_start(doc: Doc, i: int) -> bool:
    """A line starting with a few words and a colon ("Plan:", "Chief Complaint:")."""
    for k in range(i, min(i + 5, len(doc))):
        t = doc[k]
        if "\n" in t.text or "\n" in t.whitespace_:
            return t.text == ":"
        if t.text == ":":
            return True
    return False
