"""Importing a third-party package that an optional extra provides, with an error that says
which extra to install (``pip install -e ".[langchain]"``)."""

from __future__ import annotations

import importlib
from types import ModuleType


def import_extra(module: str, extra: str) -> ModuleType:
    """Import ``module``, which the ``extra`` of clinagent installs.

    Args:
        module: the import name (``langchain_core``, ``presidio_anonymizer``).
        extra: the pyproject extra that provides it (``langchain``, ``presidio``).

    Returns:
        The imported module.

    Raises:
        ImportError: the module is missing; the message names the install command.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"{module} is not installed: this clinagent adapter needs the {extra!r} extra. "
            f'Install it with: pip install -e ".[{extra}]" (or pip install "clinagent[{extra}]")',
            name=module) from e
