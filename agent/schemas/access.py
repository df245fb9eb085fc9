"""Access scopes: the operations an API key may be granted, shared by the key store and the
HTTP schemas."""

from __future__ import annotations

from typing import Literal

Operation = Literal["read", "write", "extract", "deid", "verify", "handoff", "chat", "delete",
                    "admin"]
OPERATIONS: tuple[str, ...] = ("read", "write", "extract", "deid", "verify", "handoff", "chat",
                               "delete", "admin")
# Granted only by name (or by admin), never by ``*``: erasing a patient cannot be undone.
EXPLICIT_OPERATIONS: tuple[str, ...] = ("delete", "admin")
