"""``manifest.json`` of a batch output folder: what was read, with what, and what came out.

Rebuilt from the ledger markers at the end of every run (so it always describes every
committed shard, including those of earlier, interrupted runs), with the list of runs.
It holds ids, counts, hashes and timings, never note text or patient ids.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from agent.batch.ledger import write_atomic
from agent.version import package_version

MANIFEST = "manifest.json"
FORMAT = "clinagent-batch/1"


def read_manifest(out_dir: str | Path) -> dict | None:
    """The folder's manifest, None when it has none yet."""
    path = Path(out_dir) / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def build_manifest(*, out_dir: Path, markers: list[dict], input_info: dict,
                   stages: list[str], fmt: str, run: dict, notes_in_input: int,
                   rules_sha256: str, index: dict | None) -> dict:
    """The manifest of ``out_dir`` after a run.

    Args:
        out_dir: the output folder (its previous manifest's runs are kept).
        markers: every committed ledger marker.
        input_info: ``path``, ``files`` and ``fingerprint`` of the input.
        stages: the stages run.
        fmt: results format.
        run: this run's record (engine, workers, seconds, notes, rate).
        notes_in_input: readable notes in the input.
        rules_sha256: the rule files' hashes.
        index: the merged index's counts (index stage), else None.
    """
    previous = read_manifest(out_dir) or {}
    counts = {"notes_in_input": notes_in_input, "results": 0, "failed_notes": 0,
              "read_failures": 0, "failures": 0, "chunks": 0, "shards": len(markers)}
    seconds: dict[str, float] = {}
    models: dict[str, str] = {}
    llm: dict[str, float] = {}
    for m in markers:
        for k in ("results", "failed_notes", "read_failures", "failures", "chunks"):
            counts[k] += m["counts"].get(k, 0)
        for stage, s in m["seconds"].items():
            seconds[stage] = round(seconds.get(stage, 0.0) + s, 3)
        models.update(m["models"])
        for k, v in m.get("llm", {}).items():
            llm[k] = llm.get(k, 0) + v
    if llm:
        llm_seconds = seconds.get("llm", 0.0)
        llm["seconds"] = round(llm_seconds, 3)
        # Per process: the stage's own time, summed over workers.
        llm["notes_per_s_per_worker"] = round(llm.get("notes", 0) / llm_seconds, 3) \
            if llm_seconds else 0.0
    done = counts["results"] + counts["failed_notes"]
    return {
        "format": FORMAT,
        "status": "complete" if done >= notes_in_input else "partial",
        "updated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "package_version": package_version(),
        "input": input_info,
        "stages": stages,
        "output_format": fmt,
        "rules_sha256": models.get("rules_sha256") or rules_sha256,
        "models": {k: v for k, v in models.items() if k != "rules_sha256"},
        "counts": counts,
        "timings": {"stage_seconds": seconds,
                    "stage_notes_per_s": {s: round(done / v, 3) for s, v in seconds.items()
                                          if v}},
        "llm": llm or None,
        "index": index,
        "runs": previous.get("runs", []) + [run],
    }


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    """Write the manifest atomically; returns its path."""
    path = out_dir / MANIFEST
    write_atomic(path, json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
    return path
