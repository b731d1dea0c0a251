"""The audit trail: ``audit_events``, append-only, one row per request on patient data.

The database itself refuses to change the trail: triggers abort every UPDATE and DELETE
(and TRUNCATE on PostgreSQL; on SQLite, an INSERT OR REPLACE over an existing row), whoever
sends them. Example, on either backend::

    UPDATE audit_events SET client_id = 'someone-else';
    -- error: audit_events is append-only

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every refusal says: audit_events is append-only (tests match on it).

_POSTGRESQL_UP = (
    """
    CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()
    """,
    # TRUNCATE skips row triggers; it gets a statement trigger of its own.
    """
    CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()
    """,
)

_SQLITE_UP = (
    """
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
    """,
    # A DELETE without WHERE would be SQLite's truncate optimization, which a trigger disables.
    """
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
    """,
    # INSERT OR REPLACE deletes the row it collides with without firing delete triggers
    # (unless recursive_triggers is on): refuse an insert that names an existing id.
    """
    CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
    WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
    """,
)


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("auth_method", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("patient_ref", sa.String(length=256), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=False),
        sa.Column("trials_returned", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_client_id_at", "audit_events", ["client_id", "at"])
    op.create_index("ix_audit_events_patient_ref", "audit_events", ["patient_ref"])
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        statements: Sequence[str] = _POSTGRESQL_UP
    elif dialect == "sqlite":
        statements = _SQLITE_UP
    else:
        # An audit trail the database would let anyone rewrite is not one.
        raise NotImplementedError(
            f"append-only triggers are written for SQLite and PostgreSQL only, not {dialect}"
        )
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    # Dropping the table drops its triggers on both backends.
    op.drop_table("audit_events")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_events_refuse_change()")
