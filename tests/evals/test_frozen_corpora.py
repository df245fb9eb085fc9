"""The frozen test corpora and the dev corpora are built from their sources and their
gold offsets hold (their content is never read here: only that they are consistent)."""

from __future__ import annotations

import json

import pytest

from agent.schemas.handoff_gold import GoldHandoff
from evals import frozen, synthetic


@pytest.mark.parametrize("name", ["multinote_a", "multinote_b", "deid", "extract_c",
                                  "dev/multinote_dev", "dev/multinote_dev2",
                                  "dev/multinote_dev3", "dev/multinote_dev4",
                                  "dev/deid_dev", "dev/deid_dev2",
                                  "dev/deid_dev3"])
def test_corpus_files_match_their_sources_and_offsets(name):
    folder = frozen.corpus_dir(name)
    corpus = synthetic.build_corpus(synthetic.read_sources(folder / "source"), str(folder))
    rendered = synthetic.render(corpus)
    for file_name, content in rendered.items():
        assert (folder / file_name).read_text(encoding="utf-8") == content, file_name
    assert synthetic.offset_errors(rendered) == []


@pytest.mark.parametrize("name", ["multinote_a", "multinote_b", "dev/multinote_dev",
                                  "dev/multinote_dev2"])
def test_gold_files_validate_and_name_known_notes(name):
    notes = {n.note_id for n in synthetic.load_notes(str(frozen.corpus_dir(name)))}
    for gold in frozen.load_gold(name):
        GoldHandoff.model_validate({k: gold[k] for k in ("patient_id", "facts", "traps")})
        assert gold["statements"] and all(isinstance(s["is_error"], bool)
                                          for s in gold["statements"])
        assert {f["note_id"] for f in gold["facts"]} <= notes, json.dumps(gold["patient_id"])
