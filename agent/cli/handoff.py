"""``clinagent handoff``: one patient's notes -> a verified I-PASS handoff."""

from __future__ import annotations

import json
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
from agent.errors import BackendUnavailable, ClinicalAgentError, InputError
from agent.extract.batch import make_extractor
from agent.fhir import handoff_composition
from agent.handoff.render import to_markdown
from agent.llm.factory import make_backend
from agent.notes import issues_of_patient, read_notes


@examples(
    "clinagent handoff notes.jsonl --patient P001 -o out/P001.md",
    "clinagent handoff notes.jsonl --patient P001 --format json -o P001.json",
    "clinagent handoff notes.jsonl --patient P001 --format fhir -o P001.fhir",
    "clinagent handoff notes.jsonl --patient P001 --llm",
)
def handoff(
    notes: Annotated[Path, typer.Argument(help="JSON Lines file, .txt file or folder")],
    patient: Annotated[str, typer.Option("--patient", help="patient_id to summarize")],
    fmt: Annotated[str, typer.Option("--format", help="md, json or fhir (a FHIR R5 "
                                     "document Bundle with the Composition)")] = "md",
    out: Annotated[str, typer.Option("--out", "-o", help="Output file ('-' = stdout)")]
    = "-",
    encoding: Annotated[str, typer.Option(help="Encoding of .txt inputs")] = "utf-8",
    llm: Annotated[bool, typer.Option(
        "--llm", help="Write the narrative sections with the hierarchical LLM summary "
        "(default backend: local SmolLM2); falls back to extractive if it is down")] = False,
    llm_base_url: LLMBaseUrl = None,
    llm_model: LLMModel = None,
    no_progress: NoProgress = False,
) -> None:
    """Write one patient's I-PASS handoff summary, every statement verified.

    Sections: illness severity, patient summary, active problems, current medications
    with their changes, allergies, pending results, action list, situation awareness.
    Every statement cites note id and offsets and carries the verifier's verdict;
    omissions are listed. Works offline (extractive) by default. Input lines that could
    not be read are listed at the top of the output, and the exit code is then 1.
    """
    # agent.handoff loads the spaCy/medspaCy pipeline (note layout) at import time.
    from agent.handoff.build import handoff_for_patient

    if fmt not in ("md", "json", "fhir"):
        fail(InputError("--format", f"unknown format {fmt!r}", fix="Use md, json or fhir"))
        return
    try:
        settings = load_settings()
        use_llm = bool(llm or llm_base_url or llm_model)
        if use_llm:
            settings = llm_settings(settings, llm_base_url, llm_model)
        batch = read_notes(notes, patient_id=patient, encoding=encoding,
                           max_chars=settings.max_note_chars)
        mine = patient_notes(batch, patient, notes)
        # Skipped lines travel inside the handoff (banner, JSON field, FHIR section), not
        # only on stderr: a handoff missing a note must not look complete.
        with Bars(no_progress=no_progress) as bars:
            extractor = CountingExtractor(make_extractor(settings), bars, len(mine),
                                          then="summarizing")
            summary = handoff_for_patient(mine, settings, use_llm=use_llm,
                                          backend=_counted_backend(settings, bars, use_llm),
                                          extractor=extractor,
                                          input_issues=issues_of_patient(batch.errors,
                                                                         patient))
        if fmt == "md":
            text = to_markdown(summary, {n.note_id: n for n in mine})
        elif fmt == "json":
            text = summary.model_dump_json(indent=1) + "\n"
        else:
            text = json.dumps(handoff_composition(summary), indent=1,
                              ensure_ascii=False) + "\n"
    except ClinicalAgentError as e:
        fail(e)
        return
    write_text_output(text, out, batch)
    verdicts: dict[str, int] = {}
    for st in summary.statements:
        key = st.verification.verdict if st.verification else "UNVERIFIED"
        verdicts[key] = verdicts.get(key, 0) + 1
    typer.echo(f"handoff of {patient}: {len(summary.statements)} statements from "
               f"{len(mine)} note(s) ({summary.mode}); "
               + ", ".join(f"{n} {k}" for k, n in sorted(verdicts.items()))
               + f"; {len(summary.omissions)} omission(s)"
               + ("" if out == "-" else f" -> {out}"), err=True)
    for flag in summary.flags:
        typer.echo(f"warning: {flag}", err=True)
    if batch.errors:
        raise typer.Exit(code=1)


def _counted_backend(settings, bars: Bars, use_llm: bool) -> CountingBackend | None:
    """The LLM backend with its calls counted in the bars; None without --llm, or when it
    cannot be made (the handoff then makes it again, fails the same way and flags the
    extractive fallback)."""
    if not use_llm:
        return None
    try:
        return CountingBackend(make_backend(settings.llm), bars)
    except BackendUnavailable:
        return None
