"""The layout of a note: lines with their section, sentences and clauses. The one sentence
and clause splitter of clinagent: the extractor's spaCy pipeline uses
:func:`set_sentence_starts` as its sentence component, and :func:`layout_note` applies the
same rules to give the timeline, summaries, chat and the verifier their sentences.

Sentence boundaries for clinical notes, in one linear pass over the tokens.

medspaCy's default splitter (PyRuSH) costs ~60% of extraction time (PyFastNER matches its
rules in pure Python, about 0.2 s per 5 kB) and logs matched text through the standard
``logging`` module at INFO, which would put note text (PHI) into logs. Clinical notes mostly
mark sentences with line structure, so these rules follow it:

- a blank line, a bullet ("-", "*", "•"), a numbered item ("1.", "2)", "a."), a header
  ("Plan:", "PMH:") or a table row (a line that starts or ends with "|") starts a sentence;
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

import bisect
import re
from collections.abc import Iterable
from functools import lru_cache

import numpy
import spacy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Token

from agent.deadline import checkpoint
from agent.nlp.doc_text import doc_text, token_offsets, token_texts
from agent.schemas.extraction import Entity, NoteExtraction
from agent.schemas.layout import LineSpan, NoteLayout, TextSpan
from agent.schemas.notes import Note

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
    text = doc_text(doc)
    n = len(doc)
    starts = [False] * n
    last = -1  # index of the previous non-space token
    # Token texts and offsets as lists: a Token object per token and attribute read was
    # most of this pass. spaCy's is_space is the text's str.isspace(), lower_ its lower().
    texts = token_texts(doc)
    offsets = token_offsets(doc)
    for i in range(n):
        word = texts[i]
        if word.isspace():
            continue
        if last < 0:
            starts[i] = True
            last = i
            continue
        prev = texts[last]
        prev_end = offsets[last] + len(prev)
        newlines = text.count("\n", prev_end, offsets[i])
        if newlines:
            prev_line = _line_text_before(text, prev_end)
            starts[i] = newlines >= 2 or (prev.lower() not in _CONTINUES and bool(
                _is_bullet(doc, i)
                or prev in _LINE_END_PUNCT
                or _is_abbreviation_end(doc, last, doc[i], at_line_end=True)
                or (word[:1].isupper() and len(prev_line) <= _SHORT_LINE)
                or _is_header_start(doc, i)
                # A table row is a sentence of its own: a cue in one row's comment cell
                # ("NOT TAKING") says nothing of the next row's drug.
                or word == "|" or prev == "|"
            ))
        elif word[:1].isalnum() and not _ends_list_marker(doc, last, starts):
            if prev in (".", "!", "?"):
                starts[i] = _period_ends_sentence(doc, last, doc[i])
            elif len(prev) > 1 and prev.endswith("."):
                starts[i] = _is_abbreviation_end(doc, last, doc[i], at_line_end=False)
        last = i
    # Space tokens take the boundary of the token after them so sentences never start
    # with whitespace mid-line; spaCy requires token 0 to start a sentence.
    if n:
        starts[0] = True
        # One array write: Token.is_sent_start's setter checks the whole doc for a parse
        # on every call, which made this loop quadratic (~2 ms on a 400-token note).
        # SENT_START 1 / -1 is what the setter stores for True / False.
        doc.from_array([SENT_START], numpy.array([1 if s else -1 for s in starts],
                                                 dtype=numpy.int64).astype(numpy.uint64))
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


# A line opening with a header label ("Plan:", "ALLERGIES / INTOLERANCES:", "- Home meds").
_LABEL = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)]|#\d*)?\s*([A-Za-z][A-Za-z /&-]{0,40}?)\s*(?::|$)")
# List markers that open a line are not part of its first sentence ("1. CAD", "#2 AKI").
_LEAD_MARKER = re.compile(r"(?:\d{1,2}[.)]|[a-z][.)]|#\d*)\s+")
_TRIM_LEFT = " \t\n-*•;"
_TRIM_RIGHT = " \t\n;"


@lru_cache(maxsize=1)
def _tokenizer() -> Language:
    # The extractor's tokenizer (spaCy's English rules, no model): layouts agree with the
    # sentences ConText scoped its cues to.
    nlp = spacy.blank("en")
    nlp.max_length = 20_000_000
    return nlp


def lines(text: str) -> list[tuple[int, int]]:
    """Non-blank lines as ``(start, end)`` offsets, leading/trailing spaces excluded."""
    out = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.rstrip()
        lead = len(raw) - len(raw.lstrip())
        if stripped.strip():
            out.append((pos + lead, pos + len(stripped)))
        pos += len(raw) + 1
    return out


def sentence_spans(text: str, raw: list[tuple[int, int]] | None = None,
                   ) -> list[tuple[int, int]]:
    """Sentences of any clinical text (a note, a reference note, a statement), cut at line
    breaks too, trimmed of bullets and list numbers.

    Args:
        text: the text.
        raw: sentence spans :func:`set_sentence_starts` already gave for ``text`` (the
            extractor's pipeline did); None splits the text here.
    """
    if raw is None:
        doc = set_sentence_starts(_tokenizer().make_doc(text))
        raw = [(s.start_char, s.end_char) for s in doc.sents]
    out: list[tuple[int, int]] = []
    # Lines and sentences are both in text order: walk them together (linear).
    k = 0
    for a, b in lines(text):
        while k < len(raw) and raw[k][1] <= a:
            k += 1
        j = k
        while j < len(raw) and raw[j][0] < b:
            lo, hi = _trim(text, max(raw[j][0], a), min(raw[j][1], b))
            m = _LEAD_MARKER.match(text, lo, hi)
            if m and m.end() < hi:
                lo = m.end()
            if hi > lo:
                out.append((lo, hi))
            j += 1
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _TRIM_LEFT:
        start += 1
    while end > start and text[end - 1] in _TRIM_RIGHT:
        end -= 1
    return start, end


def _clauses(text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences cut at ';' (a clause holds one status: "held; resume tomorrow")."""
    out = []
    for a, b in sentences:
        pos = a
        for i in range(a, b):
            if text[i] == ";":
                lo, hi = _trim(text, pos, i)
                if hi > lo:
                    out.append((lo, hi))
                pos = i + 1
        lo, hi = _trim(text, pos, b)
        if hi > lo:
            out.append((lo, hi))
    return out


def header_section(label: str, headers: dict[str, str]) -> str | None:
    """The section a header label opens: the label itself, or the first of slash-joined
    labels ("ALLERGIES / INTOLERANCES" opens ALLERGIES), as the sectionizer reads them."""
    key = label.strip().lower()
    if key in headers:
        return headers[key]
    if "/" in key:
        return headers.get(key.split("/", 1)[0].strip())
    return None


def header_end(text: str, start: int, end: int, headers: dict[str, str]) -> int:
    """Where the text of ``text[start:end]`` begins after a leading known header label and
    its colon ("HPI: 74M ..." -> the offset of "74M"); ``start`` when there is none."""
    m = _LABEL.match(text, start, end)
    if m is None or header_section(m.group(1), headers) is None:
        return start
    colon = text.find(":", m.start(1), end)
    if colon == -1:
        return start
    pos = colon + 1
    while pos < end and text[pos].isspace():
        pos += 1
    return pos


def line_sections(text: str, entities: Iterable[Entity],
                  headers: dict[str, str]) -> list[LineSpan]:
    """Each non-blank line with its section.

    The section of a line is the section the extractor gave the entities on it; a line
    without entities takes the section of a header label it starts with, else the section
    of the line above (sections run until the next header).

    Args:
        text: the note text.
        entities: its entities (may be empty).
        headers: lower-case header label -> section (:attr:`agent.rules.Rules.headers`).
    """
    by_line: dict[int, str] = {}
    spans = lines(text)
    starts = [a for a, _ in spans]
    for ent in entities:
        if ent.section is None:
            continue
        idx = max(0, bisect.bisect_right(starts, ent.start) - 1)
        by_line.setdefault(idx, ent.section)
    out: list[LineSpan] = []
    current: str | None = None
    for i, (a, b) in enumerate(spans):
        label = _LABEL.match(text[a:b])
        header = header_section(label.group(1), headers) if label else None
        if header is not None:
            current = header
        elif i in by_line:
            current = by_line[i]
        out.append(LineSpan.model_construct(start=a, end=b, section=current))
    return out


def layout_note(text: str, entities: Iterable[Entity], headers: dict[str, str], *,
                sentences: list[tuple[int, int]] | None = None) -> NoteLayout:
    """The layout of a note: lines with sections, sentences and clauses.

    Args:
        text: the note text.
        entities: the note's extracted entities (their sections place the lines).
        headers: header label -> section, from the rule set.
        sentences: the raw sentence spans of :func:`set_sentence_starts` when the caller
            has them (the extractor), so the note is not split twice.

    Returns:
        The layout; every span is an offset range into ``text``.
    """
    # Each step below takes ~1 s per 300,000 characters: a request past its deadline stops
    # between them.
    checkpoint()
    spans = sentence_spans(text, sentences)
    checkpoint()
    lines = line_sections(text, entities, headers)
    checkpoint()
    # Spans are built here from trusted offsets: skip pydantic validation (hot path of
    # every extraction).
    return NoteLayout.model_construct(
        lines=lines,
        sentences=[TextSpan.model_construct(start=a, end=b) for a, b in spans],
        clauses=[TextSpan.model_construct(start=a, end=b) for a, b in _clauses(text, spans)])


def note_layout(note: Note, extraction: NoteExtraction | None,
                headers: dict[str, str]) -> NoteLayout:
    """The layout the extractor computed with ``extraction``, or one computed now (records
    stored before layouts existed, LLM-only records)."""
    if extraction is not None and extraction.layout is not None:
        return extraction.layout
    return layout_note(note.text, extraction.entities if extraction else [], headers)
