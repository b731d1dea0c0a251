"""Screening jobs and their results (tables ``screening_jobs``, ``screening_results``).

A job's results are written in batches while it runs; ``status`` becomes ``completed`` only
in the transaction that writes the last batch, so a reader never sees a complete job with
rows missing. A job that fails, is cancelled or is left ``running`` by a process that died
is never ``completed``, and `completed_rows` serves rows of completed jobs only. Example::

    with sessions.begin() as session:
        job_id = create_job(session, trials=["NCT06949098"], source={...}, as_of=day)
    with sessions.begin() as session:
        write_batch(session, job_id, rows, patients_done=200, last=True)
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.store.models import ScreeningJobRow, ScreeningResultRow

INTERRUPTED = "screening.interrupted"
FINAL = ("completed", "failed", "cancelled")


def create_job(
    session: Session, *, trials: Sequence[str], source: dict[str, Any], as_of: date
) -> str:
    job_id = secrets.token_hex(16)
    session.add(
        ScreeningJobRow(
            id=job_id,
            trials=list(trials),
            source=source,
            as_of=as_of,
            status="queued",
            patients_done=0,
            created_at=time.time(),
        )
    )
    return job_id


def write_batch(
    session: Session,
    job_id: str,
    rows: Sequence[dict[str, Any]],
    *,
    patients_done: int,
    last: bool = False,
) -> None:
    """Add result rows and progress; ``last`` completes the job in this same transaction."""
    session.add_all(ScreeningResultRow(job_id=job_id, **row) for row in rows)
    now = time.time()
    values: dict[str, Any] = {"patients_done": patients_done, "heartbeat_at": now}
    if last:
        values |= {"status": "completed", "finished_at": now}
    session.execute(
        update(ScreeningJobRow)
        .where(ScreeningJobRow.id == job_id, ScreeningJobRow.status == "running")
        .values(**values)
    )


def finish_unsuccessfully(session: Session, job_id: str, status: str, error_type: str) -> None:
    session.execute(
        update(ScreeningJobRow)
        .where(ScreeningJobRow.id == job_id, ScreeningJobRow.status.not_in(FINAL))
        .values(status=status, error_type=error_type, finished_at=time.time())
    )


def mark_interrupted(session: Session, *, runner_id: str, stale_before: float) -> int:
    """Jobs left queued/running by another process, or with a stale heartbeat: failed."""
    result = session.execute(
        update(ScreeningJobRow)
        .where(
            ScreeningJobRow.status == "running",
            (ScreeningJobRow.runner_id != runner_id)
            | (ScreeningJobRow.heartbeat_at < stale_before),
        )
        .values(status="failed", error_type=INTERRUPTED, finished_at=time.time())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def completed_rows(
    session: Session, job_id: str, *, after: int = 0, limit: int = 500
) -> list[ScreeningResultRow] | None:
    """A page of a completed job's rows (by id after ``after``); None if not completed."""
    job = session.get(ScreeningJobRow, job_id)
    if job is None or job.status != "completed":
        return None
    return list(
        session.scalars(
            select(ScreeningResultRow)
            .where(ScreeningResultRow.job_id == job_id, ScreeningResultRow.id > after)
            .order_by(ScreeningResultRow.id)
            .limit(limit)
        )
    )
