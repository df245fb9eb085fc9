"""One exception hierarchy for the whole product.

Every error carries structured fields and a message that tells the user what to do next.
Messages never contain note text: notes are referred to by id, line number and offsets,
because note text may hold PHI.
"""

from __future__ import annotations


class ClinicalAgentError(Exception):
    """Root of every error clinagent raises on purpose."""


class ConfigError(ClinicalAgentError):
    """A setting is missing, misspelled or an unsafe combination."""

    def __init__(self, setting: str, problem: str, fix: str) -> None:
        self.setting = setting
        self.problem = problem
        self.fix = fix
        super().__init__(f"setting {setting!r}: {problem}. {fix}")


class InputError(ClinicalAgentError):
    """Notes could not be read: bad path, bad encoding, bad JSON line or field.

    Attributes:
        source: the file (or folder) being read.
        line: 1-based line number for JSON Lines input, None otherwise.
        field: the offending field name, None when the whole line is bad.
        patient_id: the patient of the unreadable note when the line still names one (so a
            handoff can tell whether the gap concerns its patient), else None. Never part of
            the message: patient ids may be MRNs.
    """

    def __init__(
        self, source: str, problem: str, *, line: int | None = None, field: str | None = None,
        fix: str = "", patient_id: str | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.problem = problem
        self.patient_id = patient_id
        where = source
        if line is not None:
            where += f" line {line}"
        if field is not None:
            where += f" field {field!r}"
        msg = f"{where}: {problem}"
        if fix:
            msg += f". {fix}"
        super().__init__(msg)


class RuleFileError(ClinicalAgentError):
    """A rule or lexicon data file is invalid; names the file and the entry index."""

    def __init__(self, path: str, problem: str, *, index: int | None = None) -> None:
        self.path = path
        self.index = index
        self.problem = problem
        where = path if index is None else f"{path} entry {index}"
        super().__init__(f"{where}: {problem}. Fix the rule file; it is validated at load time.")


class VocabularyError(ClinicalAgentError):
    """A vocabulary (drug list, ICD table, user RxNorm file) is missing or unreadable."""

    def __init__(self, name: str, problem: str, fix: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"vocabulary {name!r}: {problem}. {fix}")


class BackendUnavailable(ClinicalAgentError):
    """The configured LLM server cannot be reached and no fallback is configured."""


class ExtractionFailed(ClinicalAgentError):
    """Structured extraction failed after all retries."""

    def __init__(self, attempts: int, last_error: str, *, prompt_tokens: int = 0,
                 completion_tokens: int = 0) -> None:
        self.attempts = attempts
        self.last_error = last_error
        # Tokens spent on the failed attempts, so cost accounting stays complete.
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        super().__init__(
            f"extraction failed after {attempts} attempt(s): {last_error}. "
            "Check the model and prompt, or raise llm.max_retries."
        )


class PromptTooLong(ClinicalAgentError):
    """A rendered prompt plus the reply budget does not fit the model's context window.

    The caller splits the chunk further; it is never truncated.
    """

    def __init__(self, n_ctx: int, detail: str) -> None:
        self.n_ctx = n_ctx
        self.detail = detail
        super().__init__(f"prompt does not fit the context of {n_ctx} tokens ({detail}). "
                         "Raise llm.n_ctx or lower llm.max_tokens")


class PromptError(ClinicalAgentError):
    """A prompt file is missing, invalid, or rendered with a missing variable."""


class VerificationError(ClinicalAgentError):
    """A summary or fact could not be verified (malformed input, unknown note id)."""


class RetrievalIndexError(ClinicalAgentError):
    """An index directory is missing, corrupted, or built with another embedder/chunker.

    Attributes:
        path: the index directory.
        problem: what is wrong (ids and counts only, never note text).
        fix: what to do next.
    """

    def __init__(self, path: str, problem: str, fix: str) -> None:
        self.path = path
        self.problem = problem
        self.fix = fix
        super().__init__(f"index {path}: {problem}. {fix}")


class AccessError(ClinicalAgentError):
    """A request of the HTTP service is refused (no or bad API key, missing scope, rate
    limit, too large, not found, timed out). ``status`` is the HTTP status it maps to.

    Attributes:
        status: HTTP status code.
        title: short problem title (RFC 9457 ``title``).
        detail: what is wrong and what to do next (ids only, never note text).
    """

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, retry_after: int | None = None) -> None:
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(detail)


class AuthenticationRequired(AccessError):
    """No API key, or an unknown / revoked one (HTTP 401)."""

    status = 401
    title = "Authentication required"


class PermissionDenied(AccessError):
    """The API key lacks the operation or patient scope (HTTP 403; audited)."""

    status = 403
    title = "Forbidden"


class NotFound(AccessError):
    """No such patient, note or job (HTTP 404)."""

    status = 404
    title = "Not found"


class RateLimited(AccessError):
    """The API key sent more requests than ``api.rate_limit_per_minute`` (HTTP 429)."""

    status = 429
    title = "Too many requests"


class RequestTimeout(AccessError):
    """Synchronous work ran past ``api.request_timeout_s`` (HTTP 504)."""

    status = 504
    title = "Request timed out"


class DeadlineExceeded(RequestTimeout):
    """Work ran past its deadline and was stopped at its next checkpoint (HTTP 504).

    Attributes:
        setting: the setting that set the deadline (``api.request_timeout_s``...).
        seconds: the deadline in seconds.
    """

    def __init__(self, setting: str, seconds: float) -> None:
        self.setting = setting
        self.seconds = seconds
        super().__init__(f"the work took longer than {seconds:g} s ({setting}) and was "
                         "stopped; large inputs run as background jobs (202, then GET "
                         "/v1/jobs/{id}) above api.sync_max_chars")


class IdempotencyConflict(AccessError):
    """A request with this ``Idempotency-Key`` is still being processed (HTTP 409)."""

    status = 409
    title = "Request in progress"


class IdempotencyKeyReused(AccessError):
    """An ``Idempotency-Key`` was sent again with another request (HTTP 422)."""

    status = 422
    title = "Idempotency key reused"


class PatientBusy(AccessError):
    """A patient cannot be deleted while one of its jobs is queued or running (HTTP 409):
    the job would write a summary after the deletion."""

    status = 409
    title = "Patient busy"
