"""Access scopes: the operations an API key may be granted, shared by the key store and the
HTTP schemas."""

from __future__ import annotations

from typing import Literal

Operation = Literal["read", "write", "extract", "deid", "verify", "handoff", "chat", "admin"]
OPERATIONS: tuple[str, ...] = ("read", "write", "extract", "deid", "verify", "handoff", "chat",
                               "admin")
