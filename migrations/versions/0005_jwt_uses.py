"""EHR JWTs seen by the CDS Hooks service: ``jwt_uses`` (issuer, jti, expires_at).

One row per token until it expires, shared by every worker, so a token is accepted once
whichever worker it reaches (app/store/jwt_replay.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jwt_uses",
        sa.Column("issuer", sa.String(512), primary_key=True),
        sa.Column("jti", sa.String(256), primary_key=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_jwt_uses_expires_at", "jwt_uses", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_jwt_uses_expires_at", table_name="jwt_uses")
    op.drop_table("jwt_uses")
