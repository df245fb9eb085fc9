"""Masking of credentials in URLs before they are printed (``clinagent info``)."""

from __future__ import annotations

import re

MASK = "***"

# Query parameters that carry credentials in database and service URLs (libpq's password,
# cloud tokens, signed URLs).
_SECRET_PARAM = re.compile(r"(pass|pwd|token|secret|key|sig|auth|credential)", re.IGNORECASE)


def mask_url(url: str) -> str:
    """The URL with its password and credential query values replaced by ``***``.

    ``postgresql+psycopg://app:s3cret@db/clinagent`` -> ``postgresql+psycopg://app:***@db/
    clinagent``; the user name and host stay (they say which server is meant).

    Args:
        url: any URL or SQLAlchemy database URL.

    Returns:
        The masked URL (unchanged when it holds no credentials).
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    head, qmark, query = rest.partition("?")
    # The host never holds "@": everything before the last one (before the query) is the
    # user info, so a password containing "@" or "/" is masked whole.
    userinfo, at, host = head.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        head = f"{user}:{MASK}@{host}" if colon else head
    if qmark:
        query = "&".join(_mask_param(p) for p in query.split("&"))
    return f"{scheme}{sep}{head}{qmark}{query}"


def _mask_param(param: str) -> str:
    name, eq, _value = param.partition("=")
    return f"{name}={MASK}" if eq and _SECRET_PARAM.search(name) else param
