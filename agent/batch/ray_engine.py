"""The Ray engine: the same stage chain as a Ray Data ``map_batches`` over an actor pool
(the models loaded once per actor), on a local Ray cluster or an existing one.

Results stream back to this driver in input order (Ray Data's streaming executor applies
back-pressure: actors stop taking blocks while their outputs wait), and the driver writes
and commits the shards, so a retried task or a restarted actor can never write a note
twice. Ray's own progress bars are off (the command draws its own); Ray's dashboard shows
the pool where it is enabled (``--dashboard`` for a local cluster).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator

from agent.batch.stages import StageChain
from agent.config import Settings
from agent.errors import ConfigError

logger = logging.getLogger(__name__)


def connect(address: str | None, *, workers: int, dashboard: bool = False) -> bool:
    """Connect to Ray: ``address`` (``auto``, ``ray://host:10001``) or a new local cluster.

    Returns:
        Whether this call started Ray (then the caller shuts it down).

    Raises:
        ConfigError: Ray is not installed or the cluster cannot be reached.
    """
    try:
        # Deferred: ray: optional (the batch extra), only for --engine ray.
        import ray
    except ImportError as e:
        raise ConfigError("--engine", "the Ray engine needs ray, which is not installed",
                          "pip install 'clinagent[batch]', or use --engine local") from e
    if ray.is_initialized():
        return False
    kwargs: dict = {"log_to_driver": False, "logging_level": logging.WARNING,
                    "configure_logging": True}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers, include_dashboard=dashboard, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise ConfigError("--address", f"could not connect to Ray at {address or 'local'} "
                          f"({type(e).__name__})", "Start the cluster (ray start --head) "
                          "and pass --address auto, or leave --address out for a local "
                          "cluster") from e
    return True


def run_ray(units: list[str], settings: Settings, stages: list[str], *,
            deid_mode: str | None = None, workers: int = 1, units_per_task: int = 4,
            ) -> Iterator[dict]:
    """Run the stages over patient units on Ray Data, yielding processed units in order.

    Ray must be connected (:func:`connect`).

    Args:
        units: JSON units (:func:`agent.batch.units.group_units`).
        settings: all settings (sent to the actors; holds the de-identification secret:
            on a multi-node cluster enable Ray's TLS).
        stages: stage names.
        deid_mode: de-identification operator override.
        workers: actors (one CPU each).
        units_per_task: patient units per batch handed to an actor.
    """
    # Deferred: ray: optional (the batch extra), only for --engine ray.
    import ray.data

    ctx = ray.data.DataContext.get_current()
    # Same shard contents as the local engine, whatever actor finishes first.
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    blocks = max(1, math.ceil(len(units) / units_per_task))
    ds = ray.data.from_items([{"unit": u} for u in units], override_num_blocks=blocks)
    ds = ds.map_batches(
        StageChain, fn_constructor_kwargs={"settings": settings, "stages": stages,
                                           "deid_mode": deid_mode},
        batch_size=units_per_task, batch_format="numpy", concurrency=workers, num_cpus=1)
    for row in ds.iter_rows():
        yield json.loads(row["unit"])
