"""Loader for the versioned prompt files ``prompts/<task>/<name>.v<N>.yaml``.

Files are read through ``importlib.resources`` (they ship as package data) and rendered in a
jinja2 sandbox with strict undefined variables, so a missing variable is a
:class:`~agent.errors.PromptError`, never an empty string.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import ValidationError

from agent.errors import PromptError
from agent.schemas.llm import PromptTemplate

_VERSIONED = re.compile(r"^(?P<name>[a-z0-9_]+)\.v(?P<version>\d+)\.yaml$")
_ENV = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=False,
                           autoescape=False)


@dataclass(frozen=True)
class LoadedPrompt:
    """A validated prompt file plus its identity (``id@version`` and the file's sha256)."""

    template: PromptTemplate
    sha256: str
    path: str

    @property
    def ref(self) -> str:
        """``id@version``, as recorded in every output."""
        return f"{self.template.id}@{self.template.version}"

    def render(self, **variables: object) -> list[dict[str, str]]:
        """Render the prompt into chat messages.

        Args:
            **variables: exactly the names listed in the file's ``inputs``.

        Returns:
            ``[{"role": "system", ...}, {"role": "user", ...}]`` (no system message when the
            file's ``system`` is empty).

        Raises:
            PromptError: a declared input is missing, an undeclared one is given, or the
                template does not render.
        """
        declared = set(self.template.inputs)
        missing, extra = declared - variables.keys(), variables.keys() - declared
        if missing or extra:
            raise PromptError(
                f"prompt {self.ref} ({self.path}): missing inputs {sorted(missing)}, "
                f"undeclared inputs {sorted(extra)}. Pass exactly {sorted(declared)}")
        messages = []
        for role in ("system", "user"):
            source = getattr(self.template, role)
            if not source and role == "system":
                continue
            try:
                content = _ENV.from_string(source).render(**variables)
            except TemplateError as e:
                raise PromptError(f"prompt {self.ref} ({self.path}) {role}: {e}. "
                                  "Fix the template or the inputs") from e
            messages.append({"role": role, "content": content})
        return messages


def _versions(task: str, name: str) -> dict[int, str]:
    try:
        folder = resources.files(__package__).joinpath(task)
        entries = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    except (FileNotFoundError, NotADirectoryError) as e:
        raise PromptError(f"prompt folder {task!r} not found in package prompts") from e
    out = {}
    for entry in entries:
        m = _VERSIONED.match(entry)
        if m and m["name"] == name:
            out[int(m["version"])] = entry
    return out


@lru_cache(maxsize=64)
def load_prompt(task: str, name: str, version: int | None = None) -> LoadedPrompt:
    """Load ``prompts/<task>/<name>.v<version>.yaml`` (the highest version when None).

    Raises:
        PromptError: no such file, invalid YAML, unknown/missing keys, or an ``id``/
            ``version`` that does not match the file name.
    """
    versions = _versions(task, name)
    if not versions:
        raise PromptError(f"no prompt file prompts/{task}/{name}.v<N>.yaml. "
                          "Add one or fix the task/name")
    version = max(versions) if version is None else version
    if version not in versions:
        raise PromptError(f"prompt {task}/{name} has no version {version}; "
                          f"available: {sorted(versions)}")
    path = f"prompts/{task}/{versions[version]}"
    raw = resources.files(__package__).joinpath(task, versions[version]).read_bytes()
    try:
        data = yaml.safe_load(raw)
        template = PromptTemplate.model_validate(data)
    except (yaml.YAMLError, ValidationError) as e:
        raise PromptError(f"{path}: invalid prompt file: {e}") from e
    if template.id != f"{task}/{name}" or template.version != version:
        raise PromptError(f"{path}: id/version {template.id}@{template.version} do not "
                          f"match the file name; expected {task}/{name}@{version}")
    return LoadedPrompt(template, hashlib.sha256(raw).hexdigest(), path)
