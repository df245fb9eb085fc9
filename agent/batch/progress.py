"""Progress of a batch run: notes done of the total, rate, ETA and failures (counts only)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class RunProgress:
    """Counts of the notes this run processes; rate and ETA from the elapsed time.

    Args:
        total: notes this run has to process.
    """

    total: int
    done: int = 0
    failures: int = 0
    started: float = field(default_factory=time.perf_counter)
    # The rate is measured from the first finished unit: model loading (seconds to a
    # minute per worker) would otherwise make the first minutes' ETA wildly long.
    _first: tuple[float, int] | None = None

    def add(self, notes: int, failures: int) -> None:
        """Count a processed unit's notes and failed notes."""
        self.done += notes
        self.failures += failures
        if self._first is None:
            self._first = (time.perf_counter(), self.done)

    @property
    def seconds(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started

    @property
    def rate(self) -> float:
        """Notes per second since the first finished unit (0 until a second one)."""
        if self._first is None:
            return 0.0
        at, done = self._first
        elapsed = time.perf_counter() - at
        return (self.done - done) / elapsed if elapsed > 0 and self.done > done else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current rate; None before the first note."""
        return (self.total - self.done) / self.rate if self.rate else None

    def line(self) -> str:
        """``120/2000 notes, 14.2 notes/s, ETA 2m12s, 1 failed``."""
        eta = self.eta_s
        eta_text = "-" if eta is None else f"{int(eta // 60)}m{int(eta % 60):02d}s"
        return (f"{self.done}/{self.total} notes, {self.rate:.1f} notes/s, ETA {eta_text}, "
                f"{self.failures} failed")
