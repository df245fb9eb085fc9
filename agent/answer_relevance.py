"""Does a sentence of the notes answer the question? Word evidence for chat answers.

Retrieval always returns its ``k`` best passages, relevant or not (dense search has no
zero score), so the answerer decides itself whether the notes speak to the question:

- the question's *content terms* are its words minus stopwords and *question words* that
  name the kind of answer wanted ("dose", "status", "say", "done": every note sentence
  about a drug answers "what dose", none of them writes "dose");
- a sentence's *relevance* is the share of the content terms it holds, each weighted by
  how rare the term is in the patient's notes (a term the notes never use weighs most:
  "knee" in "Was an MRI of the knee done?" decides, "MRI" alone does not);
- a header or list label with nothing after it ("Home meds:", "PAST MEDICAL HISTORY")
  states nothing and is never an answer sentence, whatever words it shares.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from retrieval.lexical import tokenize

# Words of a question that say what kind of answer is wanted, not what it is about. General
# English and clinical question vocabulary, not any note's wording; callers may pass their
# own set.
QUESTION_WORDS: frozenset[str] = frozenset({
    "why", "how", "when", "where", "whom", "whose", "any", "ever", "currently", "current",
    "now", "still", "recent", "recently", "latest", "last", "today", "say", "said", "says",
    "note", "notes", "chart", "mention", "mentioned", "document", "documented", "tell", "me",
    "about", "show", "showed", "shows", "know", "dose", "doses", "dosage", "dosing", "amount",
    "much", "many", "often", "frequency", "status", "result", "results", "level", "levels",
    "value", "values", "done", "performed", "happen", "happened", "get", "got", "given",
    "receive", "received", "taking", "take", "takes", "on", "she", "he", "her", "him", "his",
    "hers", "we", "i", "you", "my", "our", "can", "could", "would", "should", "were", "been",
    "being", "am", "all", "some", "from",
})
# A leading label and its colon ("S:", "A/P:", "Home meds (pt's list):"); a colon between
# digits is a time ("08:30") and does not end a label.
_LEAD_LABEL = re.compile(r"^\s*(?:[-*•]\s*|\d{1,2}[.)]\s*|#\d*\s*)?"
                         r"[A-Za-z][\w /&'()+,.-]{0,48}?:(?!\d)\s*")
_HAS_LOWER = re.compile(r"[a-z]")
_LETTERS = re.compile(r"[A-Za-z]")
# A possessive's "s" would match every "S:" (subjective) label of the notes.
POSSESSIVE = re.compile(r"(?<=\w)['’]s\b", re.IGNORECASE)
# Longest first: "es" before "s", so "doses" -> "dos"... is avoided by the length floor.
_SUFFIXES = ("ing", "ed", "es", "s")
# Shortest shared head that counts as the same word ("recommend"/"recommendation"); shorter
# heads join unrelated words ("card" of cardiac and cardiology).
PREFIX_MIN = 6


def stem(word: str) -> str:
    """A light suffix cut so "started"/"start", "doses"/"dose" match; numbers and short
    words stay whole (doses and abbreviations must match exactly)."""
    if word[0].isdigit() or len(word) <= 4 or word.endswith(("ss", "us", "is")):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[:-len(suffix)]
            # "stopped" -> "stopp" -> "stop": English doubles the last consonant.
            if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]
            return word
    return word


def terms(text: str) -> set[str]:
    """Stemmed word tokens of ``text`` (stopwords and one-letter tokens left out: the "s"
    of "patient's" is not a word the question asks about)."""
    return {stem(t) for t in tokenize(POSSESSIVE.sub("", text))
            if len(t) > 1 or t.isdigit()}


def question_terms(question: str, question_words: frozenset[str] = QUESTION_WORDS,
                   concepts: dict[str, str] | None = None) -> set[str]:
    """The content terms of a question; the question words themselves when it has no
    other ("What is the plan?" asks about the plan).

    Args:
        question: the question.
        question_words: words that say what kind of answer is wanted.
        concepts: surface -> canonical name of the clinical concepts the question names
            (its entities): each one's words are replaced by its concept term, so "blood
            pressure" is found as "BP" and the words alone do not count twice.
    """
    words = terms(question)
    content = words - {stem(w) for w in question_words}
    for surface, canonical in (concepts or {}).items():
        content = (content - terms(surface)) | concept_terms([canonical])
    return content or words


def body(text: str) -> str:
    """A sentence without its leading labels ("A/P: 1. HFrEF - ..." -> "HFrEF - ...")."""
    prev = None
    while prev != text:
        prev = text
        m = _LEAD_LABEL.match(text)
        if m:
            text = text[m.end():]
    return text


def is_label_only(text: str) -> bool:
    """A header or list label stating nothing: "Home meds (pt's list):", "A/P:",
    "PAST MEDICAL HISTORY", "------". Shapes, not a list of headers: a label is a few words
    ending in a colon, a header an upper-case line of words without a sentence's end."""
    stripped = text.strip()
    if not _LETTERS.search(stripped):
        return True
    if not terms(body(stripped)):
        return True
    words = stripped.rstrip(":").split()
    return (not _HAS_LOWER.search(stripped) and len(words) >= 2
            and not any(c.isdigit() for c in stripped) and stripped[-1] not in ".!?")


def matches(term: str, found: set[str]) -> bool:
    """The term is in ``found``, or shares a long head with a word there: a question's
    "recommend" finds "Recommendations:", "diuresis" finds "diuresed"."""
    if term in found:
        return True
    if len(term) < PREFIX_MIN:
        return False
    return any(len(f) >= PREFIX_MIN and (f.startswith(term) or term.startswith(f))
               for f in found)


CONCEPT_MARK = "@"


def concept_terms(canonicals: Iterable[str]) -> set[str]:
    """Terms naming clinical concepts (an entity's canonical name): "Cr 1.3" and "the
    creatinine", "lasix" and "furosemide", "BP" and "blood pressure" share one, though
    they share no word. Marked so they never equal a word term."""
    return {CONCEPT_MARK + c.lower() for c in canonicals if c}


class TermWeights:
    """How rare each term is among the patient's note sentences (inverse document
    frequency): a term on every line says little, a term the notes never use weighs most.

    Args:
        sentences: the texts of the patient's note sentences.
        concepts: per sentence (same order), its :func:`concept_terms`.
    """

    def __init__(self, sentences: Iterable[str],
                 concepts: Iterable[set[str]] | None = None) -> None:
        self.sentences = [terms(text) for text in sentences]
        if concepts is not None:
            self.sentences = [found | extra for found, extra
                              in zip(self.sentences, concepts, strict=True)]
        self._weights: dict[str, float] = {}

    def weight(self, term: str) -> float:
        if term not in self._weights:
            df = sum(1 for found in self.sentences if matches(term, found))
            self._weights[term] = math.log((len(self.sentences) + 1) / (df + 0.5))
        return self._weights[term]

    def relevance(self, wanted: set[str], text: str, *, context: str = "",
                  concepts: set[str] = frozenset()) -> float:
        """Weighted share of ``wanted`` terms found in the sentence, its label included
        (0..1).

        Args:
            wanted: the question's content terms.
            text: the sentence.
            context: words naming the sentence's place (its section, its note's title).
            concepts: the sentence's :func:`concept_terms`.
        """
        if not wanted:
            return 0.0
        found = terms(text) | terms(context) | concepts
        total = sum(self.weight(t) for t in wanted)
        hit = sum(self.weight(t) for t in wanted if matches(t, found))
        return hit / total if total else 0.0
