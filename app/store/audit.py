"""The audit trail in the store: append an event, list events. Nothing else, on purpose.

Example::

    with sessions.begin() as session:           # its own short transaction
        insert_event(session, AuditEvent(
            at=datetime.now(UTC), client_id="apikey:lab-engine", auth_method="api_key",
            method="GET", route="/v1/patients/{patient_id}/matches",
            patient_ref="Patient/123", status=200, outcome="ok",
            trials_returned=4, duration_ms=87,
        ))
    with sessions() as session:
        list_events(session, patient_ref="Patient/123", since=datetime(2026, 1, 1, tzinfo=UTC))

A curation (`app.store.curation`, ``trialmatch trials curate``) writes a row too, in the
same transaction as the trial it changes: ``client_id`` is the curator named with ``--by``,
``auth_method`` and ``method`` ``cli``, ``route`` the command, ``status`` its exit status (0)
(from the curation page: the principal's client id and method, ``POST``, the route template
``/ui/trials/{nct_id}/criteria/{criterion_id}/curation`` and 303),
``outcome`` ``curation.accepted`` / ``curation.rejected`` / ``curation.edited``, and
``trial_ref``, ``criterion_ref`` and ``change`` (the criterion before and after) say what::

    insert_event(session, AuditEvent(..., route="trials curate", status=0,
                 outcome="curation.accepted", trials_returned=None, duration_ms=4,
                 trial_ref="NCT03377387", criterion_ref="inc-0.b",
                 change={"before": {...}, "after": {...}}))

There is no update and no delete here, and the database refuses both (triggers made by
migration 0002). Times are stored in UTC and always come back timezone-aware, on SQLite
(which keeps no offset) as on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.models import AuditEventRow

OK = "ok"
PATIENT_REF_MAX = 256


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One request on patient data. ``outcome`` is ``ok`` or the stable error type."""

    at: datetime
    client_id: str
    auth_method: str
    method: str
    route: str
    patient_ref: str | None
    status: int
    outcome: str
    trials_returned: int | None
    duration_ms: int
    trial_ref: str | None = None  # a curation's trial (NCT id) and criterion id
    criterion_ref: str | None = None
    change: dict[str, Any] | None = None  # a curation's criterion, before and after
    id: int | None = None  # given by the database

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def insert_event(session: Session, event: AuditEvent) -> int:
    """Append `event`; returns its id. The caller's transaction commits it."""
    if event.id is not None:
        raise ValueError("a new audit event has no id yet")
    fields = asdict(event)
    del fields["id"]
    fields["at"] = utc(event.at)
    row = AuditEventRow(**fields)
    session.add(row)
    session.flush()
    return row.id


def list_events(
    session: Session,
    *,
    client_id: str | None = None,
    patient_ref: str | None = None,
    trial_ref: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[AuditEvent]:
    """Events newest first, optionally of one client, of one patient, about one trial, at
    or after `since`."""
    query = select(AuditEventRow)
    if client_id is not None:
        query = query.where(AuditEventRow.client_id == client_id)
    if patient_ref is not None:
        query = query.where(AuditEventRow.patient_ref == patient_ref)
    if trial_ref is not None:
        query = query.where(AuditEventRow.trial_ref == trial_ref)
    if since is not None:
        query = query.where(AuditEventRow.at >= utc(since))
    query = query.order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc()).limit(limit)
    return [_event(row) for row in session.scalars(query)]


def _event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=utc(row.at),
        client_id=row.client_id,
        auth_method=row.auth_method,
        method=row.method,
        route=row.route,
        patient_ref=row.patient_ref,
        status=row.status,
        outcome=row.outcome,
        trials_returned=row.trials_returned,
        duration_ms=row.duration_ms,
        trial_ref=row.trial_ref,
        criterion_ref=row.criterion_ref,
        change=row.change,
    )
