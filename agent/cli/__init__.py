"""``clinagent`` command line: the Typer app and its commands, nothing else.

Each command lives in its own module of this package (``extract``, ``deid``, ``handoff``,
``verify``, ``fhir``, ``retrieval``, ``serve``, ``eval``, ``retention``); what they share is
in ``agent.cli.common``.
"""

from __future__ import annotations

import logging
import signal
from typing import Annotated

import typer

from agent.cli.deid import deid
from agent.cli.eval import eval_app
from agent.cli.extract import extract
from agent.cli.fhir import fhir
from agent.cli.handoff import handoff
from agent.cli.retention import db_purge, patients_app
from agent.cli.retrieval import index, search
from agent.cli.serve import db_app, keys_app, serve
from agent.cli.verify import verify

app = typer.Typer(
    name="clinagent", no_args_is_help=True, add_completion=False,
    help="On-premises clinical notes agent: extraction, de-identification, retrieval, "
    "evaluation.",
)
app.add_typer(eval_app, name="eval")
app.command("deid")(deid)
app.command("index")(index)
app.command("search")(search)
app.command("serve")(serve)
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")
db_app.command("purge")(db_purge)
app.add_typer(patients_app, name="patients")
app.command("fhir")(fhir)
app.command("handoff")(handoff)
app.command("verify")(verify)
app.command("extract")(extract)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    # While a command waits on the LLM server, a line every llm.progress_s seconds (server
    # URL and seconds only), even without -v.
    logging.getLogger("agent.llm.progress").setLevel(logging.INFO)
    # A run stopped by SIGTERM (a scheduler's time limit, ``timeout``) unwinds like
    # Ctrl-C, so half-written temporary outputs are removed instead of left behind.
    # ``serve`` replaces this with uvicorn's own graceful-shutdown handler.
    signal.signal(signal.SIGTERM, _stop)


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)
