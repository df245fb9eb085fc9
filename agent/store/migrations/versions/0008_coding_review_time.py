"""Coders' review time per note (the coding dashboard's median review time).

One row per review sitting: a coder's page sends the seconds from opening a note to
submitting its decisions with ``POST /v1/notes/{id}/codes/decisions``. Ids and a duration
only, never note text; erased with the note (cascade) and with the patient.

Revision ID: 0008_coding_review_time
Revises: 0007_privacy_review
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_coding_review_time"
down_revision = "0007_privacy_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coding_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("note_id", sa.String(200),
                  sa.ForeignKey("notes.note_id", ondelete="CASCADE"), nullable=False),
        sa.Column("patient_id", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_index("ix_coding_reviews_note_id", "coding_reviews", ["note_id"])
    op.create_index("ix_coding_reviews_patient_id", "coding_reviews", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_coding_reviews_patient_id", "coding_reviews")
    op.drop_index("ix_coding_reviews_note_id", "coding_reviews")
    op.drop_table("coding_reviews")
