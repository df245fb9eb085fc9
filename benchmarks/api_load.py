"""Load benchmark of the HTTP service at 1 and 2 worker processes in the same run: for each
worker count, starts ``clinagent serve --workers N`` on 127.0.0.1 with a fresh data folder,
ingests the demo corpus, warms every worker up, then drives ``/v1/extract`` and
``/v1/chat`` from this process (threads, one httpx client each) at several concurrencies
for a bounded time and prints requests/s and p50/p95/p99 latency. Any error fails the run
(exit code 1).

    python benchmarks/api_load.py [--seconds 10] [--concurrency 1 4 16] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

NOTES = Path("evals/data/synthetic/notes.jsonl")
QUESTIONS = ["What is the current anticoagulant and dose?", "Why was the patient admitted?",
             "Any drug allergies?", "What happened to the diuretic dose?",
             "What results are pending at discharge?", "Is the patient on metoprolol?"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run_load(url: str, headers: dict, make_body, concurrency: int, seconds: float) -> dict:
    """Requests from ``concurrency`` threads for ``seconds``; latencies and errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(timeout=300, headers=headers) as client:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                try:
                    r = client.post(url, json=make_body(rng))
                    ok = r.status_code == 200
                    detail = f"HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    ok, detail = False, type(e).__name__
                dt = time.perf_counter() - t0
                with lock:
                    (latencies.append(dt) if ok else errors.append(detail))

    t_start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t_start
    return {"requests": len(latencies), "errors": len(errors), "error_kinds": sorted(set(errors)),
            "rps": len(latencies) / wall if wall else 0.0,
            "p50": _percentile(latencies, 50) * 1000 if latencies else 0.0,
            "p95": _percentile(latencies, 95) * 1000 if latencies else 0.0,
            "p99": _percentile(latencies, 99) * 1000 if latencies else 0.0}


@contextmanager
def serve(cli: str, folder: Path, env: dict, workers: int) -> Iterator[str]:
    """``clinagent serve --workers N`` on a free port until the block ends; yields its URL."""
    port = _port()
    base = f"http://127.0.0.1:{port}"
    log = (folder / f"serve-{workers}.log").open("wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen([cli, "-v", "serve", "--port", str(port), "--workers",
                             str(workers)], cwd=folder, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # Every worker must be up, not just the first to answer.
        path = folder / f"serve-{workers}.log"
        while path.read_text(errors="replace").count("Application startup complete") < workers:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.returncode}; see {path}")
            time.sleep(0.5)
        print(f"startup of {workers} worker(s) (models loaded, store migrated): "
              f"{time.perf_counter() - t0:.1f} s")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def bench(base: str, headers: dict, notes: list[dict], args, workers: int) -> list[dict]:
    """Ingest the demo corpus, warm every worker up, then one row per endpoint and level."""
    t0 = time.perf_counter()
    patients = sorted({n["patient_id"] for n in notes})
    for pid in patients:
        batch = [n for n in notes if n["patient_id"] == pid]
        httpx.post(base + "/v1/notes", json={"notes": batch}, headers=headers,
                   timeout=600).raise_for_status()
    print(f"ingest + index {len(notes)} notes: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    for pid in patients:  # first question per patient extracts and caches its notes
        httpx.post(base + "/v1/chat", json={"patient_id": pid, "question": "dose"},
                   headers=headers, timeout=600).raise_for_status()
    texts = [n["text"] for n in notes]
    bodies = {
        "/v1/extract": lambda rng: {"text": rng.choice(texts)},
        "/v1/chat": lambda rng: {"patient_id": rng.choice(patients),
                                 "question": rng.choice(QUESTIONS)},
    }
    # Each worker's first requests pay one-time costs (ICD tables ~5 s, per-patient search
    # structures): not measured. Many connections for long enough reach every worker.
    for path, make_body in bodies.items():
        run_load(base + path, headers, make_body, 4 * workers, 8.0 * workers)
    print(f"warm-up (extract + cache all notes, every worker): "
          f"{time.perf_counter() - t0:.1f} s")
    rows = []
    for path, make_body in bodies.items():
        for c in args.concurrency:
            res = run_load(base + path, headers, make_body, c, args.seconds)
            rows.append({"workers": workers, "endpoint": path, "concurrency": c, **res})
            print(_row(rows[-1]), flush=True)
    health = httpx.get(base + "/healthz", timeout=5).status_code
    print(f"/healthz after the run: {health}")
    return rows


_HEADER = (f"{'workers':>7}  {'endpoint':<14}{'conc':>5}{'requests':>10}{'errors':>8}"
           f"{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")


def _row(r: dict) -> str:
    return (f"{r['workers']:>7}  {r['endpoint']:<14}{r['concurrency']:>5}{r['requests']:>10}"
            f"{r['errors']:>8}{r['rps']:>9.1f}{r['p50']:>9.0f}{r['p95']:>9.0f}"
            f"{r['p99']:>9.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint and level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="worker counts of clinagent serve, each on a fresh store")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args()

    notes = [json.loads(line) for line in NOTES.read_text().splitlines() if line.strip()]
    cli = str(Path(sys.executable).with_name("clinagent"))
    rows: list[dict] = []
    for workers in args.workers:
        folder = Path(tempfile.mkdtemp(prefix=f"clinagent-bench-{workers}w-"))
        env = {**os.environ, "CLINAGENT_API__DATA_DIR": str(folder / "data"),
               "CLINAGENT_API__RATE_LIMIT_PER_MINUTE": "1000000",
               "CLINAGENT_API__RATE_LIMIT_BURST": "100000"}
        key = json.loads(subprocess.run(
            [cli, "keys", "create", "--scope", "*", "--patient", "*", "--format", "json"],
            cwd=folder, env=env, capture_output=True, text=True, check=True).stdout)["key"]
        print(f"\n== {workers} worker(s), data in {folder}")
        print(_HEADER)
        with serve(cli, folder, env, workers) as base:
            rows += bench(base, {"Authorization": f"Bearer {key}"}, notes, args, workers)
    print(f"\nall rows ({os.cpu_count()} cores, {args.seconds:g} s per row):\n{_HEADER}")
    for r in rows:
        print(_row(r))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
