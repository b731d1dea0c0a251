"""The audit trail records curations: which trial and criterion, and what changed.

``trialmatch trials curate`` writes one row per curation in ``audit_events``, in the same
transaction as the trial it changes (app/store/curation.py). Three nullable columns say
what it was about; a request on patient data leaves them empty:

- ``trial_ref``: the trial's NCT id (indexed: "who curated this trial?"),
- ``criterion_ref``: the criterion id,
- ``change``: the criterion before and after (encoding, review, rule, note), as JSON.

Adding columns keeps the append-only triggers of 0002 on both backends (they name no
column but ``id``). Dropping them again is native on both (SQLite 3.35 or later).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json_type = sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )
    op.add_column("audit_events", sa.Column("trial_ref", sa.String(length=11), nullable=True))
    op.add_column("audit_events", sa.Column("criterion_ref", sa.String(length=32), nullable=True))
    op.add_column("audit_events", sa.Column("change", json_type, nullable=True))
    op.create_index("ix_audit_events_trial_ref", "audit_events", ["trial_ref"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_trial_ref", table_name="audit_events")
    for column in ("change", "criterion_ref", "trial_ref"):
        op.drop_column("audit_events", column)
