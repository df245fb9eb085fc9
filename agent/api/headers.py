"""Security headers on every response, and ``Cache-Control: no-store`` on every /v1 response
(they carry note text and other PHI, which no browser or proxy cache may keep)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Everything from this origin, nothing inline and nothing from elsewhere: the web page
# (agent/api/static) and the Swagger UI at /docs (packaged assets, agent/api/docs.py) load
# only their own files; Swagger UI's CSS has data: images.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'")

SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


def _is_api(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` to every HTTP response (errors included) and
    ``Cache-Control: no-store`` to every /v1 response, replacing any other cache policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = _is_api(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in SECURITY_HEADERS}
                if is_api:
                    names.add(b"cache-control")
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in names]
                headers.extend(SECURITY_HEADERS)
                if is_api:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
