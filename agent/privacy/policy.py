"""Release policies: named, versioned generalization choices for the quasi-identifiers,
read from ``policies.yaml`` (validated) and written into every output they shape."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import ConfigError, RuleFileError

POLICY_FILE = "policies.yaml"

AgeRule = Literal["exact", "band5", "band10", "suppress"]
ZipRule = Literal["zip3", "suppress"]
DateRule = Literal["deid", "month", "year"]
DiagnosisRule = Literal["keep", "category", "suppress_rare"]
OccupationRule = Literal["keep", "group", "suppress"]
CountryRule = Literal["keep", "region", "suppress"]
# The fields a policy sets, in the order reports list them.
POLICY_FIELDS: tuple[str, ...] = ("age", "zip", "dates", "diagnosis", "occupation", "country")


class ReleasePolicy(BaseModel):
    """One release policy (an entry of ``policies.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    description: str = ""
    age: AgeRule
    zip: ZipRule
    dates: DateRule
    diagnosis: DiagnosisRule
    occupation: OccupationRule
    country: CountryRule

    @property
    def label(self) -> str:
        """``name@vN``: what outputs and audits record."""
        return f"{self.name}@v{self.version}"


class PolicySet(BaseModel):
    """The policies of one file and its sha256."""

    model_config = ConfigDict(frozen=True)

    policies: dict[str, ReleasePolicy]
    sha256: str
    path: str

    def get(self, name: str) -> ReleasePolicy:
        """The policy called ``name``.

        Raises:
            ConfigError: no such policy; lists the valid names.
        """
        if name not in self.policies:
            raise ConfigError("privacy.release_policy", f"unknown release policy {name!r}",
                              f"Use one of: {', '.join(sorted(self.policies))} (defined in "
                              f"{Path(self.path).name})")
        return self.policies[name]


def _field_error(e: ValidationError) -> str:
    """The first validation problem, naming the field and the valid choices."""
    first = e.errors()[0]
    loc = ".".join(str(x) for x in first["loc"])
    if first["type"] == "extra_forbidden":
        return (f"unknown field {loc!r}; valid fields: name, version, description, "
                f"{', '.join(POLICY_FIELDS)}")
    if first["type"] == "literal_error":
        return f"{loc}: {first['msg']}"
    if first["type"] == "missing":
        return f"missing field {loc!r} (every policy sets {', '.join(POLICY_FIELDS)})"
    return f"{loc}: {first['msg']}"


def parse_policies(raw: object, source: str) -> dict[str, ReleasePolicy]:
    """Validate the parsed YAML of a policies file.

    Raises:
        RuleFileError: not a mapping with ``release_policies``, an unknown field or value,
            a duplicate name; names the file and the entry index.
    """
    if not isinstance(raw, dict) or set(raw) != {"release_policies"}:
        raise RuleFileError(source, "the top level must be a mapping with the one key "
                            "'release_policies' (a list of policies)")
    entries = raw["release_policies"]
    if not isinstance(entries, list) or not entries:
        raise RuleFileError(source, "'release_policies' must be a non-empty list")
    out: dict[str, ReleasePolicy] = {}
    for i, entry in enumerate(entries):
        try:
            policy = ReleasePolicy.model_validate(entry)
        except ValidationError as e:
            raise RuleFileError(source, _field_error(e), index=i) from e
        if policy.name in out:
            raise RuleFileError(source, f"duplicate policy name {policy.name!r}", index=i)
        out[policy.name] = policy
    return out


def policy_path() -> Path:
    """The packaged policies file."""
    return Path(str(files("agent.privacy").joinpath(POLICY_FILE)))


@lru_cache(maxsize=8)
def load_policies(path: str | None = None) -> PolicySet:
    """Read and validate a policies file (the packaged one by default), cached per path.

    Raises:
        RuleFileError: unreadable YAML or an invalid policy.
    """
    import yaml

    p = Path(path) if path else policy_path()
    raw_bytes = p.read_bytes()
    try:
        raw = yaml.safe_load(raw_bytes)
    except yaml.YAMLError as e:
        raise RuleFileError(p.name, f"not valid YAML ({type(e).__name__})") from e
    return PolicySet(policies=parse_policies(raw, p.name),
                     sha256=hashlib.sha256(raw_bytes).hexdigest(), path=str(p))


def policy_from(name: str, *, policy_file: str | None = None) -> ReleasePolicy:
    """The policy called ``name`` in ``policy_file`` (default: the packaged file).

    Raises:
        ConfigError: an unknown name (the valid ones are listed).
        RuleFileError: the file is invalid.
    """
    return load_policies(policy_file).get(name)


def with_overrides(policy: ReleasePolicy, overrides: dict[str, str]) -> ReleasePolicy:
    """A copy of ``policy`` with some fields set otherwise (the report's lattice search).

    Raises:
        ConfigError: an unknown field or value; lists the valid ones.
    """
    unknown = sorted(set(overrides) - set(POLICY_FIELDS))
    if unknown:
        raise ConfigError("policy", f"unknown policy field(s) {', '.join(unknown)}",
                          f"Use fields from: {', '.join(POLICY_FIELDS)}")
    try:
        return ReleasePolicy.model_validate({**policy.model_dump(), **overrides})
    except ValidationError as e:
        raise ConfigError("policy", _field_error(e), "Pick one of the listed values") from e
