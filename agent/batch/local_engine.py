"""The local engine: the stage chain in this process, or in a pool of worker processes
(each loads the models once), with a bounded window of tasks in flight and results in
input order."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from agent.batch.stages import StageChain
from agent.config import Settings

_WORKER_CHAIN: StageChain | None = None


def _init_worker(settings: Settings, stages: list[str], deid_mode: str | None) -> None:
    global _WORKER_CHAIN
    _WORKER_CHAIN = StageChain(settings, stages, deid_mode)


def _run_task(units: list[str]) -> list[str]:
    return list(_WORKER_CHAIN({"unit": np.array(units, dtype=object)})["unit"])


def run_local(units: list[str], settings: Settings, stages: list[str], *,
              deid_mode: str | None = None, workers: int = 1, units_per_task: int = 4,
              ) -> Iterator[dict]:
    """Run the stages over patient units, yielding each processed unit in input order.

    Args:
        units: JSON units (:func:`agent.batch.units.group_units`).
        settings: all settings.
        stages: stage names.
        deid_mode: de-identification operator override.
        workers: processes; 1 runs in this process.
        units_per_task: patient units sent to a worker at a time.
    """
    tasks = [units[i:i + units_per_task] for i in range(0, len(units), units_per_task)]
    if workers <= 1:
        chain = StageChain(settings, stages, deid_mode)
        for task in tasks:
            for out in chain({"unit": np.array(task, dtype=object)})["unit"]:
                yield json.loads(out)
        return
    window: deque = deque()
    with ProcessPoolExecutor(workers, initializer=_init_worker,
                             initargs=(settings, stages, deid_mode)) as pool:
        for task in tasks:
            window.append(pool.submit(_run_task, task))
            # Back-pressure: at most two tasks per worker wait in memory.
            if len(window) >= 2 * workers:
                yield from (json.loads(u) for u in window.popleft().result())
        while window:
            yield from (json.loads(u) for u in window.popleft().result())
