"""The provenance every adapter output carries: clinagent's version and the hashes of the
rule files it read, as the CLI records them."""

from __future__ import annotations

from agent.rules import Rules
from agent.schemas.extraction import Provenance
from agent.version import package_version


def adapter_provenance(producer: str, rules: Rules | None = None, *,
                       rules_sha256: str | None = None) -> Provenance:
    """Provenance of an adapter output.

    Args:
        producer: the adapter, e.g. ``clinagent.adapters.langchain.search``.
        rules: the rule set used (its timeline and verifier files are hashed, as
            ``clinagent handoff`` records them).
        rules_sha256: the hashes when they come from elsewhere (the extractor's own
            provenance, the recognizer pack's sha256).

    Returns:
        The provenance record.
    """
    return Provenance(producer=producer, package_version=package_version(), backend="rules",
                      rules_sha256=rules_sha256 if rules_sha256 is not None
                      else (rules.provenance() if rules is not None else None))
