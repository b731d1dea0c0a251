"""Screening jobs in the store (app/store/screenings.py), on both backends."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.store.models import ScreeningJobRow
from app.store.screenings import (
    INTERRUPTED,
    completed_rows,
    create_job,
    finish_unsuccessfully,
    mark_interrupted,
    write_batch,
)

ROW = {
    "patient_key": "p1",
    "patient_ref": "Patient/p1",
    "trial": "NCT06949098",
    "status": "eligible",
    "unmet": [],
    "missing": [],
    "review": [],
}


def started(sessions: sessionmaker[Session], runner: str = "me") -> str:
    with sessions.begin() as session:
        job_id = create_job(
            session, trials=["NCT06949098"], source={"kind": "ndjson"}, as_of=date(2026, 11, 23)
        )
    with sessions.begin() as session:
        session.execute(
            update(ScreeningJobRow)
            .where(ScreeningJobRow.id == job_id)
            .values(status="running", runner_id=runner, heartbeat_at=time.time())
        )
    return job_id


def test_rows_served_only_once_completed(sessions: sessionmaker[Session]) -> None:
    job_id = started(sessions)
    with sessions.begin() as session:
        write_batch(session, job_id, [ROW], patients_done=1)
    with sessions() as session:
        assert completed_rows(session, job_id) is None
    with sessions.begin() as session:
        write_batch(session, job_id, [ROW | {"patient_key": "p2"}], patients_done=2, last=True)
    with sessions() as session:
        rows = completed_rows(session, job_id)
        assert rows is not None and [r.patient_key for r in rows] == ["p1", "p2"]


def test_cancelled_and_interrupted_never_complete(sessions: sessionmaker[Session]) -> None:
    cancelled, orphan = started(sessions), started(sessions, runner="dead")
    with sessions.begin() as session:
        finish_unsuccessfully(session, cancelled, "cancelled", "screening.cancelled")
        assert mark_interrupted(session, runner_id="me", stale_before=0) == 1
        write_batch(session, cancelled, [ROW], patients_done=1, last=True)
    with sessions() as session:
        assert session.get(ScreeningJobRow, cancelled).status == "cancelled"  # type: ignore[union-attr]
        job = session.get(ScreeningJobRow, orphan)
        assert job is not None and (job.status, job.error_type) == ("failed", INTERRUPTED)
        assert completed_rows(session, cancelled) is None
        assert completed_rows(session, orphan) is None
