"""Help text of every ``clinagent`` command: docstrings reflowed, examples as the epilog.

Typer's rich help keeps a docstring's single line breaks (outside the first paragraph), so
a docstring wrapped at 100 columns prints as sentences cut mid-line at 80 or 120. Here
every command's help is its docstring with each paragraph joined into one line (the
terminal wraps it), and the lines given to :func:`examples` become its epilog, one
example per line. Rich markup in either is escaped: help is plain text.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.markup import escape

F = TypeVar("F", bound=Callable[..., Any])

EXAMPLES_ATTR = "cli_examples"


def examples(*lines: str) -> Callable[[F], F]:
    """Attach example command lines to a command function (shown under its --help)."""
    def mark(fn: F) -> F:
        setattr(fn, EXAMPLES_ATTR, lines)
        return fn
    return mark


def reflow(doc: str) -> str:
    """Join the lines of each paragraph (paragraphs starting with ``\\b`` keep theirs)."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split())
                       for p in paragraphs)


def epilog(lines: tuple[str, ...]) -> str:
    """The epilog of a command with these examples."""
    return "Examples:\n" + "\n".join(f"$ {escape(line)}" for line in lines)


def polish(app: typer.Typer) -> None:
    """Set the help and epilog of every command of ``app`` and its sub-apps from the
    command functions' docstrings and :func:`examples`."""
    for command in app.registered_commands:
        doc = inspect.getdoc(command.callback) if command.callback else None
        if doc and command.help is None:
            command.help = escape(reflow(doc))
        lines = getattr(command.callback, EXAMPLES_ATTR, None)
        if lines and command.epilog is None:
            command.epilog = epilog(lines)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            polish(group.typer_instance)
