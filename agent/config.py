"""Settings, read from ``CLINAGENT_*`` environment variables and ``clinagent.env``.

Library code never reads settings itself: ``cli.py`` (and later the API) call
:func:`get_settings` and pass values down.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ExtractionSettings(BaseModel):
    """The deterministic extractor."""

    model_config = ConfigDict(extra="forbid")

    rules_dir: Path | None = Field(
        default=None,
        description="Directory with replacement rule files (context.json, sections.json, "
        "targets.json...); None uses the packaged rules.",
    )
    rxnorm_path: Path | None = Field(
        default=None,
        description="Path to a user-supplied RxNorm RXNCONSO.RRF; adds RXNORM codes to drugs.",
    )
    include_anatomy: bool = Field(
        default=False, description="Also report ANATOMY entities (body sites)."
    )
    max_codes: int = Field(default=5, ge=0, le=20, description="Code candidates per entity.")

    @field_validator("rxnorm_path", "rules_dir")
    @classmethod
    def _must_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.exists():
            raise ValueError(f"{value} does not exist; fix the path or unset the setting")
        return value


class Settings(BaseSettings):
    """All clinagent settings.

    Nested values use ``__``: ``CLINAGENT_EXTRACTION__RXNORM_PATH=/data/RXNCONSO.RRF``.
    A dedicated env file (not a shared ``.env``) lets ``extra="forbid"`` catch misspelled
    keys without tripping over other programs' variables.
    """

    model_config = SettingsConfigDict(
        env_prefix="CLINAGENT_",
        env_nested_delimiter="__",
        env_file="clinagent.env",
        extra="forbid",
    )

    extraction: ExtractionSettings = Field(default_factory=ExtractionSettings)
    max_note_chars: int = Field(
        default=5_000_000, ge=1,
        description="Notes longer than this are rejected with an error (never truncated).",
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (only the CLI and the API call this)."""
    return Settings()
