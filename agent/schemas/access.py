"""Access scopes: the operations an API key may be granted, shared by the key store and the
HTTP schemas."""

from __future__ import annotations

from typing import Literal

# ``code``: the ICD-10 coding co-pilot (suggestions, coder decisions, queue, metrics).
Operation = Literal["read", "write", "extract", "deid", "verify", "handoff", "chat", "code",
                    "delete", "admin"]
OPERATIONS: tuple[str, ...] = ("read", "write", "extract", "deid", "verify", "handoff", "chat",
                               "code", "delete", "admin")
# Granted only by name (or by admin), never by ``*``: erasing a patient cannot be undone.
EXPLICIT_OPERATIONS: tuple[str, ...] = ("delete", "admin")
