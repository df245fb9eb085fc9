"""Cohort fact table (one row per extracted entity, for cohort queries).

Revision ID: 0006_cohort_facts
Revises: 0005_coding_decisions
Create Date: 2026-12-07
"""

from __future__ import annotations

revision = "0006_cohort_facts"
down_revision = "0005_coding_decisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the cohort fact table lands with the cohort queries


def downgrade() -> None:
    pass
