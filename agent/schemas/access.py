"""Access scopes: the operations an API key may be granted, shared by the key store and the
HTTP schemas."""

from __future__ import annotations

from typing import Literal

# ``code``: the ICD-10 coding co-pilot (suggestions, coder decisions, queue, metrics).
# ``cohort``: cohort queries across the patients of the key's scope.
# ``privacy``: the privacy officer's review queue of output-monitoring finds.
Operation = Literal["read", "write", "extract", "deid", "verify", "handoff", "chat", "code",
                    "cohort", "privacy", "delete", "admin"]
OPERATIONS: tuple[str, ...] = ("read", "write", "extract", "deid", "verify", "handoff", "chat",
                               "code", "cohort", "privacy", "delete", "admin")
# Granted only by name (or by admin), never by ``*``: erasing a patient cannot be undone.
EXPLICIT_OPERATIONS: tuple[str, ...] = ("delete", "admin")
