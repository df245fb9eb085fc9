"""``clinagent fhir``: ``clinagent extract`` output -> a FHIR R5/R4B Bundle."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import fail
from agent.cli.helptext import examples
from agent.errors import ClinicalAgentError
from agent.extract.batch import atomic_text_file
from agent.fhir import extraction_bundle
from agent.fhir.extraction import read_extractions


@examples(
    "clinagent extract notes.jsonl -o out/extract.jsonl",
    "clinagent fhir out/extract.jsonl --patient P001 -o out/P001.fhir.json",
    "clinagent fhir out/extract.jsonl --patient P001 --version R4B",
)
def fhir(
    extractions: Annotated[Path, typer.Argument(help="JSON Lines written by `clinagent "
                                                "extract`")],
    patient: Annotated[str, typer.Option("--patient", help="patient_id to convert")],
    out: Annotated[str, typer.Option("--out", "-o", help="Output JSON file ('-' = stdout)")]
    = "-",
    version: Annotated[str, typer.Option("--version", help="FHIR version: R5 or R4B")] = "R5",
) -> None:
    """Convert one patient's extracted entities into a FHIR Bundle.

    A collection Bundle of Condition, MedicationStatement, Observation, Procedure,
    AllergyIntolerance, FamilyMemberHistory and Provenance resources, validated by
    fhir.resources. Each resource keeps its note id and offsets; mentions that cannot be
    exported are listed in an OperationOutcome.
    """
    try:
        records, issues = read_extractions(extractions, patient)
        bundle = extraction_bundle(records, patient, version, input_issues=issues)
    except ClinicalAgentError as e:
        fail(e)
    text = json.dumps(bundle, indent=1, ensure_ascii=False) + "\n"
    if out == "-":
        typer.echo(text, nl=False)
    else:
        with atomic_text_file(out) as fh:
            fh.write(text)
    counts = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    excluded = sum(len(e["resource"]["issue"]) for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "OperationOutcome") - len(issues)
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())
                        if kind not in ("OperationOutcome",))
    typer.echo(f"FHIR {version.upper()} bundle of "
               f"{len(records)} note(s): {summary}; {excluded} mention(s) not exported "
               f"(listed in the OperationOutcome)" + ("" if out == "-" else f" -> {out}"),
               err=True)
    if issues:
        typer.echo(f"warning: partial input: {len(issues)} note line(s) could not be read by "
                   "clinagent extract; the bundle says so in its OperationOutcome", err=True)
