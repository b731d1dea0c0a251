"""The match workflow: what a coordinator recorded about a patient's match to a trial.

Example::

    with sessions.begin() as session:
        record_status(session, nct_id="NCT06949098", patient_ref="Patient/123",
                      status=WorkflowStatus.SCREENED, note="Seen in clinic on Monday.",
                      recorded_by="apikey:coordinator")
    with sessions() as session:
        page = current_statuses(session, "NCT06949098", status=WorkflowStatus.SCREENED)
        [event.patient_ref for event in page.items]     # ["Patient/123"]: who is in screening
        history(session, "NCT06949098", "Patient/123")  # every status recorded, oldest first

Events are appended, never changed (the table's triggers refuse it, migration 0007): the
current status of a (trial, patient) is the last one recorded for it, and the earlier ones
stay as its history. A status for a trial the library does not hold is refused
(`UnknownTrial`); the patient reference is the one a match names (``Patient/<FHIR id>``).
Who recorded it is the client id of the principal that asked; times are UTC and come back
timezone-aware on both backends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.store.audit import utc
from app.store.models import TrialRow, WorkflowEventRow

NOTE_MAX = 2000
# The reference a match response names (MatchResponse.patient): "Patient/" and a FHIR id.
PATIENT_REF = re.compile(r"Patient/[A-Za-z0-9.\-]{1,64}")


class WorkflowStatus(StrEnum):
    """Where a patient's match to a trial stands, in the order a match usually moves."""

    NEW = "new"
    UNDER_REVIEW = "under_review"
    CONTACTED = "contacted"
    SCREENED = "screened"
    ENROLLED = "enrolled"
    NOT_ELIGIBLE = "not_eligible"
    DECLINED = "declined"
    DEFERRED = "deferred"

    @property
    def label(self) -> str:
        """The status in people's words, as the pages and the CSV show it."""
        return _LABELS[self]


_LABELS = {
    WorkflowStatus.NEW: "New",
    WorkflowStatus.UNDER_REVIEW: "Under review",
    WorkflowStatus.CONTACTED: "Contacted",
    WorkflowStatus.SCREENED: "Screened",
    WorkflowStatus.ENROLLED: "Enrolled",
    WorkflowStatus.NOT_ELIGIBLE: "Not eligible",
    WorkflowStatus.DECLINED: "Declined",
    WorkflowStatus.DEFERRED: "Deferred",
}


class UnknownTrial(LookupError):
    """No trial with this NCT id is in the library; nothing was written."""


@dataclass(frozen=True, slots=True)
class WorkflowEvent:
    id: int
    nct_id: str
    patient_ref: str
    status: WorkflowStatus
    note: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class WorkflowPage:
    items: list[WorkflowEvent]
    total: int  # patients with a current status (of `status`, when given), on every page
    limit: int
    offset: int


def trial_exists(session: Session, nct_id: str) -> bool:
    return session.scalar(select(TrialRow.id).where(TrialRow.nct_id == nct_id)) is not None


def record_status(
    session: Session,
    *,
    nct_id: str,
    patient_ref: str,
    status: WorkflowStatus | str,
    recorded_by: str,
    note: str | None = None,
    at: datetime | None = None,
) -> WorkflowEvent:
    """Append a status; the caller's transaction commits it. A blank note is no note.

    Raises `UnknownTrial` for a trial not in the library, ValueError for a status, patient
    reference or note the workflow does not take."""
    status = WorkflowStatus(status)
    if not PATIENT_REF.fullmatch(patient_ref):
        raise ValueError("a patient reference is Patient/<FHIR id>")
    note = note.strip() or None if note is not None else None
    if note is not None and len(note) > NOTE_MAX:
        raise ValueError(f"a note is at most {NOTE_MAX} characters")
    if not recorded_by:
        raise ValueError("a status is recorded by someone")
    if not trial_exists(session, nct_id):
        raise UnknownTrial(nct_id)
    row = WorkflowEventRow(
        nct_id=nct_id,
        patient_ref=patient_ref,
        status=status.value,
        note=note,
        recorded_by=recorded_by,
        recorded_at=utc(at or datetime.now(UTC)),
    )
    session.add(row)
    session.flush()
    return _event(row)


def current_statuses(
    session: Session,
    nct_id: str,
    status: WorkflowStatus | str | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
) -> WorkflowPage:
    """Each patient's current status on the trial, the most recently recorded first;
    with `status`, only the patients whose current status it is."""
    # The last event of each patient is the one with the highest id (ids only grow).
    latest = (
        select(func.max(WorkflowEventRow.id).label("id"))
        .where(WorkflowEventRow.nct_id == nct_id)
        .group_by(WorkflowEventRow.patient_ref)
        .subquery()
    )
    query = select(WorkflowEventRow).join(latest, WorkflowEventRow.id == latest.c.id)
    if status is not None:
        query = query.where(WorkflowEventRow.status == WorkflowStatus(status).value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(WorkflowEventRow.id.desc()).limit(limit).offset(offset))
    return WorkflowPage(
        items=[_event(row) for row in rows], total=total, limit=limit, offset=offset
    )


def history(session: Session, nct_id: str, patient_ref: str) -> list[WorkflowEvent]:
    """Every status recorded for the patient on the trial, oldest first."""
    rows = session.scalars(
        select(WorkflowEventRow)
        .where(WorkflowEventRow.nct_id == nct_id, WorkflowEventRow.patient_ref == patient_ref)
        .order_by(WorkflowEventRow.id)
    )
    return [_event(row) for row in rows]


def _event(row: WorkflowEventRow) -> WorkflowEvent:
    return WorkflowEvent(
        id=row.id,
        nct_id=row.nct_id,
        patient_ref=row.patient_ref,
        status=WorkflowStatus(row.status),
        note=row.note,
        recorded_by=row.recorded_by,
        recorded_at=utc(row.recorded_at),
    )
