"""Lexical scoring (BM25, via bm25s) over one patient's chunks.

Drug names, doses and abbreviations ("metoprolol 25 mg", "q6h", "HFrEF") are exact tokens a
general-domain embedding model blurs, so a lexical scorer runs beside the dense one. BM25 is
built per patient partition at query time (and cached by the retriever): adding or deleting
a note never rebuilds a corpus-wide lexical index, and term statistics come from the
patient's own record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np

# Words that carry no retrieval signal. Negations ("no", "not") are kept: they are part of
# clinical statements ("no DVT").
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "if", "in", "into", "is", "it",
    "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they",
    "this", "to", "was", "will", "with", "what", "which", "who", "does", "did", "do", "has",
    "have", "had", "patient", "pt",
})
# Words, numbers with decimals ("0.9", "4.1"), kept whole so doses match as tokens.
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def tokenize(text: str) -> list[str]:
    """Lower-cased word and number tokens without stopwords."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOPWORDS]


class LexicalScorer:
    """BM25 scores of a query against a fixed list of texts.

    Args:
        texts: the passages, in row order.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG at import, which would print on every query.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.size = len(texts)
        self._bm25 = None
        if self.size:
            self._bm25 = bm25s.BM25()
            self._bm25.index([tokenize(t) for t in texts], show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text (0 when no query term occurs), shape ``(size,)``."""
        if self._bm25 is None:
            return np.zeros(0, dtype=np.float32)
        tokens = tokenize(query)
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
