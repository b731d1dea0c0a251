"""Population screening jobs and their results: ``screening_jobs``, ``screening_results``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "screening_jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("trials", JSON_DOCUMENT, nullable=False),
        sa.Column("source", JSON_DOCUMENT, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_type", sa.String(64), nullable=True),
        sa.Column("patients_done", sa.Integer(), nullable=False),
        sa.Column("patients_total", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("heartbeat_at", sa.Float(), nullable=True),
        sa.Column("runner_id", sa.String(64), nullable=True),
        sa.Column("transaction_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("previous_job_id", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_screening_jobs"),
    )
    op.create_index("ix_screening_jobs_status", "screening_jobs", ["status"])
    op.create_table(
        "screening_results",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("patient_key", sa.String(256), nullable=False),
        sa.Column("patient_ref", sa.String(256), nullable=True),
        sa.Column("trial", sa.String(11), nullable=True),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("unmet", JSON_DOCUMENT, nullable=False),
        sa.Column("missing", JSON_DOCUMENT, nullable=False),
        sa.Column("review", JSON_DOCUMENT, nullable=False),
        sa.Column("error_type", sa.String(64), nullable=True),
        sa.Column("input_digest", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["screening_jobs.id"], name="fk_screening_results_job_id_screening_jobs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_screening_results"),
    )
    op.create_index("ix_screening_results_job_id_id", "screening_results", ["job_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_screening_results_job_id_id", table_name="screening_results")
    op.drop_table("screening_results")
    op.drop_index("ix_screening_jobs_status", table_name="screening_jobs")
    op.drop_table("screening_jobs")
