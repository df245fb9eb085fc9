"""Privacy officer's review queue (output monitoring finds).

Revision ID: 0007_privacy_review
Revises: 0006_cohort_facts
Create Date: 2026-12-07
"""

from __future__ import annotations

revision = "0007_privacy_review"
down_revision = "0006_cohort_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the review queue lands with output monitoring


def downgrade() -> None:
    pass
