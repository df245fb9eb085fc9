"""The installed clinagent version, recorded in every output's provenance."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """clinagent's version, or "0+unknown" when run from a source tree that is not installed."""
    try:
        return version("clinagent")
    except PackageNotFoundError:
        return "0+unknown"
