"""The frozen relation corpus loads and its gold spans match the notes (no score asserted:
the corpus is a held-out test, never tuned on)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from agent.errors import InputError
from evals.relations import frozen_dir, load_frozen


def test_frozen_corpus_and_gold_load_with_matching_spans():
    notes, gold = load_frozen()
    texts = {n.note_id: n.text for n in notes}
    assert len(texts) == len(notes) >= 30  # unique note ids
    raw = json.loads((frozen_dir() / "gold.json").read_text(encoding="utf-8"))
    # Re-check every span here too, independent of the loader's own check.
    for key in ("relations", "traps"):
        for item in raw[key]:
            for arg in ("head", "tail"):
                span = item[arg]
                assert texts[item["note_id"]][span["start"]:span["end"]] == span["text"]
    assert sum(map(len, gold.relations.values())) == len(raw["relations"])
    assert sum(map(len, gold.traps.values())) == len(raw["traps"]) > 0
    kinds = Counter((p.type, p.assertion) for ps in gold.relations.values() for p in ps)
    for want in (("CAUSES", "present"), ("CAUSES", "negated"), ("CAUSES", "speculated"),
                 ("TREATS", "present"), ("LOCATED_AT", "present")):
        assert kinds[want] > 0, want


def test_frozen_gold_with_a_shifted_offset_is_rejected(tmp_path):
    folder = frozen_dir()
    (tmp_path / "notes.jsonl").write_text(
        (folder / "notes.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    raw = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    raw["relations"][0]["head"]["start"] += 1
    (tmp_path / "gold.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(InputError, match="offsets do not match"):
        load_frozen(tmp_path)


def test_missing_frozen_corpus_says_what_to_restore(tmp_path):
    with pytest.raises(InputError, match="frozen relation corpus"):
        load_frozen(tmp_path)
