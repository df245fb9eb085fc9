"""The module graph of the product code, read from the AST (nothing is imported).

Rules (STYLE.md "Dependencies point one way"; review architecture-2026-12 section 1.3):
no import cycle, counting imports inside functions too; ``verifiers/`` imports only
``agent.schemas``, ``agent.errors`` and itself; a first-party import inside a function says
why (a comment naming the heavy or optional dependency it defers); no private ``_name`` is
imported from another module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_PACKAGES = ("agent", "verifiers", "retrieval", "evals", "prompts")
# What the checker may depend on: the shared domain types and errors, nothing of the agent.
VERIFIER_ALLOWED = ("agent.schemas", "agent.errors", "verifiers")
# Loaded by the commands that need them, never by `clinagent --help` or `clinagent keys list`.
HEAVY = ("spacy", "medspacy", "torch", "sentence_transformers", "llama_cpp", "presidio_analyzer",
         "matplotlib", "fhir.resources", "fastapi", "sqlalchemy", "simple_icd_10_cm")


@dataclass(frozen=True)
class Import:
    """One first-party import statement: ``source`` imports ``target`` (a module)."""

    source: str
    target: str
    names: tuple[str, ...]
    path: Path
    line: int
    end_line: int
    is_lazy: bool  # inside a function (or a class body), not run at import time


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _is_first_party(name: str) -> bool:
    return name.split(".")[0] in PRODUCT_PACKAGES


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, is_lazy: bool):
    """Yield ``(import node, is_lazy)``; imports under ``if TYPE_CHECKING:`` never run."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, is_lazy
        inner = is_lazy or isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef)
        yield from _walk(child, inner)


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_package = _modules()[module].name == "__init__.py"
    base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def _imports() -> tuple[Import, ...]:
    modules = _modules()
    found: list[Import] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, is_lazy in _walk(tree, False):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if _is_first_party(alias.name):
                        found.append(Import(module, alias.name, (), path, node.lineno,
                                            node.end_lineno or node.lineno, is_lazy))
                continue
            base = _resolve(module, node)
            if not _is_first_party(base):
                continue
            names = tuple(alias.name for alias in node.names)
            # ``from pkg import sub`` imports the sub-module; ``from mod import name`` the module.
            subs = [f"{base}.{n}" for n in names if f"{base}.{n}" in modules]
            for target in subs or [base]:
                found.append(Import(module, target, names, path, node.lineno,
                                    node.end_lineno or node.lineno, is_lazy))
    return tuple(found)


def _where(imp: Import) -> str:
    return f"{imp.path.relative_to(ROOT)}:{imp.line}"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), plus self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def test_the_module_graph_has_no_import_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for imp in _imports():
        if imp.target in _modules() and imp.target != imp.source:
            edges.setdefault(imp.source, set()).add(imp.target)
    cycles = _cycles(edges)
    assert not cycles, "import cycles (top-level and function-level imports):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def test_verifiers_import_only_schemas_errors_and_themselves() -> None:
    bad = [f"{_where(imp)} imports {imp.target}" for imp in _imports()
           if imp.source.split(".")[0] == "verifiers"
           and not any(imp.target == a or imp.target.startswith(a + ".")
                       for a in VERIFIER_ALLOWED)]
    assert not bad, "verifiers/ reaches outside agent.schemas/agent.errors:\n" + "\n".join(bad)


def _is_explained(imp: Import, ends: dict[int, int], lines: list[str]) -> bool:
    """A comment on the import's line or the line above, or above the block of imports
    that this one continues (``ends`` maps an import's last line to its first)."""
    line = imp.line
    while True:
        if "#" in lines[line - 1]:
            return True
        above = line - 1
        if above < 1:
            return False
        if lines[above - 1].strip().startswith("#"):
            return True
        if above not in ends:
            return False
        line = ends[above]


def test_every_function_level_import_says_why() -> None:
    bad = []
    for imp in _imports():
        if not imp.is_lazy:
            continue
        lines = imp.path.read_text(encoding="utf-8").splitlines()
        ends = {i.end_line: i.line for i in _imports() if i.path == imp.path and i.is_lazy}
        if not _is_explained(imp, ends, lines):
            bad.append(f"{_where(imp)} imports {imp.target}")
    assert not bad, ("first-party imports inside functions without a comment naming the heavy "
                     "or optional dependency they defer (or hoist them):\n" + "\n".join(bad))


def test_no_private_name_is_imported_from_another_module() -> None:
    bad = [f"{_where(imp)} imports {name} from {imp.target}" for imp in _imports()
           for name in imp.names
           if name.startswith("_") and not name.startswith("__")
           and f"{imp.target}.{name}" not in _modules()]
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


def test_the_cli_starts_without_the_models_or_the_service_stack() -> None:
    # A first-party import that pulls one of these in belongs inside the command that
    # needs it, with a comment (see test_every_function_level_import_says_why).
    code = f"import sys, agent.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"
