"""Cohort fact table (one row per extracted entity, for cohort queries).

``cohort_facts`` holds one row per entity of a note version, ``cohort_fact_codes`` the
codes each fact matches (ICD-10-CM code and ancestors, drug classes) and
``cohort_fact_notes`` the note version the facts were built from. The indexes are the ones
``agent.cohorts.compile`` queries by: (type, concept, patient), (patient, day), (system,
code, fact).

Revision ID: 0006_cohort_facts
Revises: 0005_coding_decisions
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_cohort_facts"
down_revision = "0005_coding_decisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohort_facts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("patient_id", sa.String(200), nullable=False),
        sa.Column("note_id", sa.String(200),
                  sa.ForeignKey("notes.note_id", ondelete="CASCADE"), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("note_date", sa.String(40), nullable=True),
        sa.Column("note_day", sa.Integer(), nullable=True),
        sa.Column("entity_type", sa.String(20), nullable=False),
        sa.Column("concept", sa.String(300), nullable=False),
        sa.Column("code", sa.String(20), nullable=True),
        sa.Column("assertion", sa.String(20), nullable=False),
        sa.Column("experiencer", sa.String(20), nullable=False),
        sa.Column("temporality", sa.String(20), nullable=False),
        sa.Column("section", sa.String(200), nullable=True),
        sa.Column("value_num", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(40), nullable=True),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("status_now", sa.String(20), nullable=True),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("span_text", sa.String(500), nullable=False),
    )
    op.create_index("ix_cohort_facts_note_id", "cohort_facts", ["note_id"])
    op.create_index("ix_cohort_facts_type_concept", "cohort_facts",
                    ["entity_type", "concept", "patient_id"])
    op.create_index("ix_cohort_facts_patient_day", "cohort_facts", ["patient_id", "note_day"])
    op.create_table(
        "cohort_fact_codes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("fact_id", sa.Integer(),
                  sa.ForeignKey("cohort_facts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("patient_id", sa.String(200), nullable=False),
        sa.Column("system", sa.String(20), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
    )
    op.create_index("ix_cohort_fact_codes_fact_id", "cohort_fact_codes", ["fact_id"])
    op.create_index("ix_cohort_fact_codes_patient_id", "cohort_fact_codes", ["patient_id"])
    op.create_index("ix_cohort_fact_codes_code", "cohort_fact_codes",
                    ["system", "code", "fact_id"])
    op.create_table(
        "cohort_fact_notes",
        sa.Column("note_id", sa.String(200),
                  sa.ForeignKey("notes.note_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("patient_id", sa.String(200), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("facts", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_cohort_fact_notes_patient_id", "cohort_fact_notes", ["patient_id"])
    op.create_table(
        "cohort_fact_relations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("patient_id", sa.String(200), nullable=False),
        sa.Column("note_id", sa.String(200),
                  sa.ForeignKey("notes.note_id", ondelete="CASCADE"), nullable=False),
        sa.Column("relation_id", sa.String(20), nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("assertion", sa.String(20), nullable=False),
        sa.Column("head_fact_id", sa.Integer(),
                  sa.ForeignKey("cohort_facts.id", ondelete="CASCADE"), nullable=True),
        sa.Column("tail_fact_id", sa.Integer(),
                  sa.ForeignKey("cohort_facts.id", ondelete="CASCADE"), nullable=True),
        sa.Column("head_type", sa.String(20), nullable=False),
        sa.Column("head_concept", sa.String(300), nullable=False),
        sa.Column("tail_type", sa.String(20), nullable=False),
        sa.Column("tail_concept", sa.String(300), nullable=False),
        sa.Column("laterality", sa.String(20), nullable=True),
        sa.Column("evidence_start", sa.Integer(), nullable=False),
        sa.Column("evidence_end", sa.Integer(), nullable=False),
    )
    op.create_index("ix_cohort_fact_relations_note_id", "cohort_fact_relations", ["note_id"])
    op.create_index("ix_cohort_fact_relations_head", "cohort_fact_relations",
                    ["type", "head_concept", "patient_id"])
    op.create_index("ix_cohort_fact_relations_tail", "cohort_fact_relations",
                    ["type", "tail_concept", "patient_id"])


def downgrade() -> None:
    op.drop_index("ix_cohort_fact_relations_tail", "cohort_fact_relations")
    op.drop_index("ix_cohort_fact_relations_head", "cohort_fact_relations")
    op.drop_index("ix_cohort_fact_relations_note_id", "cohort_fact_relations")
    op.drop_table("cohort_fact_relations")
    op.drop_index("ix_cohort_fact_notes_patient_id", "cohort_fact_notes")
    op.drop_table("cohort_fact_notes")
    op.drop_index("ix_cohort_fact_codes_code", "cohort_fact_codes")
    op.drop_index("ix_cohort_fact_codes_patient_id", "cohort_fact_codes")
    op.drop_index("ix_cohort_fact_codes_fact_id", "cohort_fact_codes")
    op.drop_table("cohort_fact_codes")
    op.drop_index("ix_cohort_facts_patient_day", "cohort_facts")
    op.drop_index("ix_cohort_facts_type_concept", "cohort_facts")
    op.drop_index("ix_cohort_facts_note_id", "cohort_facts")
    op.drop_table("cohort_facts")
