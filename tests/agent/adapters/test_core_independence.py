"""The core imports none of the adapters' packages: with langchain_core and
presidio_anonymizer made unimportable, the core modules import and work, and the adapters
fail with an ImportError that names the extra to install."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

# Fresh interpreters import the whole core (~15 s): the full gate runs them, the developer
# loop does not.
pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[3]
EXTRA_PACKAGES = ["langchain_core", "langchain", "presidio_anonymizer"]
# The faces and use cases, which between them import every core package.
CORE_MODULES = ["agent.cli", "agent.api.main", "agent.api.services", "agent.patient",
                "agent.verify", "agent.chat", "agent.handoff.build", "agent.extract.batch",
                "agent.deid.batch", "agent.deid.detector", "agent.deid.recognizers",
                "agent.indexing", "agent.batch.run", "agent.nlp.entities", "retrieval.retriever",
                "verifiers.crosscheck"]
LANGCHAIN_MODULES = ["agent.adapters.langchain_retriever", "agent.adapters.langchain_tools",
                     "agent.adapters.langchain_chat_model",
                     "agent.adapters.examples.langchain_chat"]
# ``sys.modules[name] = None`` makes ``import name`` raise ImportError, as if not installed.
BLOCK = """
import json, sys
ARGS = json.loads(sys.argv[1])
for name in ARGS["blocked"]:
    sys.modules[name] = None
"""
CORE_CHECK = """
import importlib
for name in ARGS["modules"]:
    importlib.import_module(name)
from typer.testing import CliRunner
from agent.cli import app
from agent.deid.anonymize import transform
from agent.schemas.deid import PhiSpan
from agent.verify import parse_summary
span = PhiSpan(entity_type="MRN", start=4, end=12, score=0.9, recognizer="t")
print(json.dumps({
    "help": CliRunner().invoke(app, ["--help"]).exit_code == 0,
    "redacted": transform("MRN 00482913", [span])[0],
    "statements": len(parse_summary("Started apixaban for AF.", patient_id="P1").statements),
    "loaded": [n for n in ARGS["blocked"] if sys.modules.get(n) is not None]}))
"""
ADAPTER_CHECK = """
import importlib
errors = {}
for module in ARGS["modules"]:
    try:
        importlib.import_module(module)
    except ImportError as e:
        errors[module] = str(e)
from agent.adapters import presidio_pack, spacy_components  # base dependencies only
try:
    presidio_pack.add_clinagent_operators(object())
except ImportError as e:
    errors["operators"] = str(e)
print(json.dumps(errors))
"""


def _run(code: str, modules: list[str]) -> dict:
    args = json.dumps({"blocked": EXTRA_PACKAGES, "modules": modules})
    out = subprocess.run([sys.executable, "-c", BLOCK + code, args], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_module_outside_the_adapters_imports_them_or_their_packages():
    bad = []
    for package in ("agent", "retrieval", "verifiers", "prompts"):
        for path in (ROOT / package).rglob("*.py"):
            if "adapters" in path.relative_to(ROOT).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                bad += [f"{path.relative_to(ROOT)}: {n}" for n in names
                        if n.split(".")[0] in EXTRA_PACKAGES
                        or n.startswith("agent.adapters")]
    assert not bad, "the core imports an adapter or its package:\n" + "\n".join(bad)


def test_without_the_extras_the_core_imports_and_works():
    result = _run(CORE_CHECK, CORE_MODULES)
    assert result == {"help": True, "redacted": "MRN [MRN]", "statements": 1, "loaded": []}


def test_without_the_extras_the_adapters_name_the_extra_to_install():
    errors = _run(ADAPTER_CHECK, LANGCHAIN_MODULES)
    assert set(errors) == {*LANGCHAIN_MODULES, "operators"}
    for module in LANGCHAIN_MODULES:
        assert 'pip install -e ".[langchain]"' in errors[module]
    assert 'pip install -e ".[presidio]"' in errors["operators"]
