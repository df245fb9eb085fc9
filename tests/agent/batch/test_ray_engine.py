"""The Ray engine (local Ray cluster on 2 CPUs): the same results as the local engine, and
a driver killed with SIGKILL mid-run resumed to every note exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from agent.batch.run import BatchOptions, run_batch
from agent.batch.sinks import read_results
from agent.config import Settings

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_address():
    """One local Ray cluster for the module; its GCS address for subprocess drivers."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def _by_note(out) -> dict[str, dict]:
    return {r["note_id"]: r for r in read_results(out)}


def _entities(row: dict) -> set[tuple]:
    return {(e["type"], e["start"], e["end"], e["text"], e["assertion"])
            for e in row["extraction"]["entities"]}


def test_when_same_notes_through_local_and_ray_then_identical_results(
        tmp_path, demo20, ray_address):
    stages = ["deid", "extract", "index"]
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    run_batch(BatchOptions(notes=demo20, out_dir=local, stages=stages, shard_notes=8),
              Settings())
    report = run_batch(BatchOptions(notes=demo20, out_dir=on_ray, stages=stages,
                                    engine="ray", workers=2, shard_notes=8,
                                    units_per_task=1), Settings())
    assert report.results == 20
    a, b = _by_note(local), _by_note(on_ray)
    assert a.keys() == b.keys() and len(a) == 20
    for nid in a:
        assert a[nid]["deid_text"] == b[nid]["deid_text"]
        assert a[nid]["phi"] == b[nid]["phi"]
        assert _entities(a[nid]) == _entities(b[nid]) and _entities(a[nid])
    chunks = [(local / "index" / "chunks.jsonl").read_text(),
              (on_ray / "index" / "chunks.jsonl").read_text()]
    assert chunks[0] == chunks[1]
    from retrieval.index import VectorIndex, read_manifest

    m = read_manifest(local / "index")
    kw = {"embedder_id": m.embedder_id, "dimension": m.dimension,
          "chunker_version": m.chunker_version}
    # Keep both indexes alive: vectors() is a view into the index's memory.
    ia, ib = VectorIndex.open(local / "index", **kw), VectorIndex.open(on_ray / "index", **kw)
    np.testing.assert_allclose(ia.vectors(), ib.vectors(), atol=1e-5)
    manifest = json.loads((on_ray / "manifest.json").read_text())
    assert manifest["runs"][-1]["engine"] == "ray" and manifest["status"] == "complete"


def test_when_driver_killed_mid_run_then_rerun_writes_every_note_once(
        tmp_path, demo20, ray_address):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "agent.batch", str(demo20), "-o", str(out),
           "--stages", "extract", "--engine", "ray", "--address", ray_address,
           "--workers", "2", "--shard-size", "2", "--units-per-task", "1",
           "--format", "jsonl"]
    env = {**os.environ, "CLINAGENT_PROGRESS": "0"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 400
    while not list((out / "ledger").glob("part-*.json")):
        assert proc.poll() is None, "the run ended before its first shard"
        assert time.monotonic() < deadline, "no shard within the time limit"
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = len(list((out / "ledger").glob("part-*.json")))
    assert committed < 10, "the run finished before it could be killed"
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    ids = [r["note_id"] for r in read_results(out)]
    assert len(ids) == len(set(ids)) == 20
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["counts"]["results"] == 20
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "nothing to do" in again.stderr
