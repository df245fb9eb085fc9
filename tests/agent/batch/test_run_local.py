"""``run_batch`` on the local engine: de-identification per patient across files, failures,
resume and re-run, the merged index against ``clinagent index``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agent.batch.run import BatchOptions, run_batch
from agent.batch.sinks import read_results
from agent.batch.stages import ExtractStage
from agent.config import Settings
from agent.errors import InputError
from agent.extract.batch import deid_notes

SECRET = "batch-test-secret-0123456789abcdef"


def _failures(out) -> list[dict]:
    return [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]


def test_when_patient_split_across_files_then_one_date_shift_and_same_surrogates(
        tmp_path, demo_records, write_jsonl):
    rows = demo_records(11)  # P001 (6 notes) and P002 (5)
    p001 = [r for r in rows if r["patient_id"] == "P001"]
    others = [r for r in rows if r["patient_id"] != "P001"]
    inp = tmp_path / "in"
    inp.mkdir()
    write_jsonl(inp / "a.jsonl", p001[:3] + others[:2])
    write_jsonl(inp / "b.jsonl", others[2:] + p001[3:])
    settings = Settings(deid={"secret": SECRET, "mode": "surrogate"})
    out = tmp_path / "out"
    report = run_batch(BatchOptions(notes=inp, out_dir=out, stages=["deid"], fmt="jsonl",
                                    shard_notes=4), settings)
    assert report.results == 11 and report.failed == 0
    # The reference: the whole patient de-identified together from one file.
    whole = write_jsonl(tmp_path / "whole.jsonl", rows)
    expected = {r.note_id: r for r, _ in deid_notes(whole, settings)}
    got = {r["note_id"]: r for r in read_results(out)}
    assert {k: v["deid_text"] for k, v in got.items()} == \
        {k: v.text for k, v in expected.items()}
    # One surrogate per identifier across the files: the same value hash, the same
    # replacement (written in the original's case), in every note of the patient.
    audits = [json.loads(line) for f in sorted((out / "audit").glob("*.jsonl"))
              for line in f.read_text().splitlines()]
    seen: dict[tuple, str] = {}
    for audit in audits:
        for e in audit["entries"]:
            key = (audit["patient_key"], e["type"], e["value_hash"])
            assert seen.setdefault(key, e["replacement"].lower()) == e["replacement"].lower()
    assert sum(a["is_date_shifted"] for a in audits) >= 6
    assert all(r["text"][:40] not in (out / "audit").joinpath(f.name).read_text()
               for r in rows for f in (out / "audit").glob("*.jsonl"))


def test_when_notes_fail_then_failures_listed_without_text_and_run_continues(
        tmp_path, demo_records, write_jsonl, monkeypatch):
    rows = demo_records(5)
    path = write_jsonl(tmp_path / "notes.jsonl", rows)
    with path.open("ab") as fh:
        fh.write(b'{"patient_id": "P001", "note_id": "bad", "text": "caf\xe9"}\n')
        fh.write(json.dumps({"patient_id": "P001", "note_id": "long",
                             "text": "x " * 30_000}).encode() + b"\n")
    bad_id = rows[1]["note_id"]
    real_init = ExtractStage.__init__

    def init(self, settings):
        real_init(self, settings)
        inner = self.extractor

        class Flaky:
            # One note's extractor raises, quoting the note: the others go on.
            provenance = inner.provenance
            pipeline = inner.pipeline

            def extract_note(self, note):
                if note.note_id == bad_id:
                    raise ValueError(note.text[:50])
                return inner.extract_note(note)

        self.extractor = Flaky()

    monkeypatch.setattr(ExtractStage, "__init__", init)
    out = tmp_path / "out"
    report = run_batch(BatchOptions(notes=path, out_dir=out, stages=["extract"],
                                    fmt="jsonl", max_chars=50_000), Settings())
    assert report.results == 4 and report.failed == 1 and report.read_failures == 2
    failures = _failures(out)
    assert {(f["note_id"], f["stage"]) for f in failures} == {
        (rows[1]["note_id"], "extract"), (None, "read")}
    assert {f["line"] for f in failures if f["stage"] == "read"} == {6, 7}
    text = (out / "failures.jsonl").read_text()
    assert all(r["text"][:30] not in text for r in rows) and "x x x" not in text
    assert "withheld" in text
    # The same command again: everything is done, failures included.
    again = run_batch(BatchOptions(notes=path, out_dir=out, stages=["extract"],
                                   fmt="jsonl", max_chars=50_000), Settings())
    assert again.is_noop and again.already_done == 5
    assert len(_failures(out)) == 3


def test_when_run_interrupted_then_rerun_writes_each_note_once(
        tmp_path, demo_records, write_jsonl):
    path = write_jsonl(tmp_path / "notes.jsonl", demo_records(11))
    out = tmp_path / "out"
    first = run_batch(BatchOptions(notes=write_jsonl(tmp_path / "part.jsonl",
                                                     demo_records(6)),
                                   out_dir=out, stages=["extract"], shard_notes=2),
                      Settings())
    assert first.results == 6
    # A shard written but never committed (killed before its marker).
    stray = out / "results" / ".part-00009.parquet.tmp"
    stray.write_bytes(b"partial")
    report = run_batch(BatchOptions(notes=path, out_dir=out, stages=["extract"],
                                    shard_notes=2), Settings())
    assert report.already_done == 6 and report.results == 5 and report.rolled_back == 1
    ids = [r["note_id"] for r in read_results(out)]
    assert sorted(ids) == sorted(r["note_id"] for r in demo_records(11))
    assert len(ids) == len(set(ids))
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.heavy
def test_when_index_stage_runs_then_index_matches_clinagent_index(
        tmp_path, demo_records, write_jsonl, embedder):
    from agent.indexing import index_notes
    from retrieval.index import VectorIndex

    path = write_jsonl(tmp_path / "notes.jsonl", demo_records(7))
    out = tmp_path / "out"
    run_batch(BatchOptions(notes=path, out_dir=out, stages=["index"], shard_notes=3),
              Settings())
    settings = Settings()
    index_notes(path, tmp_path / "ref", settings, embedder=embedder)
    kwargs = {"embedder_id": embedder.model_id, "dimension": embedder.dimension,
              "chunker_version": json.loads((tmp_path / "ref" / "manifest.json")
                                            .read_text())["chunker_version"]}
    got, ref = VectorIndex.open(out / "index", **kwargs), VectorIndex.open(tmp_path / "ref",
                                                                          **kwargs)
    assert got.manifest.notes == ref.manifest.notes
    rows = got.manifest.chunk_count
    assert rows == ref.manifest.chunk_count > 7
    assert [got.chunk(r) for r in range(rows)] == [ref.chunk(r) for r in range(rows)]
    # Embedded in other batches (padding differs): equal to float rounding.
    np.testing.assert_allclose(got.vectors(), ref.vectors(), atol=1e-5)


def test_when_stage_is_unknown_then_input_error(tmp_path, demo20):
    with pytest.raises(InputError, match="unknown or no stage"):
        run_batch(BatchOptions(notes=demo20, out_dir=tmp_path / "o", stages=["nlp"]),
                  Settings())


def test_when_llm_server_is_down_then_notes_fail_with_reason_and_run_ends(
        tmp_path, demo_records, write_jsonl, unused_port):
    path = write_jsonl(tmp_path / "notes.jsonl", demo_records(2))
    settings = Settings(llm={"backend": "openai_compat", "model": "m",
                             "base_url": f"http://127.0.0.1:{unused_port}/v1",
                             "http_retries": 0, "connect_timeout_s": 1})
    out = tmp_path / "out"
    report = run_batch(BatchOptions(notes=path, out_dir=out, stages=["llm"], fmt="jsonl"),
                       settings)
    assert report.results == 0 and report.failed == 2
    failures = _failures(out)
    assert {f["stage"] for f in failures} == {"llm"}
    assert all(f["reason"].startswith("BackendUnavailable") for f in failures)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["llm"]["failed_notes"] == 2 and manifest["models"]["llm_model"] == "m"


def test_when_input_is_empty_then_input_error_not_a_finished_run(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="holds no notes"):
        run_batch(BatchOptions(notes=empty, out_dir=tmp_path / "o", stages=["extract"]),
                  Settings())
