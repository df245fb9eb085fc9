"""``clinagent verify SUMMARY NOTES``: verify any summary against a patient's notes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import (
    LLMBaseUrl,
    LLMModel,
    fail,
    llm_settings,
    load_settings,
    patient_notes,
    write_text_output,
)
from agent.cli.helptext import examples
from agent.cli.progress import Bars, CountingBackend, CountingExtractor, NoProgress
from agent.errors import ClinicalAgentError, InputError
from agent.extract.batch import make_extractor
from agent.handoff.render import to_markdown
from agent.llm.factory import make_backend
from agent.notes import read_notes
from agent.rules import rules_for
from agent.schemas.verification import VERDICTS


@examples(
    "clinagent verify out/P001.json notes.jsonl --patient P001",
    "clinagent verify summary.md notes.jsonl --patient P001 --format md",
    "clinagent verify summary.md notes.jsonl --patient P001 --judge",
)
def verify(
    summary: Annotated[Path, typer.Argument(
        help="clinagent handoff JSON, or a Markdown/plain-text summary written by anyone")],
    notes: Annotated[Path, typer.Argument(help="JSON Lines file, .txt file or folder")],
    patient: Annotated[str | None, typer.Option(
        "--patient", help="patient_id (default: the JSON summary's, or the only patient "
        "in NOTES)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json or md")] = "json",
    out: Annotated[str, typer.Option("--out", "-o", help="Output file ('-' = stdout)")]
    = "-",
    encoding: Annotated[str, typer.Option(help="Encoding of .txt note inputs")] = "utf-8",
    judge: Annotated[bool, typer.Option(
        "--judge", help="Add an LLM's second opinion per statement (default backend: local "
        "SmolLM2; labelled as a model opinion; it can lower a verdict, never raise one)")]
    = False,
    llm_base_url: LLMBaseUrl = None,
    llm_model: LLMModel = None,
    no_progress: NoProgress = False,
) -> None:
    """Check every statement of a summary against the patient's notes.

    Each statement is SUPPORTED, CONTRADICTED (with the reason: negation flip, wrong
    dose, route, frequency or value, wrong temporality or experiencer, a stopped drug as
    current, a ruled-out diagnosis as active), UNSUPPORTED or NOT_CHECKABLE. Omissions are
    listed: active problems, current medications and changes, allergies, pending items,
    code status. Nothing is removed. The exit code is 1 if anything is CONTRADICTED.
    """
    # agent.verify loads the spaCy/medspaCy pipeline (note layout, timeline) at import time.
    from agent.verify import read_summary, verify_patient

    if fmt not in ("json", "md"):
        fail(InputError("--format", f"unknown format {fmt!r}", fix="Use json or md"))
        return
    try:
        settings = load_settings()
        batch = read_notes(notes, patient_id=patient or "unknown", encoding=encoding,
                           max_chars=settings.max_note_chars)
        found = sorted({n.patient_id for n in batch.notes})
        parsed = read_summary(summary, patient_id=patient or "unknown")
        pid = patient or (parsed.patient_id if parsed.mode != "external" else None)
        if pid is None and len(found) == 1:
            pid = found[0]
        mine = patient_notes(batch, pid, notes)
        if parsed.mode == "external":
            parsed = parsed.model_copy(update={"patient_id": pid,
                                               "note_ids": [n.note_id for n in mine]})
        with Bars(no_progress=no_progress) as bars:
            model_judge = None
            if judge or llm_base_url or llm_model:
                # Deferred: the LLM stack (instructor, the backend), only with --judge.
                from agent.judge import LLMJudge

                settings = llm_settings(settings, llm_base_url, llm_model)
                model_judge = LLMJudge(
                    CountingBackend(make_backend(settings.llm), bars, "LLM judge calls"),
                    max_retries=settings.llm.max_retries)
            extractor = CountingExtractor(make_extractor(settings), bars, len(mine),
                                          statements=len(parsed.statements))
            verified = verify_patient(parsed, mine, extractor, rules_for(settings),
                                      judge=model_judge)
        if fmt == "json":
            text = verified.model_dump_json(indent=1) + "\n"
        else:
            text = to_markdown(verified, {n.note_id: n for n in mine})
    except ClinicalAgentError as e:
        fail(e)
        return
    write_text_output(text, out, batch)
    counts = {v: 0 for v in VERDICTS}
    for st in verified.statements:
        counts[st.verification.verdict] += 1
    typer.echo(f"{'verdict':<15}{'statements':>10}", err=True)
    for verdict, n in counts.items():
        typer.echo(f"{verdict:<15}{n:>10}", err=True)
    typer.echo(f"{'omissions':<15}{len(verified.omissions):>10}"
               + ("" if out == "-" else f"  -> {out}"), err=True)
    if counts["CONTRADICTED"]:
        raise typer.Exit(code=1)

