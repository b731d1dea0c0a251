"""The match workflow: ``match_workflow_events``, append-only, one row per status recorded.

A coordinator records what happened to a patient's match to a trial (contacted, screened,
enrolled, ...); the latest row of a (trial, patient) is its current status, and the earlier
ones stay as its history (app/store/workflow.py). As for ``audit_events`` (0002), the
database itself refuses to change a row::

    DELETE FROM match_workflow_events;
    -- error: match_workflow_events is append-only

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "match_workflow_events"
# Every refusal says: match_workflow_events is append-only (tests match on it).

_POSTGRESQL_UP = (
    """
    CREATE FUNCTION match_workflow_events_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'match_workflow_events is append-only'
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    """
    CREATE TRIGGER match_workflow_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON match_workflow_events
    FOR EACH ROW EXECUTE FUNCTION match_workflow_events_refuse_change()
    """,
    """
    CREATE TRIGGER match_workflow_events_no_truncate
    BEFORE TRUNCATE ON match_workflow_events
    FOR EACH STATEMENT EXECUTE FUNCTION match_workflow_events_refuse_change()
    """,
)

# The same three refusals as 0002's (INSERT OR REPLACE deletes without a delete trigger).
_SQLITE_UP = (
    """
    CREATE TRIGGER match_workflow_events_no_update BEFORE UPDATE ON match_workflow_events
    BEGIN SELECT RAISE(ABORT, 'match_workflow_events is append-only'); END
    """,
    """
    CREATE TRIGGER match_workflow_events_no_delete BEFORE DELETE ON match_workflow_events
    BEGIN SELECT RAISE(ABORT, 'match_workflow_events is append-only'); END
    """,
    """
    CREATE TRIGGER match_workflow_events_no_replace BEFORE INSERT ON match_workflow_events
    WHEN EXISTS (SELECT 1 FROM match_workflow_events WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'match_workflow_events is append-only'); END
    """,
)


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("nct_id", sa.String(length=11), nullable=False),
        sa.Column("patient_ref", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{_TABLE}"),
    )
    op.create_index(
        "ix_match_workflow_events_trial_patient", _TABLE, ["nct_id", "patient_ref", "id"]
    )
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        statements: Sequence[str] = _POSTGRESQL_UP
    elif dialect == "sqlite":
        statements = _SQLITE_UP
    else:
        raise NotImplementedError(
            f"append-only triggers are written for SQLite and PostgreSQL only, not {dialect}"
        )
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table(_TABLE)  # and its triggers, on both backends
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION match_workflow_events_refuse_change()")
