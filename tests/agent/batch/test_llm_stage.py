"""The batch LLM stage against a real OpenAI-compatible server (llama_cpp.server with
SmolLM2-135M): tokens and timings reach the manifest, every LLM entity is grounded or
flagged. The 135M model's content is poor: this proves the path, not the quality."""

from __future__ import annotations

import json

import pytest

from agent.batch.run import BatchOptions, run_batch
from agent.batch.sinks import read_results
from agent.config import Settings

pytestmark = [pytest.mark.llm, pytest.mark.process]

SHORT_NOTE = {"patient_id": "B1", "note_id": "B1-01", "note_type": "progress",
              "date": "2026-03-14",
              "text": "70 yo M with atrial fibrillation on metoprolol 25 mg PO BID. "
                      "Denies chest pain."}


def test_llm_stage_with_a_real_server_records_tokens_and_grounds_entities(
        tmp_path, write_jsonl, llama_server):
    path = write_jsonl(tmp_path / "notes.jsonl", [SHORT_NOTE])
    settings = Settings(llm={"backend": "openai_compat", "model": "smollm2-135m",
                             "base_url": llama_server, "json_mode": "json_object",
                             "n_ctx": 1024, "max_tokens": 256, "max_retries": 1,
                             "http_retries": 0, "timeout_s": 120})
    out = tmp_path / "out"
    report = run_batch(BatchOptions(notes=path, out_dir=out, stages=["extract", "llm"],
                                    fmt="jsonl"), settings)
    assert report.failed == 0 and report.results == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["llm"]["prompt_tokens"] > 0 and manifest["llm"]["chunks"] >= 1
    assert manifest["models"]["llm_model"] == "smollm2-135m"
    (row,) = read_results(out)
    llm = row["llm"] if isinstance(row["llm"], dict) else json.loads(row["llm"])
    assert llm["note_id"] == "B1-01" and llm["llm"]["backend_used"] == "openai_compat"
    text = SHORT_NOTE["text"]
    # The rules' entities are merged in, so the list is never empty; each is grounded on
    # the note's own words or flagged ungrounded without offsets.
    assert llm["entities"]
    for ent in llm["entities"]:
        if ent["grounded"]:
            assert text[ent["start"]:ent["end"]] == ent["text"]
        else:
            assert ent["start"] is None and ent["end"] is None
