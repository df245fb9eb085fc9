"""``clinagent`` command line: the Typer app and its commands, nothing else.

Each command lives in its own module of this package (``extract``, ``deid``, ``handoff``,
``verify``, ``fhir``, ``batch``, ``code``, ``retrieval``, ``serve``, ``eval``, ``retention``,
``info``); what they share is in ``agent.cli.common``, progress bars in
``agent.cli.progress`` and the help text conventions in ``agent.cli.helptext``.
"""

from __future__ import annotations

import logging
import signal
from typing import Annotated

import typer

from agent.cli.batch import batch
from agent.cli.code import code, retrain
from agent.cli.cohort import cohort
from agent.cli.deid import deid
from agent.cli.eval import eval_app
from agent.cli.extract import extract
from agent.cli.fhir import fhir
from agent.cli.handoff import handoff
from agent.cli.helptext import polish
from agent.cli.info import info, version_text
from agent.cli.privacy import privacy_app
from agent.cli.progress import configure as configure_progress
from agent.cli.retention import db_purge, patients_app
from agent.cli.retrieval import index, search
from agent.cli.serve import db_app, keys_app, serve
from agent.cli.verify import verify

app = typer.Typer(
    name="clinagent", no_args_is_help=True, add_completion=False,
    help="On-premises clinical notes agent: extraction, de-identification, handoff "
    "summaries, verification, retrieval, an HTTP service and evaluation.\n\n"
    "Every command reads notes locally and sends nothing out unless an LLM server is "
    "configured. Results go to stdout or --out; counts, warnings and progress bars go to "
    "stderr. Run clinagent COMMAND --help for a command's options and examples, and "
    "clinagent info to check the installation.",
)
# Registration order is the order of `clinagent --help`: the note commands first.
app.command("extract")(extract)
app.command("deid")(deid)
app.command("handoff")(handoff)
app.command("verify")(verify)
app.command("index")(index)
app.command("search")(search)
app.command("fhir")(fhir)
app.command("batch")(batch)
app.command("code")(code)
app.command("cohort")(cohort)
app.command("serve")(serve)
app.command("info")(info)
app.add_typer(eval_app, name="eval")
app.add_typer(privacy_app, name="privacy")
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")
db_app.command("purge")(db_purge)
app.add_typer(patients_app, name="patients")
coding_app = typer.Typer(no_args_is_help=True, help="The coding co-pilot's re-ranker.\n\n"
                         "Retrain it from coders' decisions; clinagent code --ranker uses "
                         "the file it writes.")
coding_app.command("retrain")(retrain)
app.add_typer(coding_app, name="coding")
polish(app)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Log what each step does (counts and ids, never note "
        "text)")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress bars and no 'waiting for the LLM server' lines; "
        "warnings and errors only")] = False,
    no_progress: Annotated[bool, typer.Option(
        "--no-progress", help="No progress bars (also: CLINAGENT_PROGRESS=0; "
        "CLINAGENT_PROGRESS=1 forces them on)")] = False,
    _version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the clinagent version and exit")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    configure_progress(is_off=quiet or no_progress)
    # While a command waits on the LLM server, a line every llm.progress_s seconds (server
    # URL and seconds only), even without -v; --quiet drops them.
    logging.getLogger("agent.llm.progress").setLevel(logging.WARNING if quiet
                                                     else logging.INFO)
    # A run stopped by SIGTERM (a scheduler's time limit, ``timeout``) unwinds like
    # Ctrl-C, so half-written temporary outputs are removed instead of left behind.
    # ``serve`` replaces this with uvicorn's own graceful-shutdown handler.
    signal.signal(signal.SIGTERM, _stop)


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)
