"""Exactly-once bookkeeping of a batch output folder.

Every shard is committed in two steps: its files are written under hidden temporary names
(``results/.part-00003.parquet.tmp``: dataset readers skip dot files), then its marker
``ledger/part-00003.json`` is written atomically, then the files are renamed into place. The
marker is the commit point:

- a run killed before the marker leaves only temporary files: removed on the next run
  (rolled back; those notes are processed again);
- a run killed after it leaves a marker whose files may still be temporary: renamed on the
  next run (rolled forward).

The marker lists the keys (note id + text sha256) of the notes the shard holds, as results
or as failures. The next run skips every key of every marker, so each note is written once
whatever was killed when. One run at a time holds the folder's lock (``.lock``, released by
the kernel even on kill -9).
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from agent.batch.units import NoteKey
from agent.errors import InputError

LEDGER_DIR = "ledger"
LOCK_FILE = ".lock"
TMP_SUFFIX = ".tmp"


def shard_name(number: int) -> str:
    """``part-00042``: the stem of every file of shard ``number``."""
    return f"part-{number:05d}"


def tmp_path(final: Path) -> Path:
    """The hidden temporary name of ``final`` until its shard commits."""
    return final.with_name(f".{final.name}{TMP_SUFFIX}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a synced temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Ledger:
    """The committed shards of an output folder; :meth:`open` locks and recovers it.

    Args:
        out_dir: the batch output folder (created when missing).
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self._lock_fh = None
        self.markers: list[dict] = []
        self.rolled_back = 0
        self.rolled_forward = 0

    def open(self) -> Ledger:
        """Take the folder's lock, finish or undo half-committed shards, read the markers.

        Raises:
            InputError: another run holds the folder, or ``out_dir`` is not a folder.
        """
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise InputError(str(self.out_dir), "the output path is a file",
                             fix="Pass a folder for -o (created when missing)")
        (self.out_dir / LEDGER_DIR).mkdir(parents=True, exist_ok=True)
        fh = (self.out_dir / LOCK_FILE).open("a")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            fh.close()
            raise InputError(str(self.out_dir), "another clinagent batch run is writing to "
                             "this folder", fix="Wait for it to finish, or pass another "
                             "-o folder") from e
        self._lock_fh = fh
        self._recover()
        return self

    def close(self) -> None:
        """Release the lock."""
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def __enter__(self) -> Ledger:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _recover(self) -> None:
        paths = sorted((self.out_dir / LEDGER_DIR).glob("part-*.json"))
        self.markers = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
        committed: set[Path] = set()
        for marker in self.markers:
            for rel in marker["files"]:
                final = self.out_dir / rel
                tmp = tmp_path(final)
                committed.add(tmp)
                if tmp.exists():
                    os.replace(tmp, final)
                    self.rolled_forward += 1
        for tmp in self.out_dir.rglob(f".part-*{TMP_SUFFIX}"):
            if tmp not in committed:
                tmp.unlink()
                self.rolled_back += 1

    def done_keys(self, *, retry_failures: bool = False) -> set[NoteKey]:
        """Keys already written (results, and failures unless ``retry_failures``)."""
        keys: set[NoteKey] = set()
        failed: set[NoteKey] = set()
        for marker in self.markers:
            keys.update(NoteKey(*k) for k in marker["keys"])
            failed.update(NoteKey(*k) for k in marker["failed_keys"])
        # A note failed once and written later is done whatever the flag says.
        return keys if retry_failures else keys | failed

    def done_read_failures(self) -> set[str]:
        """``file:line`` of the unreadable lines already reported."""
        return {k for m in self.markers for k in m.get("read_failures", [])}

    def next_shard(self) -> int:
        """The number of the next shard."""
        return max((m["shard"] for m in self.markers), default=-1) + 1

    def commit(self, marker: dict) -> None:
        """Commit a shard whose files are written under :func:`tmp_path` names.

        Args:
            marker: ``shard``, ``files`` (final paths relative to the folder), ``keys``,
                ``failed_keys``, counts and timings.
        """
        path = self.out_dir / LEDGER_DIR / f"{shard_name(marker['shard'])}.json"
        write_atomic(path, json.dumps(marker, ensure_ascii=False).encode("utf-8"))
        for rel in marker["files"]:
            final = self.out_dir / rel
            os.replace(tmp_path(final), final)
        self.markers.append(marker)
