"""Throughput and memory of ``clinagent extract`` on the demo corpus repeated to >= N notes.

    python benchmarks/extract_throughput.py [--notes 1000] [--workers 1 2]

Runs the same code path as the CLI (``agent.extract.batch.extract_notes``) and prints a table:
extractor load time, notes/s, characters/s, entities/s and peak RSS per configuration.
Not a test: numbers depend on the machine; the target is >= 50 notes/s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _one(notes_path: Path, workers: int) -> dict:
    """Run in a fresh interpreter so peak RSS and load time are this configuration's own."""
    code = f"""
import json, resource, time
t0 = time.perf_counter()
from agent.config import Settings
from agent.extract.batch import extract_notes, make_extractor
settings = Settings()
if {workers} == 1:
    make_extractor(settings)
load = time.perf_counter() - t0
t1 = time.perf_counter()
n = ents = 0
for rec in extract_notes({str(notes_path)!r}, settings, workers={workers}):
    n += 1
    ents += len(rec.entities)
el = time.perf_counter() - t1
self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kids_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(dict(notes=n, entities=ents, load=load, elapsed=el, self_mb=self_mb,
                      worker_mb=kids_mb)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    from evals.synthetic import load_notes

    base = load_notes()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "notes.jsonl"
        chars = 0
        with path.open("w", encoding="utf-8") as fh:
            for i in range(max(args.notes, len(base))):
                n = base[i % len(base)]
                rec = n.model_dump(exclude={"extra"})
                rec["note_id"] = f"{n.note_id}-{i}"
                chars += len(n.text)
                fh.write(json.dumps(rec) + "\n")
        rows = []
        for w in args.workers:
            t = time.perf_counter()
            r = _one(path, w)
            r["wall"] = time.perf_counter() - t
            rows.append((w, r))

    total = max(args.notes, len(base))
    print(f"extract throughput: {total} notes (demo corpus repeated), "
          f"avg {chars / total:.0f} chars/note")
    header = ("workers", "load s", "extract s", "notes/s", "chars/s", "entities/s",
              "peak RSS MB (main / per worker)")
    print("  ".join(f"{h:>10}" for h in header[:-1]) + "  " + header[-1])
    for w, r in rows:
        rss = f"{r['self_mb']:.0f}" + (f" / {r['worker_mb']:.0f}" if w > 1 else "")
        print("  ".join(f"{v:>10}" for v in (
            w, f"{r['load']:.1f}", f"{r['elapsed']:.1f}", f"{r['notes'] / r['elapsed']:.1f}",
            f"{chars / r['elapsed']:,.0f}", f"{r['entities'] / r['elapsed']:,.0f}")) + "  " + rss)


if __name__ == "__main__":
    main()
