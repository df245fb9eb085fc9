"""Retrieval benchmark (a printed table, not a test).

    python benchmarks/retrieval_index.py [--chunks 10000] [--vectors 1000000]
                                         [--hnsw-rows 200000] [--queries 200]

Part 1, real embeddings: the demo corpus is chunked and embedded with the packaged
all-MiniLM-L6-v2 (build throughput in chunks/s), then replicated under synthetic patient ids
to ``--chunks`` chunks (real vectors and texts, ~42 chunks per patient as in the demo) and
saved as a real index; hybrid query latency p50/p95 is measured on it.

Part 2, random unit vectors of the real dimension (384), to size the index type and choose
the patient filter: global top-10 on ``IndexFlatIP`` (``--vectors``) and ``IndexHNSWFlat``
(``--hnsw-rows``; build time scales ~linearly), and patient-restricted top-10 for partitions
of 100 / 1,000 / 10,000 rows by (a) gathering the partition's rows and one matrix product,
(b) ``IndexFlatIP`` with ``IDSelectorBatch``, (c) HNSW with ``IDSelectorBatch``, with
recall@10 against exact. Peak RSS is reported per part.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(times: list[float]) -> tuple[float, float]:
    ms = np.asarray(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def part_real(n_chunks: int, n_queries: int) -> None:
    from agent.config import Settings
    from agent.indexing import chunk_notes, make_embedder
    from agent.nlp.pipeline import build_pipeline
    from evals.synthetic import load_gold_entities, load_notes
    from retrieval.chunking import embedding_text
    from retrieval.index import VectorIndex
    from retrieval.retriever import Retriever

    settings = Settings().retrieval
    notes = load_notes()
    t0 = time.perf_counter()
    embedder = make_embedder(settings)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    chunks = chunk_notes(notes, settings, build_pipeline())
    t_chunk = time.perf_counter() - t0
    flat = [c for n in notes for c in chunks[n.note_id]]
    t0 = time.perf_counter()
    vectors = embedder.embed_all([embedding_text(c) for c in flat],
                                 batch_size=settings.batch_size)
    t_embed = time.perf_counter() - t0
    print(f"model load {t_load:.1f} s; chunking {len(flat)} chunks of {len(notes)} notes "
          f"{len(flat) / t_chunk:.0f} chunks/s; embedding {len(flat) / t_embed:.1f} chunks/s "
          f"(avg {np.mean([len(c.text) for c in flat]):.0f} chars)")

    copies = max(1, n_chunks // len(flat))
    with tempfile.TemporaryDirectory() as tmp:
        index = VectorIndex.create(Path(tmp) / "idx", embedder_id=embedder.model_id,
                                   dimension=embedder.dimension, chunker_version="bench")
        t0 = time.perf_counter()
        for copy in range(copies):
            pos = 0
            for n in notes:
                cs = [c.model_copy(update={
                    "patient_id": f"{n.patient_id}-{copy}", "note_id": f"{n.note_id}-{copy}",
                    "chunk_id": f"{n.note_id}-{copy}:{c.start}-{c.end}"})
                    for c in chunks[n.note_id]]
                index.upsert_note(cs[0].note_id, cs[0].patient_id, "x", cs,
                                  vectors[pos:pos + len(cs)])
                pos += len(cs)
        manifest = index.save()
        t_add = time.perf_counter() - t0
        print(f"index of {manifest.chunk_count} chunks ({manifest.patient_count} patients, "
              f"{manifest.index_type}): add+save {t_add:.2f} s "
              f"({manifest.chunk_count / t_add:,.0f} chunks/s excluding embedding)")
        t0 = time.perf_counter()
        index = VectorIndex.open(Path(tmp) / "idx", embedder_id=embedder.model_id,
                                 dimension=embedder.dimension, chunker_version="bench")
        print(f"index load {time.perf_counter() - t0:.2f} s")
        retriever = Retriever(index, embedder)
        gold = load_gold_entities()
        rng = np.random.default_rng(0)
        terms = [(n.patient_id, e.text) for n in notes for e in gold[n.note_id]]
        picks = rng.choice(len(terms), size=n_queries, replace=False)
        rows = []
        for mode in ("dense", "lexical", "hybrid"):
            cold, warm = [], []
            for i in picks:
                patient, term = terms[i]
                patient = f"{patient}-{rng.integers(copies)}"
                query = f"{term} {mode}"  # distinct text per mode: no embedding cache hit
                t0 = time.perf_counter()
                retriever.search(query, patient_id=patient, k=10, mode=mode)
                (cold if len(cold) <= len(warm) else warm).append(time.perf_counter() - t0)
            rows.append((mode, *_pct(cold + warm)))
        print(f"{'mode':<8} {'p50 ms':>8} {'p95 ms':>8}  (k=10, one patient, incl. query "
              "embedding and BM25 build on first use)")
        for mode, p50, p95 in rows:
            print(f"{mode:<8} {p50:>8.2f} {p95:>8.2f}")
    print(f"peak RSS after part 1: {_peak_mb():,.0f} MB")


def part_random(n_vectors: int, hnsw_rows: int, n_queries: int, dim: int = 384) -> None:
    import faiss

    from retrieval.index import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n_vectors, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = rng.standard_normal((n_queries, dim), dtype=np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    faiss.omp_set_num_threads(1)  # per-query latency as one request sees it

    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(dim)
    flat.add(x)
    t_flat = time.perf_counter() - t0
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    faiss.omp_set_num_threads(2)
    hnsw.add(x[:hnsw_rows])
    faiss.omp_set_num_threads(1)
    t_hnsw = time.perf_counter() - t0
    hnsw.hnsw.efSearch = HNSW_EF_SEARCH
    print(f"\nrandom {dim}-d unit vectors: flat {n_vectors:,} added in {t_flat:.1f} s; "
          f"HNSW M={HNSW_M} efC={HNSW_EF_CONSTRUCTION} {hnsw_rows:,} built in {t_hnsw:.1f} s "
          f"({hnsw_rows / t_hnsw:,.0f} vectors/s on 2 threads)")

    def lat(fn) -> tuple[float, float]:
        times = []
        for i in range(n_queries):
            t0 = time.perf_counter()
            fn(i)
            times.append(time.perf_counter() - t0)
        return _pct(times)

    print(f"{'global top-10':<40} {'p50 ms':>8} {'p95 ms':>8} {'recall@10':>10}")
    p50, p95 = lat(lambda i: flat.search(q[i:i + 1], 10))
    print(f"{'flat, ' + format(n_vectors, ','):<40} {p50:>8.2f} {p95:>8.2f} {1.0:>10.3f}")
    sub = faiss.IndexFlatIP(dim)
    sub.add(x[:hnsw_rows])
    exact = sub.search(q, 10)[1]
    got = hnsw.search(q, 10)[1]
    rec = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, got, strict=True)])
    p50, p95 = lat(lambda i: sub.search(q[i:i + 1], 10))
    print(f"{'flat, ' + format(hnsw_rows, ','):<40} {p50:>8.2f} {p95:>8.2f} {1.0:>10.3f}")
    p50, p95 = lat(lambda i: hnsw.search(q[i:i + 1], 10))
    print(f"{'hnsw, ' + format(hnsw_rows, ',') + f' efSearch={HNSW_EF_SEARCH}':<40} "
          f"{p50:>8.2f} {p95:>8.2f} {rec:>10.3f}")

    print(f"{'one patient, top-10':<40} {'p50 ms':>8} {'p95 ms':>8} {'recall@10':>10}")
    for size in (100, 1_000, 10_000):
        rows = np.sort(rng.choice(hnsw_rows, size=size, replace=False)).astype(np.int64)
        truth = [set(rows[np.argsort(-(x[rows] @ q[i]))[:10]].tolist())
                 for i in range(n_queries)]

        def gather(i, rows=rows):
            s = x[rows] @ q[i]
            top = np.argpartition(-s, 9)[:10]
            return rows[top[np.argsort(-s[top])]]

        sel = faiss.IDSelectorBatch(rows)
        p_flat = faiss.SearchParameters(sel=sel)
        p_hnsw = faiss.SearchParametersHNSW(sel=sel, efSearch=HNSW_EF_SEARCH)
        for name, fn in [
            (f"partition gather + matmul, {size:,}", gather),
            (f"flat {n_vectors:,} + IDSelector, {size:,}",
             lambda i, p=p_flat: flat.search(q[i:i + 1], 10, params=p)[1][0]),
            (f"hnsw {hnsw_rows:,} + IDSelector, {size:,}",
             lambda i, p=p_hnsw: hnsw.search(q[i:i + 1], 10, params=p)[1][0]),
        ]:
            p50, p95 = lat(fn)
            rec = np.mean([len(truth[i] & {int(v) for v in fn(i)}) / 10
                           for i in range(n_queries)])
            print(f"{name:<40} {p50:>8.2f} {p95:>8.2f} {rec:>10.3f}")
    print(f"peak RSS after part 2: {_peak_mb():,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--hnsw-rows", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    if not args.skip_real:
        part_real(args.chunks, args.queries)
    part_random(args.vectors, min(args.hnsw_rows, args.vectors), args.queries)


if __name__ == "__main__":
    main()
