"""An advisory file lock between processes (``fcntl.flock``), and the token that tells a
process whether an index directory changed on disk since it loaded it.

Several ``clinagent serve`` workers share one index directory: every access takes the
lock, so a worker never reads files another one is replacing (a save replaces three files
one after the other), and two writers never overwrite each other's notes.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path


class FileLock:
    """A lock on ``path`` (created if missing): exclusive for writers, shared for readers;
    re-entrant within a process (a nested hold keeps the outer hold's mode).

    Threads of one process must not share it without their own lock: flock locks belong to
    the open file, so this class counts holds instead of locking twice.

    Args:
        path: the lock file (next to what it protects, never inside an index directory,
            which must hold index files only).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._depth = 0
        self._is_shared = False
        self._guard = threading.Lock()

    def acquire(self, *, shared: bool = False) -> None:
        """Block until this process holds the lock (``shared``: with other readers).

        Raises:
            RuntimeError: an exclusive hold asked for inside a shared one (upgrading could
                deadlock two readers).
        """
        with self._guard:
            if self._depth == 0:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd, self._is_shared = fd, shared
            elif self._is_shared and not shared:
                raise RuntimeError(f"{self.path}: exclusive lock asked for inside a shared "
                                   "one; take the exclusive lock first")
            self._depth += 1

    def release(self) -> None:
        """Release one hold; the lock is freed with the last one."""
        with self._guard:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def change_token(path: str | Path) -> tuple[int, int, int] | None:
    """Identity of a file as last replaced: ``(inode, mtime ns, size)``; None if missing.

    An index save replaces its manifest last (``os.replace`` of a new file), so the
    manifest's token changes with every save.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
