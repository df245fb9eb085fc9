"""Scale benchmark of ``clinagent batch``: the demo notes repeated to a corpus, run through
the same stages with the local engine (1 and 2 worker processes) and the Ray engine (1 and 2
actors on a local Ray cluster), in the same run, then a projection to N machines from the
measured per-worker rate.

Each configuration writes into a fresh output folder. ``wall`` counts everything a user
waits for (model loading, Ray start-up, the index merge); ``per worker`` is the notes each
worker processes per second of its own stage time (no start-up), the figure that a cluster
multiplies. Ray's overhead is its wall time over the local engine's at the same worker
count. Every demo patient is copied under a new patient id per repeat, so patient groups
keep their demo size.

    python benchmarks/batch_scale.py [--notes 500] [--stages extract] [--workers 1 2]
        [--machines 1 4 16 64] [--cores-per-machine 16]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

from agent.batch.run import BatchOptions, run_batch
from agent.batch.sinks import read_results
from agent.config import Settings

NOTES = Path("evals/data/synthetic/notes.jsonl")
CORPORA = {"25 M": 25e6, "84 M": 84e6, "2 B": 2e9}


def make_corpus(path: Path, n: int) -> None:
    """The demo notes repeated to ``n`` notes with fresh note and patient ids."""
    rows = [json.loads(line) for line in NOTES.read_text(encoding="utf-8").splitlines()]
    out = []
    k = 0
    while len(out) < n:
        for r in rows:
            if len(out) == n:
                break
            out.append({**r, "note_id": f"{r['note_id']}-r{k}",
                        "patient_id": f"{r['patient_id']}-r{k}"})
        k += 1
    path.write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")


def fingerprint(out: Path) -> str:
    """sha256 over every note's results (de-identified text, PHI spans, entities), by note
    id: two runs with the same fingerprint wrote the same results."""
    digest = hashlib.sha256()
    for row in sorted(read_results(out), key=lambda r: r["note_id"]):
        entities = (row.get("extraction") or {}).get("entities", [])
        digest.update(json.dumps([row["note_id"], row.get("deid_text"), row.get("phi"),
                                  entities], sort_keys=True).encode())
    return digest.hexdigest()


def run(corpus: Path, root: Path, engine: str, workers: int, stages: list[str]) -> dict:
    out = root / f"{engine}-{workers}"
    t0 = time.perf_counter()
    report = run_batch(BatchOptions(notes=corpus, out_dir=out, stages=stages, engine=engine,
                                    workers=workers, shard_notes=250, units_per_task=2),
                       Settings())
    wall = time.perf_counter() - t0
    seconds = report.manifest["timings"]["stage_seconds"]
    busy = sum(seconds.values())
    return {"engine": engine, "workers": workers, "notes": report.results, "wall": wall,
            "rate": report.results / wall, "per_worker": report.results / busy if busy else 0,
            "fingerprint": fingerprint(out)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notes", type=int, default=500)
    ap.add_argument("--stages", default="extract")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--machines", type=int, nargs="+", default=[1, 4, 16, 64])
    ap.add_argument("--cores-per-machine", type=int, default=16)
    args = ap.parse_args()
    stages = args.stages.split(",")
    import ray

    with tempfile.TemporaryDirectory(prefix="batch-scale-") as tmp:
        root = Path(tmp)
        corpus = root / "corpus.jsonl"
        make_corpus(corpus, args.notes)
        results = [run(corpus, root, "local", w, stages) for w in args.workers]
        t0 = time.perf_counter()
        ray.init(num_cpus=max(args.workers), include_dashboard=False, log_to_driver=False)
        ray_start = time.perf_counter() - t0
        results += [run(corpus, root, "ray", w, stages) for w in args.workers]
        ray.shutdown()
    print(f"# clinagent batch: {args.notes} notes, stages {args.stages}, "
          f"Ray local cluster start {ray_start:.1f} s (not in the Ray rows)\n")
    print("| engine | workers | notes | wall s | notes/s (wall) | notes/s per worker |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['engine']} | {r['workers']} | {r['notes']} | {r['wall']:.1f} | "
              f"{r['rate']:.2f} | {r['per_worker']:.2f} |")
    local = {r["workers"]: r for r in results if r["engine"] == "local"}
    on_ray = {r["workers"]: r for r in results if r["engine"] == "ray"}
    same = len({r["fingerprint"] for r in results}) == 1
    print(f"\nSame results in every run (note ids, de-identified text, PHI spans, entities): "
          f"{'yes' if same else 'NO'} ({results[0]['fingerprint'][:12]})")
    print("\n| workers | Ray overhead (wall s over local) |")
    print("|---:|---:|")
    for w in args.workers:
        print(f"| {w} | {on_ray[w]['wall'] - local[w]['wall']:+.1f} |")
    top = max(args.workers)
    per_worker = on_ray[top]["per_worker"]
    # Scaling efficiency measured here (top workers vs 1) applied to every machine's cores.
    eff = min(1.0, on_ray[top]["rate"] / (top * on_ray[min(args.workers)]["rate"])) \
        if top > min(args.workers) else 1.0
    print(f"\nProjection from {per_worker:.2f} notes/s per worker (Ray, {top} actors), "
          f"{args.cores_per_machine} workers per machine, scaling efficiency {eff:.2f} "
          "(measured here):\n")
    print("| machines | notes/s | notes/day | " + " | ".join(f"days for {k}" for k in CORPORA)
          + " |")
    print("|---:|---:|---:|" + "---:|" * len(CORPORA))
    for m in args.machines:
        rate = per_worker * args.cores_per_machine * m * eff
        days = [n / rate / 86400 for n in CORPORA.values()]
        print(f"| {m} | {rate:,.0f} | {rate * 86400:,.0f} | "
              + " | ".join(f"{d:,.1f}" for d in days) + " |")


if __name__ == "__main__":
    main()
