"""``clinagent eval <name>``: every evaluation run. Each command is a thin layer over its
``evals`` module, whose ``python -m evals.<module>`` entry point calls the same function."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.cli.cohort import eval_cohort
from agent.cli.common import LLMBaseUrl, LLMModel, fail, llm_settings, load_settings
from agent.cli.helptext import examples
from agent.cli.progress import Bars, NoProgress
from agent.errors import ClinicalAgentError, InputError
from evals.deid import run_deid
from evals.deid_adversarial import run_adversarial
from evals.faithfulness_report import headline
from evals.privacy import run_privacy
from evals.retrieval import run_retrieval
from evals.run import data_dir_of, run_extract

eval_app = typer.Typer(
    no_args_is_help=True, help="Evaluation runs: print a table, write a JSON report.\n\n"
    "Each run is also python -m evals.<name>; the reports record the git sha and package "
    "version.")

# The eval runners report no per-item progress: the bar is a spinner with the elapsed time.
# They print their tables to stdout, so it is drawn only when stdout is not the terminal.
_STREAMS = {"streams_stdout": True}

DataDirOption = Annotated[Path | None, typer.Option(
    help="Folder with the public dev sets (default: CLINAGENT_EVAL__DATA_DIR)")]


@eval_app.command("extract")
@examples("clinagent eval extract", "clinagent eval extract --limit 50 --data-dir ../data")
def eval_extract(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON report path")]
    = Path("evals/reports/extract.json"),
    limit: Annotated[int | None, typer.Option(help="Use only the first N items per set")]
    = None,
    data_dir: DataDirOption = None,
    no_progress: NoProgress = False,
) -> None:
    """Score the extractor on the demo gold, own corpora and public sets.

    The demo gold, the frozen and dev corpora (with the medspaCy baseline), NegEx, PHEE,
    CodiESP and NCBI disease (the public sets need --data-dir).
    """
    try:
        settings = load_settings()
        with Bars(no_progress=no_progress, **_STREAMS) as bars:
            bars.stage("eval extract")
            run_extract(out=out, limit=limit, data_dir=data_dir_of(data_dir, settings),
                        settings=settings)
    except ClinicalAgentError as e:
        fail(e)


@eval_app.command("deid")
@examples("clinagent eval deid", "clinagent eval deid --system clinagent --data-dir ../data")
def eval_deid(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON report path")]
    = Path("evals/reports/deid.json"),
    data_dir: Annotated[Path | None, typer.Option(
        help="Folder with the public dev sets (default: CLINAGENT_EVAL__DATA_DIR; without "
        "either, the presidio-synth set is skipped)")] = None,
    systems: Annotated[list[str] | None, typer.Option(
        "--system", help="clinagent, presidio, philter (repeatable; default: all)")] = None,
    adversarial: Annotated[bool, typer.Option(
        "--adversarial", help="Leak rate per kind on planted identifiers of unseen kinds "
        "and shapes instead (evals/deid_adversarial.py; a test, never tuned on)")] = False,
    no_progress: NoProgress = False,
) -> None:
    """Score de-identification against Presidio and philter-lite.

    Recall, precision and F2 per PHI type, side by side (philter-lite needs the eval
    extra); --adversarial: leak rate per kind of planted identifier.
    """
    try:
        settings = load_settings()
        with Bars(no_progress=no_progress, **_STREAMS) as bars:
            bars.stage("eval deid")
            if adversarial:
                run_adversarial(out=out.with_name("deid_adversarial.json"),
                                systems=systems or ["clinagent", "presidio", "philter"])
                return
            run_deid(out=out,
                     data_dir=data_dir if data_dir is not None else settings.eval.data_dir,
                     systems=systems or ["clinagent", "presidio", "philter"])
    except ClinicalAgentError as e:
        fail(e)


@eval_app.command("retrieval")
@examples("clinagent eval retrieval")
def eval_retrieval(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON report path")]
    = Path("evals/reports/retrieval.json"),
    no_progress: NoProgress = False,
) -> None:
    """Score dense, lexical and hybrid search on the demo corpus.

    Recall@k and MRR of each search mode on the demo corpus facts.
    """
    try:
        with Bars(no_progress=no_progress, **_STREAMS) as bars:
            bars.stage("eval retrieval")
            run_retrieval(out=out, settings=load_settings())
    except ClinicalAgentError as e:
        fail(e)


@eval_app.command("faithfulness")
@examples("clinagent eval faithfulness --only demo",
          "clinagent eval faithfulness --data-dir ../data --limit 50")
def eval_faithfulness(
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="demo, medec, aci or mts (repeatable; default: all)")] = None,
    limit: Annotated[int | None, typer.Option(
        help="Items per public set (default: MEDEC 200, ACI-bench 20, MTS-Dialog 100)")]
    = None,
    data_dir: Annotated[Path | None, typer.Option(
        help="Folder with the public dev sets (default: CLINAGENT_EVAL__DATA_DIR; not "
        "needed by --only demo)")] = None,
    out_dir: Annotated[Path, typer.Option(help="Where faithfulness.json/.html go")]
    = Path("out/eval"),
    no_progress: NoProgress = False,
) -> None:
    """Score the verifier's faithfulness checks; write JSON and HTML.

    Planted contradictions on the demo corpus, MEDEC-MS error detection, ACI-bench and
    MTS-Dialog baseline summaries (ROUGE-L, BERTScore-style F1, supported-fact rate of the
    reference notes).
    """
    # evals.faithfulness loads the spaCy/medspaCy pipeline (the handoff timeline) at import.
    from evals.faithfulness import run as run_faithfulness

    bad = sorted(set(only or []) - {"demo", "medec", "aci", "mts"})
    if bad:
        fail(InputError("--only", f"unknown part(s) {bad}", fix="Use demo, medec, aci, mts"))
    try:
        settings = load_settings()
        with Bars(no_progress=no_progress, **_STREAMS) as bars:
            bars.stage("eval faithfulness")
            report = run_faithfulness(
                only, limit, data_dir if data_dir is not None else settings.eval.data_dir,
                out_dir)
    except ClinicalAgentError as e:
        fail(e)
    typer.echo(headline(report))
    typer.echo(f"-> {out_dir / 'faithfulness.json'}, {out_dir / 'faithfulness.html'}", err=True)


@eval_app.command("handoff")
@examples("clinagent eval handoff", "clinagent eval handoff --llm")
def eval_handoff(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON report path")]
    = Path("evals/reports/handoff.json"),
    llm: Annotated[bool, typer.Option(
        "--llm", help="Hierarchical LLM summaries (default backend: local SmolLM2) instead "
        "of the extractive handoff")] = False,
    llm_base_url: LLMBaseUrl = None,
    llm_model: LLMModel = None,
    no_progress: NoProgress = False,
) -> None:
    """Score handoff summaries on the demo patients.

    Gold fact recall and the traps stated as true, over the 7 demo patients.
    """
    # evals.handoff loads the spaCy/medspaCy pipeline (agent.handoff) at import time.
    from evals.handoff import run as run_handoff

    try:
        settings = llm_settings(load_settings(), llm_base_url, llm_model)
        with Bars(no_progress=no_progress, **_STREAMS) as bars:
            bars.stage("eval handoff")
            run_handoff(out, use_llm=bool(llm or llm_base_url or llm_model),
                        settings=settings)
    except ClinicalAgentError as e:
        fail(e)


@eval_app.command("frozen")
@examples("clinagent eval frozen", "clinagent eval frozen --dev")
def eval_frozen(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON report path")]
    = Path("evals/reports/frozen.json"),
    dev: Annotated[bool, typer.Option(
        "--dev", help="The development corpus instead (tuned on; its misses are printed)")]
    = False,
    no_progress: NoProgress = False,
) -> None:
    """Score the verifier and handoff on the frozen unseen corpora.

    The corpora in evals/data/frozen were written blind and never tuned on; only aggregate
    numbers are printed. --dev runs the development corpus instead and prints its misses.
    """
    # evals.frozen loads the spaCy/medspaCy pipeline (agent.handoff) at import time.
    from evals.frozen import run as run_frozen

    try:
        with Bars(no_progress=no_progress, **_STREAMS) as bars:
            bars.stage("eval frozen")
            run_frozen(out, settings=load_settings(), dev=dev)
    except ClinicalAgentError as e:
        fail(e)


@eval_app.command("relations")
@examples("clinagent eval relations --data-dir ../shared/data",
          "clinagent eval relations --limit 200 --out-dir evals/reports")
def eval_relations(
    data_dir: DataDirOption = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N PHEE sentences")] = None,
    out_dir: Annotated[Path, typer.Option(help="Where relations.json/.html go")]
    = Path("evals/reports"),
    no_progress: NoProgress = False,
) -> None:
    """Score drug-ADE, reason and body-site relations; write JSON and HTML.

    PHEE dev drug -> adverse effect F1 (exact and overlap) and assertion accuracy, the demo
    corpus relation gold with its traps, each against a nearest-drug baseline. Without a
    data folder only the demo part runs.
    """
    # evals.relations loads the extractor (spaCy/medspaCy, vocabularies) at import time.
    from evals.relation_report import headline as relations_headline
    from evals.relation_report import write_reports as write_relation_reports
    from evals.relations import run as run_relations

    try:
        settings = load_settings()
        folder = data_dir if data_dir is not None else settings.eval.data_dir
        with Bars(no_progress=no_progress, **_STREAMS) as bars:
            bars.stage("eval relations")
            report = run_relations(folder, limit)
        json_path, html_path = write_relation_reports(report, out_dir)
    except ClinicalAgentError as e:
        fail(e)
    typer.echo(relations_headline(report))
    typer.echo(f"-> {json_path}, {html_path}", err=True)


@eval_app.command("coding")
@examples("clinagent eval coding ../shared/data/codiesp/train",
          "clinagent eval coding DATA/codiesp/train --limit 100")
def eval_coding(
    data_dir: Annotated[Path, typer.Argument(help="A CodiEsp split folder (text_files_en/, "
                                             "trainD.tsv, trainP.tsv)")],
    limit: Annotated[int | None, typer.Option(help="Only the first N documents")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Report folder (coding.json, "
                                      "coding.html)")] = Path("evals/reports"),
    no_progress: NoProgress = False,
) -> None:
    """Score the coding co-pilot on CodiEsp, before and after simulated coder feedback.

    Recall@1/5/10, MAP and precision of the top k for ICD-10-CM and ICD-10-PCS; the gold
    of one part of the documents is fed back as coder decisions and the ranker is measured
    on the other part (the learning curve in the HTML report).
    """
    # evals.coding loads the extractor and simple_icd_10_cm at import time.
    from evals.coding import run as run_coding
    from evals.coding import write_reports

    try:
        with Bars(no_progress=no_progress, **_STREAMS) as bars:
            bars.stage("eval coding")
            report = run_coding(data_dir, limit)
        json_path, html_path = write_reports(report, out)
    except ClinicalAgentError as e:
        fail(e)
    typer.echo(f"-> {json_path}, {html_path}", err=True)


@eval_app.command("privacy")
@examples("clinagent eval privacy", "clinagent eval privacy --patients 200 --policy research")
def eval_privacy(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON report path (the releases go "
                                      "to a privacy/ folder next to it)")]
    = Path("evals/reports/privacy.json"),
    patients: Annotated[int, typer.Option(help="Patients of the generated corpus")] = 1000,
    policy: Annotated[str, typer.Option(help="The release policy that must pass")] = "strict",
    no_progress: NoProgress = False,
) -> None:
    """Linkage attack and re-identification risk before and after generalization.

    The demo corpus and a generated corpus are released under every policy; a public
    table (name, sex, birth date, ZIP) is linked back to them. Exit code 1 when --policy
    re-identifies more than privacy.max_linkage_share of the patients.
    """
    try:
        settings = load_settings()
        privacy = settings.privacy
        with Bars(no_progress=no_progress, **_STREAMS) as bars:
            bars.stage("eval privacy")
            report = run_privacy(out=out, n_patients=patients, policy=policy,
                                 settings=privacy)
    except ClinicalAgentError as e:
        fail(e)
    if not report["passed"]:
        raise typer.Exit(1)


eval_app.command("cohort")(eval_cohort)
