"""Site coordinates: ``trial_sites.latitude`` and ``longitude`` (WGS 84, degrees).

Trial documents have held each site's coordinates since the registry import; the sites
table now holds them too. Existing rows are filled in from their trial's stored document
(an upsert of unchanged content writes nothing, so a re-import would never fill them).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_trials = sa.table(
    "trials",
    sa.column("id", sa.Integer()),
    sa.column("document", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
)
_sites = sa.table(
    "trial_sites",
    sa.column("trial_id", sa.Integer()),
    sa.column("position", sa.Integer()),
    sa.column("latitude", sa.Float()),
    sa.column("longitude", sa.Float()),
)


def _coordinates(document: Any) -> list[tuple[int, Any, Any]]:
    sites = document.get("sites") if isinstance(document, dict) else None
    return [
        (position, site.get("latitude"), site.get("longitude"))
        for position, site in enumerate(sites if isinstance(sites, list) else [])
        if isinstance(site, dict)
        and (site.get("latitude") is not None or site.get("longitude") is not None)
    ]


def upgrade() -> None:
    with op.batch_alter_table("trial_sites") as batch:
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))
    connection = op.get_bind()
    for trial_id, document in connection.execute(sa.select(_trials.c.id, _trials.c.document)):
        for position, latitude, longitude in _coordinates(document):
            connection.execute(
                _sites.update()
                .where(_sites.c.trial_id == trial_id, _sites.c.position == position)
                .values(latitude=latitude, longitude=longitude)
            )


def downgrade() -> None:
    with op.batch_alter_table("trial_sites") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
