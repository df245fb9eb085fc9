"""De-identification throughput, this checkout against another one, in the same run.

    python benchmarks/deid_throughput.py [--baseline-src PATH] [--rounds 3] [--repeat 1]
        [--data-dir ../shared/data] [--big-kb 1700]

Each configuration runs in a fresh interpreter (``PYTHONPATH`` set to its source tree, so
``--baseline-src`` can be a ``git worktree`` of an earlier commit) and times patient-level
detection (``PatientDeidentifier.detect_patient``, what the CLI, batch and API run; and, as
``<set>_batched``, ``detect_patients`` over all of a set's patients at once) on the
demo corpus, the ASQ-PHI dev queries (when ``--data-dir`` holds them) and one long note of
``--big-kb`` kilobytes (before the overlap fix a 1.7 MB note took over 5 minutes: compare
with a small one, 0 to leave it out).
Rounds alternate between the configurations; the best round of each is printed (wall clock
and the process's CPU time), since a shared machine only ever slows a run down. With
``--repeat N`` each round times every set N times in the same process and keeps the best:
the first pass also pays for spaCy meeting the set's words for the first time (new lexemes,
tokenizer cache), later passes show the steady rate of a long run. Not a test: numbers
depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

_CODE = r"""
import json, sys, time
from collections import defaultdict
from agent.deid.batch import PatientDeidentifier
from agent.schemas.notes import Note
from evals.synthetic import load_notes

data_dir, big, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deid = PatientDeidentifier(mode="redact")
sets = {"demo": load_notes()}
asq = __import__("pathlib").Path(data_dir) / "asq-phi-dev" / "queries_dev.txt"
if data_dir and asq.exists():
    blocks = [b for b in asq.read_text(encoding="utf-8").split("===QUERY===") if b.strip()]
    sets["asq_queries"] = [Note(patient_id=f"q{i}", note_id=f"q{i}",
                                text=b.partition("===PHI_TAGS===")[0].strip())
                           for i, b in enumerate(blocks)]
line = "Seen at Halloran West Rehab by Dr. Okafor. "
if big:
    sets[f"one_{big}kB_note"] = [Note(patient_id="big", note_id="big",
                                      text=line * (big * 1000 // len(line)))]
deid.detect_patient(sets["demo"][:1])  # lazy loads are not throughput
out = {}
for name, notes in sets.items():
    groups = defaultdict(list)
    for n in notes:
        groups[n.patient_id].append(n)
    chars = sum(len(n.text) for n in notes)
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        for group in groups.values():
            deid.detect_patient(group)
        el, cpu = time.perf_counter() - t, time.process_time() - c
        best = out.setdefault(name, {"notes": len(notes), "seconds": el, "cpu": cpu,
                                     "chars": chars})
        best["seconds"], best["cpu"] = min(best["seconds"], el), min(best["cpu"], cpu)
        # All the set's patients in one call (spaCy batches across patients), where the
        # checkout has it.
        if hasattr(deid, "detect_patients") and len(groups) > 1:
            t, c = time.perf_counter(), time.process_time()
            deid.detect_patients(list(groups.values()))
            el, cpu = time.perf_counter() - t, time.process_time() - c
            best = out.setdefault(name + "_batched", {**out[name], "seconds": el, "cpu": cpu})
            best["seconds"], best["cpu"] = min(best["seconds"], el), min(best["cpu"], cpu)
print(json.dumps(out))
"""


def _run(src: Path, data_dir: str, big_kb: int, repeat: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.run([sys.executable, "-c", _CODE, data_dir, str(big_kb), str(repeat)],
                          cwd=src, env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline-src", type=Path, default=None,
                    help="source tree of the version to compare with (a git worktree)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data-dir", default=os.environ.get("CLINAGENT_EVAL__DATA_DIR", ""))
    ap.add_argument("--big-kb", type=int, default=1700, help="size of the long note (0: none)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed passes over each set per round, best kept (the first pays "
                         "for spaCy's first sight of the words)")
    args = ap.parse_args()
    if args.repeat < 1 or args.rounds < 1:
        ap.error("--rounds and --repeat must be 1 or more")
    if args.baseline_src is not None and not (args.baseline_src / "agent").is_dir():
        ap.error(f"--baseline-src {args.baseline_src}: no source tree there (no agent/ "
                 "folder); make one with: git worktree add PATH <commit>")
    here = Path(__file__).resolve().parents[1]
    configs = {"this checkout": here}
    if args.baseline_src is not None:
        configs = {"baseline": args.baseline_src.resolve(), **configs}
    best: dict[str, dict] = {}
    for _ in range(args.rounds):
        for label, src in configs.items():
            for name, r in _run(src, args.data_dir, args.big_kb, args.repeat).items():
                key = f"{label}|{name}"
                if key not in best:
                    best[key] = r
                best[key]["seconds"] = min(best[key]["seconds"], r["seconds"])
                best[key]["cpu"] = min(best[key]["cpu"], r["cpu"])
    # CPU seconds too: on a machine other processes share, the process's own CPU time moves
    # less than the wall clock (both are the best round).
    print(f"{'version':<14} {'set':<16} {'notes':>6} {'seconds':>8} {'notes/s':>9} "
          f"{'kchars/s':>9} {'cpu s':>7} {'notes/cpu-s':>12}")
    for key, r in best.items():
        label, name = key.split("|")
        print(f"{label:<14} {name:<16} {r['notes']:>6} {r['seconds']:>8.2f} "
              f"{r['notes'] / r['seconds']:>9.1f} {r['chars'] / r['seconds'] / 1000:>9.1f} "
              f"{r['cpu']:>7.2f} {r['notes'] / r['cpu']:>12.1f}")


if __name__ == "__main__":
    main()
