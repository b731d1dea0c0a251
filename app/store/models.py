"""The store's tables: trials with their conditions, sites, arms and criteria; the audit trail.

A trial row keeps two things side by side: the columns an API or a filter needs
(title, status, conditions, each criterion's text and rule) and ``document``, the whole
validated trial file as JSON, with ``content_hash`` over it so that loading the same
file twice writes nothing. Example::

    with session_factory() as session:
        trial = session.scalar(select(TrialRow).where(TrialRow.nct_id == "NCT01234567"))
        [c.criterion_id for c in trial.criteria]      # ["inc-1", "inc-2.a", "exc-1"]

``audit_events`` is the append-only audit trail (app/store/audit.py): one row per request
that touched patient data, and one per curation of a trial's criterion.
``match_workflow_events`` (app/store/workflow.py), also append-only, holds what coordinators
recorded about a patient's match to a trial. These two tables are the only places patient
references are kept.

Migrations in ``migrations/`` create these tables; `tests/store/test_migrations.py`
fails when the two disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that later migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (indexable, compact); plain JSON text elsewhere. SQL NULL for None.
JsonDocument = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TrialRow(Base):
    __tablename__ = "trials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nct_id: Mapped[str] = mapped_column(String(11), unique=True)
    title: Mapped[str] = mapped_column(Text)
    official_title: Mapped[str | None] = mapped_column(Text)
    phase: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    sponsor: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    conditions: Mapped[list[ConditionRow]] = relationship(
        back_populates="trial", cascade="all, delete-orphan", order_by="ConditionRow.position"
    )
    sites: Mapped[list[SiteRow]] = relationship(
        back_populates="trial", cascade="all, delete-orphan", order_by="SiteRow.position"
    )
    arms: Mapped[list[ArmRow]] = relationship(
        back_populates="trial", cascade="all, delete-orphan", order_by="ArmRow.position"
    )
    criteria: Mapped[list[CriterionRow]] = relationship(
        back_populates="trial", cascade="all, delete-orphan", order_by="CriterionRow.position"
    )


class ConditionRow(Base):
    """One condition of a trial; ``key`` is its lower-cased form, for case-free filtering."""

    __tablename__ = "trial_conditions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text, index=True)

    trial: Mapped[TrialRow] = relationship(back_populates="conditions")


class SiteRow(Base):
    __tablename__ = "trial_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    facility: Mapped[str] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)  # WGS 84, degrees
    longitude: Mapped[float | None] = mapped_column(Float)

    trial: Mapped[TrialRow] = relationship(back_populates="sites")


class ArmRow(Base):
    __tablename__ = "trial_arms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)

    trial: Mapped[TrialRow] = relationship(back_populates="arms")


class CriterionRow(Base):
    """One eligibility criterion: its protocol text verbatim beside its computable rule."""

    __tablename__ = "trial_criteria"
    __table_args__ = (UniqueConstraint("trial_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    criterion_id: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    review: Mapped[bool] = mapped_column(Boolean)
    rule: Mapped[Any] = mapped_column(JsonDocument, nullable=True)

    trial: Mapped[TrialRow] = relationship(back_populates="criteria")


# BIGINT on PostgreSQL (an audit trail outlives 2**31 requests); SQLite's INTEGER PRIMARY KEY
# is its 64-bit rowid, and only that exact type autoincrements there.
AuditId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEventRow(Base):
    """One request that touched patient data, or one curation; rows are never updated or
    deleted.

    ``route`` is the route template (``/v1/patients/{patient_id}/matches``), never the
    raw path, which may hold a patient id: ``patient_ref`` is the one column that does.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_client_id_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(AuditId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    client_id: Mapped[str] = mapped_column(Text)  # from a token: no length of ours to trust
    auth_method: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(200))
    patient_ref: Mapped[str | None] = mapped_column(String(256), index=True)
    status: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(64))
    trials_returned: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    # A curation's trial and criterion, and the criterion before and after (migration 0004).
    trial_ref: Mapped[str | None] = mapped_column(String(11), index=True)
    criterion_ref: Mapped[str | None] = mapped_column(String(32))
    change: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)


class JwtUseRow(Base):
    """An EHR JWT seen by the CDS Hooks service: its issuer and ``jti``, kept until the
    token expires, so a token replayed to any worker of the service is refused
    (migration 0005; app/store/jwt_replay.py)."""

    __tablename__ = "jwt_uses"

    issuer: Mapped[str] = mapped_column(String(512), primary_key=True)
    jti: Mapped[str] = mapped_column(String(256), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # POSIX seconds


class UiSessionRow(Base):
    """A browser signed in to the coordinator's pages (migration 0006; app/store/ui_sessions.py).

    Only the SHA-256 of the cookie's random id is kept, so a copy of the table opens no
    session. A row with no ``client_id`` is a browser not signed in yet: it holds only the
    CSRF token its sign-in form is checked against.
    """

    __tablename__ = "ui_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)  # space-separated, as in an OAuth scope claim
    auth_method: Mapped[str | None] = mapped_column(String(16))  # how the sign-in proved it
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)  # POSIX seconds
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class MatchReportRow(Base):
    """A match response kept for a short time, so that a CDS Hooks card can link to its
    report page (migration 0008; app/store/match_reports.py).

    The key is the SHA-256 of the report's random id: the id, which the link carries, is
    not in the store, so the table alone opens no report. ``patient_ref`` is for the audit
    row of each reading."""

    __tablename__ = "match_reports"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    patient_ref: Mapped[str] = mapped_column(String(256))
    response: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[float] = mapped_column(Float)  # POSIX seconds
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class WorkflowEventRow(Base):
    """What a coordinator recorded about one patient's match to one trial (migration 0007;
    app/store/workflow.py). Rows are only ever added, never updated or deleted: the latest
    event of a (trial, patient) is its current status, the earlier ones its history.

    ``nct_id`` is not a foreign key on purpose: the history outlives the trial's place in
    the library (a trial can be withdrawn and reloaded).
    """

    __tablename__ = "match_workflow_events"
    __table_args__ = (
        Index("ix_match_workflow_events_trial_patient", "nct_id", "patient_ref", "id"),
    )

    id: Mapped[int] = mapped_column(AuditId, primary_key=True)
    nct_id: Mapped[str] = mapped_column(String(11))
    patient_ref: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)  # at most 2000 characters (app-checked)
    recorded_by: Mapped[str] = mapped_column(Text)  # the principal's client id
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScreeningJobRow(Base):
    """One population screening (app/store/screenings.py). ``status`` becomes
    ``completed`` only in the transaction that writes its last results."""

    __tablename__ = "screening_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trials: Mapped[list[str]] = mapped_column(JsonDocument)
    source: Mapped[dict[str, Any]] = mapped_column(JsonDocument)  # no secrets
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    error_type: Mapped[str | None] = mapped_column(String(64))
    patients_done: Mapped[int] = mapped_column(Integer, default=0)
    patients_total: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)  # POSIX seconds
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    heartbeat_at: Mapped[float | None] = mapped_column(Float)
    runner_id: Mapped[str | None] = mapped_column(String(64))
    transaction_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    previous_job_id: Mapped[str | None] = mapped_column(String(32))


class ScreeningResultRow(Base):
    """One patient's verdict on one trial in a job (or one row with ``error_type`` and no
    trial when the patient could not be screened)."""

    __tablename__ = "screening_results"
    __table_args__ = (Index("ix_screening_results_job_id_id", "job_id", "id"),)

    id: Mapped[int] = mapped_column(AuditId, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(32), ForeignKey("screening_jobs.id"))
    patient_key: Mapped[str] = mapped_column(String(256))
    patient_ref: Mapped[str | None] = mapped_column(String(256))
    trial: Mapped[str | None] = mapped_column(String(11))
    status: Mapped[str | None] = mapped_column(String(32))
    unmet: Mapped[list[str]] = mapped_column(JsonDocument)
    missing: Mapped[list[str]] = mapped_column(JsonDocument)
    review: Mapped[list[str]] = mapped_column(JsonDocument)
    error_type: Mapped[str | None] = mapped_column(String(64))
    input_digest: Mapped[str | None] = mapped_column(String(64))
