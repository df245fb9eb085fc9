"""The settings an adapter runs with when the caller passes none: ``CLINAGENT_*`` variables
and ``clinagent.env``, read and validated as the CLI reads them."""

from __future__ import annotations

from pydantic import ValidationError

from agent.config import Settings, get_settings
from agent.errors import ConfigError


def resolve_settings(settings: Settings | None) -> Settings:
    """``settings``, or the environment's settings when None.

    Raises:
        ConfigError: a ``CLINAGENT_*`` setting is invalid (names the first invalid key).
    """
    if settings is not None:
        return settings
    try:
        return get_settings()
    except ValidationError as e:
        first = e.errors()[0]
        raise ConfigError(".".join(map(str, first["loc"])), first["msg"],
                          "Fix the CLINAGENT_* variable or clinagent.env, or pass settings="
                          ) from e
