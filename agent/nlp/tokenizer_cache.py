"""Filling spaCy's tokenizer cache so that it is used.

Both spaCy pipelines (extraction's blank English tokenizer and de-identification's NER
model) tokenize every note through :class:`TokenizerCachePrimer`.
"""

from __future__ import annotations

import threading


class TokenizerCachePrimer:
    """Fills spaCy's tokenizer cache with the whitespace-separated chunks of a text first.

    spaCy 3.7's tokenizer caches each chunk's tokens, but its ``has_special`` flag is set
    for the rest of the text once any chunk hits a special case ("Dr.", "don't"), and a
    flagged chunk is never cached: in clinical notes ~75% of chunks missed the cache on
    every note, and tokenizing was ~2 ms per note instead of ~0.2. Tokenizing a chunk on
    its own (a call of its own starts with the flag clear) stores exactly the entry the
    tokenizer would have stored for it had the flag been clear: a chunk's tokens never
    depend on the flag or on its neighbours, so the doc is the same token for token
    (tests/agent/nlp/test_pipeline_speed.py compares). Chunks holding a special case are
    not cached either way; spaCy also stops caching new words once its vocabulary holds
    10,000 lexemes, and this primer remembers at most ``max_chunks`` chunks, so memory
    stays bounded.
    """

    def __init__(self, tokenizer, max_chunks: int = 200_000) -> None:
        self._tokenizer = tokenizer
        self._seen: set[str] = set()
        self._max = max_chunks
        self._lock = threading.Lock()  # the API may share one extractor between threads

    def prime(self, text: str) -> None:
        if len(self._seen) >= self._max:
            return
        # str.split() cuts at the same characters (str.isspace) as the tokenizer's loop.
        new = set(text.split()).difference(self._seen)
        if not new:
            return
        with self._lock:
            for chunk in new:
                self._tokenizer(chunk)
            self._seen.update(new)
