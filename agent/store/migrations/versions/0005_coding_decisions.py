"""Coders' decisions on suggested ICD-10 codes (the coding co-pilot's feedback store).

Revision ID: 0005_coding_decisions
Revises: 0004_acknowledgements
Create Date: 2026-12-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_coding_decisions"
down_revision = "0004_acknowledgements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coding_decisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("note_id", sa.String(200),
                  sa.ForeignKey("notes.note_id", ondelete="CASCADE"), nullable=False),
        sa.Column("patient_id", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("concept", sa.String(300), nullable=False),
        sa.Column("section", sa.String(200), nullable=True),
        sa.Column("system", sa.String(20), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("replacement", sa.String(20), nullable=True),
        sa.Column("suggestion_score", sa.Float(), nullable=True),
        sa.Column("ranker_version", sa.String(80), nullable=False),
        sa.Column("package_version", sa.String(40), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_index("ix_coding_decisions_note_id", "coding_decisions", ["note_id"])
    op.create_index("ix_coding_decisions_patient_id", "coding_decisions", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_coding_decisions_patient_id", "coding_decisions")
    op.drop_index("ix_coding_decisions_note_id", "coding_decisions")
    op.drop_table("coding_decisions")
