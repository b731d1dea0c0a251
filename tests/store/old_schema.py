"""Trials written as an older release wrote them, for tests of later migrations.

The ORM models describe the newest schema, so they cannot write into a store that is
migrated only part way; these helpers write the columns of migration 0001 with Core
statements. Example::

    upgrade(engine, "0002")
    with engine.begin() as connection:
        insert_trial_0001(connection, read_trial_file(path))
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.eligibility.fingerprint import content_hash, trial_document
from app.eligibility.language import Trial

TRIALS_0001 = sa.table(
    "trials",
    *(
        sa.column(name)
        for name in ("id", "nct_id", "title", "status", "content_hash", "created_at", "updated_at")
    ),
    sa.column("document", sa.JSON()),
)
SITES_0001 = sa.table(
    "trial_sites",
    *(
        sa.column(name)
        for name in ("trial_id", "position", "facility", "city", "state", "country", "status")
    ),
)


def insert_trial_0001(connection: sa.Connection, trial: Trial) -> int:
    """The trial and its sites, as of migration 0001; returns the trial's row id."""
    document = trial_document(trial)
    now = datetime.now(UTC)
    trial_id: int = connection.execute(
        TRIALS_0001.insert()
        .values(
            nct_id=trial.nct_id,
            title=trial.title,
            status=trial.status,
            document=document,
            content_hash=content_hash(document),
            created_at=now,
            updated_at=now,
        )
        .returning(TRIALS_0001.c.id)
    ).scalar_one()
    for position, site in enumerate(trial.sites):
        connection.execute(
            SITES_0001.insert().values(
                trial_id=trial_id,
                position=position,
                facility=site.facility,
                city=site.city,
                state=site.state,
                country=site.country,
                status=site.status,
            )
        )
    return trial_id
