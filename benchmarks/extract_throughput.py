"""Throughput and memory of ``clinagent extract`` on the demo corpus repeated to >= N notes.

    python benchmarks/extract_throughput.py [--notes 1000] [--workers 1 2]
        [--baseline-src PATH] [--distinct]

Runs the same code path as the CLI (``agent.extract.batch.extract_notes``) and prints a table:
start-up time (the extractor and the vocabularies it loads on first use: a warm-up note),
notes/s, notes per CPU-second, characters/s, entities/s and peak RSS per configuration.
With ``--baseline-src`` (a ``git worktree`` of an earlier commit) each configuration also
runs on that source tree, in the same run, so the two versions meet the same machine load.
Not a test: numbers depend on the machine; the target is >= 50 notes/s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _one(notes_path: Path, workers: int, src: Path | None = None) -> dict:
    """Run in a fresh interpreter so peak RSS and load time are this configuration's own."""
    code = f"""
import json, resource, time
t0 = time.perf_counter()
from agent.config import Settings
from agent.extract.batch import extract_notes, make_extractor
settings = Settings()
if {workers} == 1:
    # Start-up: the extractor and what it loads on first use (the ICD-10-CM index, ~2 s, and
    # the ICD-10-PCS tables, ~1 s: the note names a problem and a procedure), so "extract s"
    # is the steady rate a long run sees.
    from agent.schemas.notes import Note
    make_extractor(settings).extract_note(Note(patient_id="p", note_id="warm-up",
                                               text="Hypertension on lisinopril 10 mg daily. "
                                                    "S/p laparoscopic cholecystectomy."))
load = time.perf_counter() - t0
t1 = time.perf_counter()
c1 = time.process_time()
n = ents = 0
for rec in extract_notes({str(notes_path)!r}, settings, workers={workers}):
    n += 1
    ents += len(rec.entities)
el = time.perf_counter() - t1
cpu = time.process_time() - c1
self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kids_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(dict(notes=n, entities=ents, load=load, elapsed=el, cpu=cpu, self_mb=self_mb,
                      worker_mb=kids_mb)))
"""
    env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else None
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env, cwd=src)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="source tree of the version to compare with (a git worktree)")
    parser.add_argument("--distinct", action="store_true",
                        help="the demo notes and every dev corpus note once each (no "
                             "repeats: vocabulary and code caches stay cold); --notes is "
                             "then ignored")
    args = parser.parse_args()
    if args.baseline_src is not None and not (args.baseline_src / "agent").is_dir():
        parser.error(f"--baseline-src {args.baseline_src}: no source tree there (no agent/ "
                     "folder); make one with: git worktree add PATH <commit>")
    versions: list[tuple[str, Path | None]] = [("this checkout",
                                                Path(__file__).resolve().parents[1])]
    if args.baseline_src is not None:
        versions = [("baseline", args.baseline_src.resolve()), *versions]

    from evals.synthetic import load_notes

    base = [n.model_dump(exclude={"extra"}) for n in load_notes()]
    if args.distinct:
        dev = Path(__file__).resolve().parents[1] / "evals" / "data" / "dev"
        for f in sorted(dev.glob("*/notes.jsonl")):
            base += [json.loads(line) for line in f.open(encoding="utf-8") if line.strip()]
    total = len(base) if args.distinct else max(args.notes, len(base))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "notes.jsonl"
        chars = 0
        with path.open("w", encoding="utf-8") as fh:
            for i in range(total):
                rec = dict(base[i % len(base)])
                rec["note_id"] = f"{rec['note_id']}-{i}"
                chars += len(rec["text"])
                fh.write(json.dumps(rec) + "\n")
        rows = []
        for w in args.workers:
            for label, src in versions:
                t = time.perf_counter()
                r = _one(path, w, src)
                r["wall"] = time.perf_counter() - t
                rows.append((label, w, r))

    what = "demo and dev notes, each once" if args.distinct else "demo corpus repeated"
    print(f"extract throughput: {total} notes ({what}), avg {chars / total:.0f} chars/note")
    # notes/cpu-s: notes per second of this process's own CPU time (workers=1 only), which
    # a shared machine's load disturbs far less than the wall clock.
    header = ("version", "workers", "load s", "extract s", "notes/s", "notes/cpu-s", "chars/s",
              "entities/s", "peak RSS MB (main / per worker)")
    print(f"{header[0]:<14}" + "  ".join(f"{h:>10}" for h in header[1:-1]) + "  " + header[-1])
    for label, w, r in rows:
        rss = f"{r['self_mb']:.0f}" + (f" / {r['worker_mb']:.0f}" if w > 1 else "")
        print(f"{label:<14}" + "  ".join(f"{v:>10}" for v in (
            w, f"{r['load']:.1f}", f"{r['elapsed']:.1f}", f"{r['notes'] / r['elapsed']:.1f}",
            f"{r['notes'] / r['cpu']:.1f}" if w == 1 else "-",
            f"{chars / r['elapsed']:,.0f}", f"{r['entities'] / r['elapsed']:,.0f}")) + "  " + rss)


if __name__ == "__main__":
    main()
