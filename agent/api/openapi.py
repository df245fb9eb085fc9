"""The OpenAPI document says what the service really returns: every error as
``application/problem+json`` (:class:`~agent.schemas.api.Problem`) with its status codes per
operation, the API key schemes, and ``Retry-After`` on 429. The contract test
(``tests/agent/api/test_api_contract.py``, schemathesis against a real server) holds the
service to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from agent.api.problems import MEDIA_TYPE
from agent.schemas.api import Problem

_DESCRIPTIONS = {
    401: "No API key, or an unknown or revoked one",
    403: "The key lacks the operation or the patient",
    404: "No such patient, note, job or model",
    409: "Conflicts with work in progress (a running job of the patient, or a request with "
         "the same Idempotency-Key); retry when it ends",
    413: "The body is above api.max_body_bytes",
    422: "The request is invalid (per-field errors, never the values)",
    429: "The key is above its rate, or the address above its failed authentications",
    502: "The LLM's reply was invalid after every retry",
    503: "The LLM backend or the retrieval index is unavailable",
    504: "The work ran past api.request_timeout_s",
}

# Errors of each /v1 operation beyond those of every /v1 operation (401, 403, 429) and of
# every operation with a body (413, 422) or query parameters (422). An operation missing
# here is documented with 404, 503 and 504 as well. The 409s of the POSTs that create work
# (and the 404 of a retry whose job is gone) come from their optional Idempotency-Key
# header (agent.api.idempotency).
ROUTE_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/v1/notes"): (409, 503, 504),
    ("get", "/v1/patients"): (),
    ("get", "/v1/patients/{patient_id}/notes"): (404,),
    ("get", "/v1/patients/{patient_id}/fhir"): (404, 504),
    ("post", "/v1/patients/{patient_id}/handoff"): (404, 409, 502, 503, 504),
    ("get", "/v1/jobs/{job_id}"): (404,),
    ("post", "/v1/extract"): (404, 409, 504),
    ("post", "/v1/deid"): (404, 409, 504),
    ("post", "/v1/verify"): (404, 504),
    ("post", "/v1/chat"): (404, 502, 503, 504),
    ("post", "/v1/chat/completions"): (404, 502, 503, 504),
    ("get", "/v1/models"): (),
    ("delete", "/v1/patients/{patient_id}"): (404, 409),
}
_UNLISTED = (404, 503, 504)

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "Authorization: Bearer <key> (clinagent keys create)"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}

# Server-sent events: before OpenAPI 3.2 a text/event-stream schema describes one event.
_SSE_EVENTS = {
    "/v1/chat": {
        "type": "object", "required": ["event", "data"],
        "description": "passages (the passages used), sentence (one per answer sentence), "
                       "done (the whole ChatResponse), error (a Problem); data is JSON",
        "properties": {"event": {"enum": ["passages", "sentence", "done", "error"]},
                       "data": {"type": "string", "contentMediaType": "application/json"}}},
    "/v1/chat/completions": {
        "type": "object", "required": ["data"],
        "description": "OpenAI chat.completion.chunk objects (JSON), then [DONE]",
        "properties": {"data": {"type": "string"}}},
}


def _problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description or _DESCRIPTIONS.get(status, "Error"),
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == 429:
        response["headers"] = {"Retry-After": {
            "description": "Seconds to wait before retrying", "required": True,
            "schema": {"type": "integer", "minimum": 1}}}
    return response


def error_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation can answer with."""
    statuses: set[int] = set()
    if path == "/v1" or path.startswith("/v1/"):
        statuses |= {401, 403, 429}
        statuses |= set(ROUTE_ERRORS.get((method, path), _UNLISTED))
    if "requestBody" in operation:
        statuses |= {413, 422}
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        statuses.add(422)
    return sorted(statuses)


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses and security schemes to a generated OpenAPI document (in
    place): FastAPI's own 422 (``HTTPValidationError``) is not what the service returns."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in error_statuses(method, path, operation):
                # A route's own description of an error (e.g. its 409) is kept.
                own = responses.get(str(status), {}).get("description")
                responses[str(status)] = _problem_response(status, own)
            if path.startswith("/v1/"):
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
    for path, event in _SSE_EVENTS.items():
        operation = schema.get("paths", {}).get(path, {}).get("post")
        if operation is not None:
            content = operation["responses"]["200"].setdefault("content", {})
            content["text/event-stream"] = {"schema": event}
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (``/openapi.json``, ``/docs``) return the documented errors."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi
