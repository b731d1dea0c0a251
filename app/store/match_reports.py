"""Match reports kept for a short time, so a CDS Hooks card can link to the report page.

A hook answers with cards; the clinician who follows a card's link to
``/ui/reports/{report_id}`` sees the report of that very answer, not a new match. The
response is stored under the SHA-256 of a random id (the id travels in the link and is not
stored), for ``TRIALMATCH_UI_REPORT_TTL_SECONDS``; expired rows are deleted whenever a
report is saved. Example::

    with sessions.begin() as session:
        report_id = save_report(session, response, ttl_seconds=3600)
    with sessions() as session:
        kept = load_report(session, report_id)     # -> KeptReport(response=..., ...) or None

An id that is not one this module makes (the wrong length or alphabet) is never looked up.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.store.models import MatchReportRow

ID_BYTES = 32
# What `secrets.token_urlsafe(32)` gives: 43 characters of the URL-safe base64 alphabet.
REPORT_ID = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class KeptReport:
    # The /v1/match response as JSON: the store knows no model of the layers above it.
    response: dict[str, Any]
    patient_ref: str
    created_at: float
    expires_at: float


def _key(report_id: str) -> str:
    return hashlib.sha256(report_id.encode("ascii")).hexdigest()


def purge_expired(session: Session, *, now: float | None = None) -> int:
    """Delete every report past its expiry; returns how many."""
    moment = time.time() if now is None else now
    result = session.execute(delete(MatchReportRow).where(MatchReportRow.expires_at <= moment))
    return int(getattr(result, "rowcount", 0) or 0)


def save_report(
    session: Session,
    response: dict[str, Any],
    *,
    patient_ref: str,
    ttl_seconds: float,
    now: float | None = None,
) -> str:
    """Keep `response` for `ttl_seconds`; returns the new report's id (for its URL).
    The caller's transaction commits it."""
    moment = time.time() if now is None else now
    purge_expired(session, now=moment)
    report_id = secrets.token_urlsafe(ID_BYTES)
    session.add(
        MatchReportRow(
            key=_key(report_id),
            patient_ref=patient_ref,
            response=response,
            created_at=moment,
            expires_at=moment + ttl_seconds,
        )
    )
    return report_id


def load_report(session: Session, report_id: str, *, now: float | None = None) -> KeptReport | None:
    """The report of this id, or None when there is none or it has expired."""
    if not REPORT_ID.fullmatch(report_id):
        return None
    moment = time.time() if now is None else now
    row = session.execute(
        select(MatchReportRow).where(MatchReportRow.key == _key(report_id))
    ).scalar_one_or_none()
    if row is None or row.expires_at <= moment:
        return None
    return KeptReport(
        response=row.response,
        patient_ref=row.patient_ref,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )
