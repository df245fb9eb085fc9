"""Errors as RFC 9457 problem details (``application/problem+json``).

Domain code raises :class:`~agent.errors.ClinicalAgentError` subclasses; this module maps
each to an HTTP status. Messages of clinagent errors never hold note text; validation
errors are reported by location and message only, never with the offending value, and an
unexpected exception is reported by its type.
"""

from __future__ import annotations

import logging
import re
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from agent import errors as E

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://clinagent.invalid/problems/"

# (status, title) of the domain errors that are not AccessError subclasses.
_STATUS: list[tuple[type[E.ClinicalAgentError], int, str]] = [
    (E.InputError, 422, "Invalid input"),
    (E.VerificationError, 422, "Cannot verify"),
    (E.PromptTooLong, 422, "Input too long for the model"),
    (E.BackendUnavailable, 503, "LLM backend unavailable"),
    (E.RetrievalIndexError, 503, "Retrieval index unavailable"),
    (E.ExtractionFailed, 502, "LLM reply invalid"),
    (E.ConfigError, 500, "Server misconfigured"),
    (E.PromptError, 500, "Prompt file invalid"),
    (E.RuleFileError, 500, "Rule file invalid"),
    (E.VocabularyError, 500, "Vocabulary unavailable"),
]


_UNPARSABLE_BODY = "There was an error parsing the body"
# Starlette's own 404/405 details are replaced by these (they never hold the path).
_HTTP_DETAILS = {
    404: "no such resource; GET /openapi.json lists the service's routes",
    405: "the route does not take this method; the Allow header lists those it takes",
}


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def problem(status: int, title: str, detail: str = "", *, instance: str | None = None,
            headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    """A problem+json response."""
    body = {"type": TYPE_BASE + _slug(title), "title": title, "status": status,
            "detail": detail, "instance": instance, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def status_of(err: E.ClinicalAgentError) -> tuple[int, str]:
    """HTTP status and title of a domain error."""
    if isinstance(err, E.AccessError):
        return err.status, err.title
    for cls, status, title in _STATUS:
        if isinstance(err, cls):
            return status, title
    return 500, "Internal error"


def problem_body(err: E.ClinicalAgentError, instance: str | None = None) -> dict:
    """The problem+json body of a domain error (for SSE ``error`` events)."""
    status, title = status_of(err)
    return {"type": TYPE_BASE + _slug(title), "title": title, "status": status,
            "detail": str(err), "instance": instance}


def instance_of(request: Request) -> str | None:
    """The ``instance`` of a problem: the route template (``/v1/patients/{patient_id}/notes``),
    never the raw path, which can hold a patient id or MRN; None when no route matched."""
    return getattr(request.scope.get("route"), "path", None) or None


def scrub(request: Request, text: str) -> str:
    """``text`` with the request's path parameter values replaced by their names: a message
    must not echo an id taken from the path (patient ids are often MRNs)."""
    for name, value in (request.scope.get("path_params") or {}).items():
        value = str(value)
        if value:
            text = re.sub(r"(?<![\w-])" + re.escape(value) + r"(?![\w-])",
                          "{" + name + "}", text)
    return text


async def _domain(request: Request, exc: E.ClinicalAgentError) -> JSONResponse:
    status, title = status_of(exc)
    headers = None
    if isinstance(exc, E.AccessError) and exc.retry_after is not None:
        headers = {"Retry-After": str(exc.retry_after)}
    detail = scrub(request, str(exc))
    if status >= 500:
        logger.error("%s on %s: %s", type(exc).__name__, _route(request), detail)
    return problem(status, title, detail, instance=instance_of(request), headers=headers)


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": [str(x) for x in item.get("loc", ())], "msg": item.get("msg", ""),
               "type": item.get("type", "")} for item in exc.errors()[:20]]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    detail = f"{'.'.join(first['loc']) or 'body'}: {first['msg']}"
    return problem(422, "Invalid request", scrub(request, detail) +
                   ". Fix the request body (see errors)", instance=instance_of(request),
                   errors=errors)


_HTTP_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH",
                           "TRACE"})


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        # FastAPI's answer to a body that is not even text (bad UTF-8): the same 422 as
        # malformed JSON, so one status means "fix the body".
        return problem(422, "Invalid request", "body: the body is not valid JSON. Fix the "
                       "request body (see errors)", instance=instance_of(request),
                       errors=[{"loc": ["body"], "msg": "the body is not valid JSON",
                                "type": "json_invalid"}])
    titles = {404: "Not found", 405: "Method not allowed"}
    title = titles.get(exc.status_code, "HTTP error")
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}),
                   "Allow": _allowed(request, (headers or {}).get("Allow", ""))}
    return problem(exc.status_code, title, _HTTP_DETAILS.get(exc.status_code, str(exc.detail)),
                   instance=instance_of(request), headers=headers)


def _allowed(request: Request, fallback: str) -> str:
    """Every method the API documents for this path: Starlette's 405 names only the first
    route that matches the path (GET and POST of one path are two routes). Read from the
    OpenAPI document (public, and what clients see); ``fallback`` when it has no such path."""
    methods: set[str] = set()
    for template, item in request.app.openapi().get("paths", {}).items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {m.upper() for m in item if m.upper() in _HTTP_METHODS}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods)) if methods else fallback


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Third-party messages may quote input (note text): log the type and frames only.
    frames = "".join(traceback.format_tb(exc.__traceback__, limit=-8))
    logger.error("unexpected %s on %s\n%s", type(exc).__name__, _route(request), frames)
    return problem(500, "Internal error", f"unexpected {type(exc).__name__}; the server log "
                   "has the stack trace", instance=instance_of(request))


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', 'unmatched')}"


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(E.ClinicalAgentError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
