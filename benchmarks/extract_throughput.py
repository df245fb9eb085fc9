"""Throughput and memory of ``extract`` on the demo corpus repeated to >= N notes.

    python benchmarks/extract_throughput.py [--notes 1000] [--processes 1]

Prints a table: extractor load time, notes/s, characters/s, entities/s and peak RSS.
Not a test: numbers depend on the machine; the target is >= 50 notes/s on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import time
from concurrent.futures import ProcessPoolExecutor

_EXTRACTOR = None


def _init() -> None:
    global _EXTRACTOR
    from verifiers.entities import EntityExtractor

    _EXTRACTOR = EntityExtractor()


def _work(texts: list[str]) -> int:
    return sum(len(_EXTRACTOR.extract(t)) for t in texts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()

    from evals.synthetic import load_notes

    base = [n.text for n in load_notes()]
    texts = (base * (args.notes // len(base) + 1))[: max(args.notes, len(base))]
    chars = sum(map(len, texts))

    t0 = time.perf_counter()
    if args.processes == 1:
        _init()
        load_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        n_ents = _work(texts)
    else:
        with ProcessPoolExecutor(args.processes, initializer=_init) as pool:
            list(pool.map(_work, [[base[0]]] * args.processes))  # warm-up = load
            load_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            chunks = [texts[i::args.processes * 8] for i in range(args.processes * 8)]
            n_ents = sum(pool.map(_work, chunks))
    elapsed = time.perf_counter() - t1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    rows = [
        ("notes", f"{len(texts)}"),
        ("processes", f"{args.processes}"),
        ("avg note chars", f"{chars / len(texts):.0f}"),
        ("extractor load (s)", f"{load_s:.1f}"),
        ("extract time (s)", f"{elapsed:.1f}"),
        ("notes/s", f"{len(texts) / elapsed:.1f}"),
        ("chars/s", f"{chars / elapsed:,.0f}"),
        ("entities/s", f"{n_ents / elapsed:,.0f}"),
        ("peak RSS main (MB)", f"{peak_mb:.0f}"),
        ("peak RSS worker (MB)", f"{child_mb:.0f}" if args.processes > 1 else "-"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  value")
    print("-" * (width + 12))
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
