"""Seconds per handoff for a 20-note patient: extractive mode and the hierarchical LLM mode
(local SmolLM2 via agent/llm by default), with per-call token counts.

No demo patient has 20 notes, so one is built from P001's 6 notes repeated with new note
ids and dates shifted by a week per copy (every offset stays valid).

    python benchmarks/handoff_speed.py                          # extractive only
    python benchmarks/handoff_speed.py --llm --llm-notes 3      # + LLM on the first 3 notes
    python benchmarks/handoff_speed.py --llm --base-url http://127.0.0.1:8000/v1 --model NAME

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta


def build_patient(n_notes: int = 20, source: str = "P001"):
    """``n_notes`` notes of one synthetic patient, copies of ``source``'s notes."""
    from evals.synthetic import load_notes

    base = [n for n in load_notes() if n.patient_id == source]
    out = []
    copy = 0
    while len(out) < n_notes:
        for n in base:
            if len(out) >= n_notes:
                break
            day = date.fromisoformat(n.date) + timedelta(weeks=copy) if n.date else None
            out.append(n.model_copy(update={
                "patient_id": "BENCH20", "note_id": f"{n.note_id}-c{copy}",
                "date": day.isoformat() if day else None}))
        copy += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="extractive runs (best kept)")
    parser.add_argument("--llm", action="store_true", help="also time the LLM mode")
    parser.add_argument("--llm-notes", type=int, default=None,
                        help="LLM mode on the first N notes only (SmolLM2 on CPU is slow)")
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--max-tokens", type=int, default=384)
    args = parser.parse_args()

    from agent.config import LLMSettings, Settings
    from agent.extract.batch import make_extractor
    from agent.handoff.build import handoff_for_patient

    settings = Settings()
    notes = build_patient(args.notes)
    started = time.perf_counter()
    extractor = make_extractor(settings)
    load_s = time.perf_counter() - started
    runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        summary = handoff_for_patient(notes, settings, extractor=extractor)
        runs.append(time.perf_counter() - t0)
    result = {"notes": len(notes), "chars": sum(len(n.text) for n in notes),
              "extractor_load_s": round(load_s, 2),
              "extractive_s_per_handoff": round(min(runs), 2),
              "extractive_runs_s": [round(r, 2) for r in runs],
              "statements": len(summary.statements), "omissions": len(summary.omissions)}
    if args.llm:
        fields = {"n_ctx": args.n_ctx, "max_tokens": args.max_tokens}
        if args.base_url:
            fields.update(backend="openai_compat", base_url=args.base_url, model=args.model,
                          json_mode="json_object")
        llm_settings = settings.model_copy(update={
            "llm": LLMSettings.model_validate({**settings.llm.model_dump(), **fields})})
        subset = notes[: args.llm_notes] if args.llm_notes else notes
        from agent.llm.factory import make_backend

        t0 = time.perf_counter()
        backend = make_backend(llm_settings.llm)
        llm_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = handoff_for_patient(subset, llm_settings, use_llm=True, backend=backend,
                                      extractor=extractor)
        llm_s = time.perf_counter() - t0
        calls = summary.llm_calls
        result["llm"] = {
            "backend": summary.provenance.backend, "model": summary.provenance.model,
            "notes": len(subset), "load_s": round(llm_load, 2),
            "s_per_handoff": round(llm_s, 2),
            "s_per_note": round(llm_s / len(subset), 2),
            "calls": len(calls), "failed_calls": sum(1 for c in calls if c.error),
            "prompt_tokens": sum(c.prompt_tokens for c in calls),
            "completion_tokens": sum(c.completion_tokens for c in calls),
            "per_call": [{"level": c.level, "scope": c.scope, "prompt_tokens": c.prompt_tokens,
                          "completion_tokens": c.completion_tokens, "attempts": c.attempts,
                          "seconds": c.seconds, "failed": c.error is not None}
                         for c in calls],
            "flags": summary.flags, "mode": summary.mode,
            "llm_statements": sum(1 for s in summary.statements if s.origin == "llm")}
    print(json.dumps(result, indent=1))  # noqa: T201 - a benchmark script's output


if __name__ == "__main__":
    main()
