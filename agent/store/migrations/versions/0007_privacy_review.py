"""Privacy officer's review queue (output monitoring finds).

Revision ID: 0007_privacy_review
Revises: 0006_cohort_facts
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_privacy_review"
down_revision = "0006_cohort_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Offsets and a type guess only: a find never stores the value it points at.
    op.create_table(
        "privacy_review_queue",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("note_id", sa.String(200), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("type_guess", sa.String(40), nullable=False),
        sa.Column("detector", sa.String(80), nullable=False),
        sa.Column("output_sha256", sa.String(64), nullable=False),
        sa.Column("release_policy", sa.String(80), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_index("ix_privacy_review_queue_note_id", "privacy_review_queue", ["note_id"])
    op.create_index("ix_privacy_review_queue_at", "privacy_review_queue", ["at"])


def downgrade() -> None:
    op.drop_index("ix_privacy_review_queue_at", "privacy_review_queue")
    op.drop_index("ix_privacy_review_queue_note_id", "privacy_review_queue")
    op.drop_table("privacy_review_queue")
