"""Match reports kept for CDS Hooks cards' links: ``match_reports``.

One row per hook answer, for ``TRIALMATCH_UI_REPORT_TTL_SECONDS``: the match response as
JSON under the SHA-256 of a random id (the id is in the card's link, not in the store), the
patient reference for the audit trail, and the expiry, indexed so expired rows are deleted
cheaply (app/store/match_reports.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "match_reports",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("patient_ref", sa.String(256), nullable=False),
        sa.Column("response", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_match_reports"),
    )
    op.create_index("ix_match_reports_expires_at", "match_reports", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_match_reports_expires_at", table_name="match_reports")
    op.drop_table("match_reports")
