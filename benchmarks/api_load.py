"""Load benchmark of the HTTP service: starts ``clinagent serve`` on 127.0.0.1 with a fresh
data folder, ingests the demo corpus, then drives ``/v1/extract`` and ``/v1/chat`` from this
process (threads, one httpx client each) at several concurrencies for a bounded time and
prints requests/s and p50/p95/p99 latency. Any error fails the run (exit code 1).

    python benchmarks/api_load.py [--seconds 10] [--concurrency 1 4 16]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint and level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args()

    notes = [json.loads(line) for line in NOTES.read_text().splitlines() if line.strip()]
    cli = str(Path(sys.executable).with_name("clinagent"))
    folder = Path(tempfile.mkdtemp(prefix="clinagent-bench-"))
    env = {**os.environ, "CLINAGENT_API__DATA_DIR": str(folder / "data"),
           "CLINAGENT_API__RATE_LIMIT_PER_MINUTE": "1000000",
           "CLINAGENT_API__RATE_LIMIT_BURST": "100000"}
    key = json.loads(subprocess.run(
        [cli, "keys", "create", "--scope", "*", "--patient", "*", "--format", "json"],
        cwd=folder, env=env, capture_output=True, text=True, check=True).stdout)["key"]
    headers = {"Authorization": f"Bearer {key}"}
    port = _port()
    base = f"http://127.0.0.1:{port}"
    log = (folder / "serve.log").open("wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen([cli, "serve", "--port", str(port)], cwd=folder, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        while True:
            if proc.poll() is not None:
                print(f"serve exited with {proc.returncode}; see {folder / 'serve.log'}")
                return 1
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        print(f"startup (models loaded, store migrated): {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        for pid in sorted({n["patient_id"] for n in notes}):
            batch = [n for n in notes if n["patient_id"] == pid]
            r = httpx.post(base + "/v1/notes", json={"notes": batch}, headers=headers,
                           timeout=600)
            r.raise_for_status()
        print(f"ingest + index {len(notes)} notes: {time.perf_counter() - t0:.1f} s")
        patients = sorted({n["patient_id"] for n in notes})
        t0 = time.perf_counter()
        for pid in patients:  # first question per patient extracts and caches its notes
            httpx.post(base + "/v1/chat", json={"patient_id": pid, "question": "dose"},
                       headers=headers, timeout=600).raise_for_status()
        print(f"warm-up chat (extract + cache all notes): {time.perf_counter() - t0:.1f} s")

        texts = [n["text"] for n in notes]
        bodies = {
            "/v1/extract": lambda rng: {"text": rng.choice(texts)},
            "/v1/chat": lambda rng: {"patient_id": rng.choice(patients),
                                     "question": rng.choice(QUESTIONS)},
        }
        rows = []
        print(f"\n{'endpoint':<14}{'conc':>5}{'requests':>10}{'errors':>8}{'req/s':>9}"
              f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
        for path, make_body in bodies.items():
            for c in args.concurrency:
                res = run_load(base + path, headers, make_body, c, args.seconds)
                rows.append({"endpoint": path, "concurrency": c, **res})
                print(f"{path:<14}{c:>5}{res['requests']:>10}{res['errors']:>8}"
                      f"{res['rps']:>9.1f}{res['p50']:>9.0f}{res['p95']:>9.0f}"
                      f"{res['p99']:>9.0f}", flush=True)
        health = httpx.get(base + "/healthz", timeout=5).status_code
        print(f"\n/healthz after the run: {health}; cores: {os.cpu_count()}; "
              f"{args.seconds:g} s per row")
        if args.out:
            args.out.write_text(json.dumps(rows, indent=1))
        return 1 if any(r["errors"] for r in rows) else 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
