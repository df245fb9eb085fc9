"""Writing a shard's files: results (Parquet or JSON Lines), the de-identification audit,
failures and the index parts, each under its temporary name until the ledger commits it.

Layout of an output folder (``part-NNNNN`` = one shard):

- ``results/part-NNNNN.parquet`` (or ``.jsonl``): one row per note processed: ids, text
  sha256, input position, and per stage ``deid_text`` + ``phi``, ``extraction``, ``llm``
  (JSON), ``chunks`` (count);
- ``audit/part-NNNNN.jsonl``: the de-identification audit (no PHI);
- ``failures/part-NNNNN.jsonl``: note id (or file and line), stage and reason, no text;
- ``index_parts/part-NNNNN.chunks.jsonl`` + ``.npy``: chunks and float32 vectors, merged
  into ``index/`` at the end of the run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from agent.batch.ledger import shard_name, tmp_path
from agent.batch.stages import decode_vectors
from agent.errors import InputError

FORMATS = ("parquet", "jsonl")

# Parquet columns: ids and counts typed, stage results as JSON text (their models nest).
_STRING_COLUMNS = ("note_id", "patient_id", "note_type", "date", "text_sha256", "deid_text",
                   "phi", "extraction", "llm")


def check_format(fmt: str) -> None:
    """Check an output format is usable here.

    Raises:
        InputError: unknown format, or Parquet without pyarrow.
    """
    if fmt not in FORMATS:
        raise InputError("--format", f"unknown format {fmt!r}", fix="Use parquet or jsonl")
    if fmt == "parquet":
        try:
            # Deferred: pyarrow: optional (the batch extra), only for Parquet output.
            import pyarrow  # noqa: F401
        except ImportError as e:
            raise InputError("--format", "Parquet output needs pyarrow, which is not "
                             "installed", fix="pip install 'clinagent[batch]', or pass "
                             "--format jsonl") from e


def _synced(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


class ShardWriter:
    """Collects processed units and writes one shard's files (temporary names).

    Args:
        out_dir: the output folder.
        number: the shard number.
        fmt: ``parquet`` or ``jsonl`` for the results.
    """

    def __init__(self, out_dir: Path, number: int, fmt: str) -> None:
        self.out_dir = out_dir
        self.number = number
        self.fmt = fmt
        self.results: list[dict] = []
        self.audits: list[dict] = []
        self.failures: list[dict] = []
        self.index_rows: list[dict] = []
        self.vectors: list[np.ndarray] = []
        self.keys: list[list[str]] = []
        self.failed_keys: list[list[str]] = []
        self.read_failures: list[str] = []
        self.seconds: dict[str, float] = {}
        self.models: dict[str, str] = {}
        self.llm: dict[str, int] = {}

    @property
    def notes(self) -> int:
        """Notes in the shard (results and failures)."""
        return len(self.keys) + len(self.failed_keys)

    def add_unit(self, unit: dict) -> None:
        """Add the emitted notes of a processed unit."""
        meta = unit["meta"]
        for stage, s in meta.get("seconds", {}).items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + s
        self.models.update(meta.get("models", {}))
        for k, v in meta.get("llm", {}).items():
            self.llm[k] = self.llm.get(k, 0) + v
        for entry in unit["notes"]:
            if not entry["emit"]:
                continue
            note = entry["note"]
            nid = note["note_id"]
            key = [nid, entry["sha256"]]
            if nid in unit["failures"]:
                fail = unit["failures"][nid]
                self.failures.append({"note_id": nid, "source": None, "line": None,
                                      "field": None, "stage": fail["stage"],
                                      "reason": fail["reason"]})
                self.failed_keys.append(key)
                continue
            self.keys.append(key)
            self._add_result(entry, unit["results"].get(nid, {}))

    def _add_result(self, entry: dict, res: dict) -> None:
        note = entry["note"]
        row: dict = {"note_id": note["note_id"], "patient_id": note["patient_id"],
                     "note_type": note["note_type"], "date": note["date"],
                     "ordinal": entry["ordinal"], "text_sha256": entry["sha256"]}
        if "deid" in res:
            row["deid_text"] = res["deid"]["text"]
            row["phi"] = res["deid"]["phi"]
            self.audits.append(res["audit"])
        if "extraction" in res:
            row["extraction"] = res["extraction"]
        if "llm" in res:
            row["llm"] = res["llm"]
        if "index" in res:
            chunks = res["index"]["chunks"]
            dim = int(self.models["dimension"])
            row["chunks"] = len(chunks)
            # The sha256 of the text indexed (the de-identified one when deid ran), as
            # `clinagent index` records it.
            self.index_rows.append({"note_id": note["note_id"],
                                    "patient_id": note["patient_id"],
                                    "ordinal": entry["ordinal"],
                                    "text_sha256": res["index"]["text_sha256"],
                                    "chunks": chunks})
            self.vectors.append(decode_vectors(res["index"]["vectors"], dim))
        self.results.append(row)

    def add_read_failure(self, err: InputError) -> None:
        """An unreadable input line (no note id known, or a duplicate one)."""
        self.read_failures.append(read_failure_key(err))
        self.failures.append({"note_id": None, "source": Path(err.source).name,
                              "line": err.line, "field": err.field, "stage": "read",
                              "reason": err.problem})

    def write(self) -> list[str]:
        """Write the shard's files under their temporary names.

        Returns:
            The final paths, relative to the output folder (for the ledger marker).
        """
        stem = shard_name(self.number)
        files: list[str] = []

        def put(rel: str, write) -> None:
            _synced(tmp_path(self.out_dir / rel), write)
            files.append(rel)

        if self.results:
            if self.fmt == "parquet":
                put(f"results/{stem}.parquet", lambda fh: _write_parquet(self.results, fh))
            else:
                put(f"results/{stem}.jsonl", lambda fh: fh.write(_jsonl(self.results)))
        if self.audits:
            put(f"audit/{stem}.jsonl", lambda fh: fh.write(_jsonl(self.audits)))
        if self.failures:
            put(f"failures/{stem}.jsonl", lambda fh: fh.write(_jsonl(self.failures)))
        if self.index_rows:
            put(f"index_parts/{stem}.chunks.jsonl", lambda fh: fh.write(_jsonl(self.index_rows)))
            block = np.concatenate(self.vectors) if self.vectors else np.zeros((0, 0))
            put(f"index_parts/{stem}.npy", lambda fh: np.save(fh, block, allow_pickle=False))
        return files

    def marker(self, files: list[str]) -> dict:
        """The ledger marker of the written shard."""
        return {"shard": self.number, "files": files, "keys": self.keys,
                "failed_keys": self.failed_keys, "read_failures": self.read_failures,
                "counts": {"results": len(self.keys), "failures": len(self.failures),
                           "failed_notes": len(self.failed_keys),
                           "read_failures": len(self.read_failures),
                           "chunks": sum(len(r["chunks"]) for r in self.index_rows)},
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
                "models": self.models, "llm": self.llm}


def read_failure_key(err: InputError) -> str:
    """``file:line`` of an unreadable input line."""
    return f"{Path(err.source).name}:{err.line or ''}"


def _write_parquet(rows: list[dict], fh) -> None:
    # Deferred: pyarrow: optional (the batch extra), only for Parquet output.
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [c for c in ("note_id", "patient_id", "note_type", "date", "ordinal",
                           "text_sha256", "deid_text", "phi", "extraction", "llm", "chunks")
               if any(c in r for r in rows)]
    data = {}
    for c in columns:
        values = [r.get(c) for r in rows]
        if c in ("phi", "extraction", "llm"):
            values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        data[c] = pa.array(values, type=pa.string() if c in _STRING_COLUMNS else pa.int64())
    pq.write_table(pa.table(data), fh)


def read_results(out_dir: str | Path) -> list[dict]:
    """Every result row of an output folder, stage results parsed (tests and tools)."""
    out: list[dict] = []
    for f in sorted((Path(out_dir) / "results").glob("part-*")):
        if f.suffix == ".parquet":
            # Deferred: pyarrow: optional (the batch extra), only for Parquet output.
            import pyarrow.parquet as pq

            for row in pq.read_table(f).to_pylist():
                for c in ("phi", "extraction", "llm"):
                    if row.get(c) is not None:
                        row[c] = json.loads(row[c])
                out.append(row)
        else:
            out.extend(json.loads(line) for line in f.read_text(encoding="utf-8").splitlines())
    return out
