"""Acknowledgements (clinician sign-off) of stored handoff summaries.

Revision ID: 0004_acknowledgements
Revises: 0003_workers
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_acknowledgements"
down_revision = "0003_workers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("summary_id", sa.Integer(),
                  sa.ForeignKey("summaries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("patient_id", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("key_name", sa.String(200), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.UniqueConstraint("summary_id", "key_id", name="uq_acknowledgement_key"),
    )
    op.create_index("ix_acknowledgements_summary_id", "acknowledgements", ["summary_id"])
    op.create_index("ix_acknowledgements_patient_id", "acknowledgements", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_acknowledgements_patient_id", "acknowledgements")
    op.drop_index("ix_acknowledgements_summary_id", "acknowledgements")
    op.drop_table("acknowledgements")
