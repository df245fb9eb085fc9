"""The index stage's merge: the chunks and vectors of every committed shard into one index
folder of the format ``clinagent index`` writes (``OUT/index``; ``clinagent search --index
OUT/index`` opens it).

Per-patient embeddings are computed in parallel by the stage; the merge only adds vectors
(no model is loaded). Notes are added in input order, as ``clinagent index`` adds them, so
the same notes give the same index. The index is rebuilt beside the old one and swapped in,
so a killed merge leaves the previous index whole (the next run merges again).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from agent.batch.ledger import shard_name
from agent.config import RetrievalSettings
from agent.errors import RetrievalIndexError
from agent.schemas.retrieval import Chunk

INDEX_DIR = "index"


def merge_index(out_dir: str | Path, markers: list[dict], settings: RetrievalSettings) -> dict:
    """Build ``out_dir/index`` from the shards' index parts.

    Args:
        out_dir: the batch output folder.
        markers: the ledger markers, in commit order (a later shard's version of a note
            replaces an earlier one).
        settings: retrieval settings (flat/HNSW threshold).

    Returns:
        ``{"notes", "chunks", "index_type", "embedder"}``.

    Raises:
        RetrievalIndexError: shards were embedded with different models or chunkers.
    """
    # Deferred: faiss: heavy, only when the index stage ran.
    from retrieval.index import VectorIndex

    out = Path(out_dir)
    parts = [m for m in markers
             if any(f.startswith("index_parts/") for f in m["files"])]
    if not parts:
        return {}
    ids = {(m["models"].get("embedder"), m["models"].get("dimension"),
            m["models"].get("chunker")) for m in parts}
    if len(ids) > 1:
        raise RetrievalIndexError(str(out / INDEX_DIR), "its shards were embedded with "
                                  "different models or chunkers", "Run the batch again into "
                                  "a new -o folder with one retrieval configuration")
    embedder_id, dimension, chunker = ids.pop()
    latest: dict[str, tuple[dict, np.ndarray]] = {}
    for m in parts:
        stem = f"index_parts/{shard_name(m['shard'])}"
        rows = [json.loads(line) for line in
                (out / f"{stem}.chunks.jsonl").read_text(encoding="utf-8").splitlines()]
        vectors = np.load(out / f"{stem}.npy", allow_pickle=False)
        pos = 0
        for row in rows:
            n = len(row["chunks"])
            latest[row["note_id"]] = (row, vectors[pos:pos + n])
            pos += n
    tmp = out / f".{INDEX_DIR}.building"
    if tmp.exists():
        shutil.rmtree(tmp)
    index = VectorIndex.create(tmp, embedder_id=embedder_id, dimension=int(dimension),
                               chunker_version=chunker,
                               hnsw_threshold=settings.hnsw_threshold,
                               exact_partition_max=settings.exact_partition_max)
    for row, vectors in sorted(latest.values(), key=lambda rv: rv[0]["ordinal"]):
        index.upsert_note(row["note_id"], row["patient_id"], row["text_sha256"],
                          [Chunk.model_validate(c) for c in row["chunks"]], vectors)
    manifest = index.save()
    final = out / INDEX_DIR
    old = out / f".{INDEX_DIR}.old"
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    if old.exists():
        shutil.rmtree(old)
    return {"notes": manifest.note_count, "chunks": manifest.chunk_count,
            "index_type": manifest.index_type, "embedder": embedder_id}
