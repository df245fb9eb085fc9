"""``clinagent privacy report``: the re-identification risk of a de-identified corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import fail, load_settings
from agent.cli.helptext import examples
from agent.errors import ClinicalAgentError
from agent.privacy.policy import load_policies
from agent.privacy.report import build_report, render_html, summary_lines

privacy_app = typer.Typer(
    no_args_is_help=True, help="Privacy of a de-identified release: re-identification risk "
    "and the generalization that lowers it.\n\nThe report reads the quasi-identifiers "
    "(age band, sex, ZIP3, encounter years, rare codes) of a clinagent deid output, measures "
    "k-anonymity, l-diversity and the prosecutor / journalist / marketer risks, and names "
    "the generalization that would bring the risk under the threshold.")


@privacy_app.command("report")
@examples("clinagent privacy report out/deid.jsonl",
          "clinagent privacy report out/deid.jsonl --policy research -o out/risk.html",
          "clinagent privacy report out/deid.jsonl --population-size 50000")
def report(
    deid_out: Annotated[Path, typer.Argument(help="Output of clinagent deid (JSON Lines)")],
    policy: Annotated[str | None, typer.Option(
        help="A release policy to evaluate on the table (safe_harbor, research, strict or "
        "one of privacy.policy_file)")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the HTML report here (and the JSON next to it)")] = None,
    population_size: Annotated[int | None, typer.Option(
        min=1, help="Size of the population the corpus was drawn from, for journalist risk "
        "(default: privacy.population_size; none = the sample is the population)")] = None,
) -> None:
    """Re-identification risk of a de-identified corpus.

    Reads the quasi-identifiers each patient's released notes state (age, sex, 3-digit
    ZIP, years of encounters, rare diagnosis codes), forms the equivalence classes and
    reports k-anonymity, l-diversity and prosecutor / journalist / marketer risk as
    released and under --policy, then searches the generalization lattice for the least
    generalization whose highest prosecutor risk is under privacy.max_prosecutor_risk.
    """
    try:
        settings = load_settings()
        privacy = settings.privacy
        if population_size is not None:
            privacy = privacy.model_copy(update={"population_size": population_size})
        chosen = load_policies(privacy.policy_file).get(policy) if policy else None
        result = build_report(deid_out, policy=chosen, settings=privacy)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render_html(result), encoding="utf-8")
            out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n",
                                                encoding="utf-8")
    except ClinicalAgentError as e:
        fail(e)
    for line in summary_lines(result):
        typer.echo(line)
    if out is not None:
        typer.echo(f"-> {out}, {out.with_suffix('.json')}", err=True)
