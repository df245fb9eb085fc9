"""``python -m agent.batch NOTES -o OUT``: the ``clinagent batch`` command on its own (for
clusters' job scripts and for tests that start and kill a run)."""

from __future__ import annotations

import typer

from agent.cli.batch import batch

app = typer.Typer(add_completion=False)
app.command()(batch)

if __name__ == "__main__":
    app()
