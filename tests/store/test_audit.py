"""The audit trail in the store: migration 0002, append and list, and a database that
refuses to change what was written. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, delete, inspect, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.store.audit import AuditEvent, insert_event, list_events
from app.store.loader import read_trial_file, trial_files
from app.store.migrate import current_revision, downgrade, upgrade
from app.store.models import AuditEventRow
from app.store.session import make_engine, make_session_factory
from tests.conftest import TRIAL_FIXTURES
from tests.store.old_schema import insert_trial_0001

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def event(**overrides: object) -> AuditEvent:
    values: dict[str, object] = {
        "at": T0,
        "client_id": "apikey:lab-engine",
        "auth_method": "api_key",
        "method": "GET",
        "route": "/v1/patients/{patient_id}/matches",
        "patient_ref": "Patient/p-1",
        "status": 200,
        "outcome": "ok",
        "trials_returned": 3,
        "duration_ms": 41,
    }
    values.update(overrides)
    return AuditEvent(**values)  # type: ignore[arg-type]


def add(sessions: sessionmaker[Session], *events: AuditEvent) -> list[int]:
    with sessions.begin() as session:
        return [insert_event(session, one) for one in events]


def test_0002_from_empty_makes_the_table_and_its_indexes(engine: Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine, "0002")
    assert current_revision(engine) == "0002"
    inspector = inspect(engine)
    assert "audit_events" in inspector.get_table_names()
    columns = {column["name"]: column for column in inspector.get_columns("audit_events")}
    assert set(columns) == {
        "id",
        "at",
        "client_id",
        "auth_method",
        "method",
        "route",
        "patient_ref",
        "status",
        "outcome",
        "trials_returned",
        "duration_ms",
    }
    nullable = {name for name, column in columns.items() if column["nullable"]}
    assert nullable == {"patient_ref", "trials_returned"}
    indexes = {
        index["name"]: index["column_names"] for index in inspector.get_indexes("audit_events")
    }
    assert indexes == {
        "ix_audit_events_at": ["at"],
        "ix_audit_events_client_id_at": ["client_id", "at"],
        "ix_audit_events_patient_ref": ["patient_ref"],
    }


def test_0002_over_a_loaded_0001_store_keeps_the_trials(engine: Engine) -> None:
    upgrade(engine, "0001")
    with engine.begin() as connection:
        for path in trial_files(TRIAL_FIXTURES):
            insert_trial_0001(connection, read_trial_file(path))
    upgrade(engine, "0002")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM trials")) == 2
        assert connection.scalar(text("SELECT count(*) FROM audit_events")) == 0


def test_0002_down_to_0001_and_up_again(engine: Engine) -> None:
    upgrade(engine, "0002")
    downgrade(engine, "0001")
    assert "audit_events" not in inspect(engine).get_table_names()
    upgrade(engine, "0002")  # on PostgreSQL this also shows the trigger function was dropped
    assert "audit_events" in inspect(engine).get_table_names()


def test_insert_then_list_gives_the_event_back_timezone_aware(
    sessions: sessionmaker[Session],
) -> None:
    paris = timezone(timedelta(hours=1))
    [event_id] = add(sessions, event(at=datetime(2026, 11, 23, 10, 0, tzinfo=paris)))
    with sessions() as session:
        [stored] = list_events(session)
    assert stored.id == event_id
    assert stored.at == T0  # 10:00 at +01:00 is 09:00 UTC
    assert stored.at.tzinfo is not None and stored.at.utcoffset() == timedelta(0)
    assert stored == event(id=event_id)


def test_list_filters_and_orders_newest_first(sessions: sessionmaker[Session]) -> None:
    add(
        sessions,
        event(at=T0, client_id="apikey:lab-engine", patient_ref="Patient/p-1"),
        event(at=T0 + timedelta(minutes=5), client_id="board-app", patient_ref="Patient/p-2"),
        event(at=T0 + timedelta(minutes=10), client_id="apikey:lab-engine", patient_ref=None),
        event(at=T0 + timedelta(minutes=15), client_id="board-app", patient_ref="Patient/p-1"),
    )
    with sessions() as session:
        everything = list_events(session)
        by_client = list_events(session, client_id="board-app")
        by_patient = list_events(session, patient_ref="Patient/p-1")
        recent = list_events(session, since=T0 + timedelta(minutes=10))
        # A naive time is UTC; an aware one in another zone is converted.
        naive = list_events(session, since=datetime(2026, 11, 23, 9, 10))
        east = list_events(
            session, since=datetime(2026, 11, 23, 14, 10, tzinfo=timezone(timedelta(hours=5)))
        )
        newest_two = list_events(session, limit=2)

    def minutes(events: list[AuditEvent]) -> list[int]:
        return [int((one.at - T0).total_seconds() // 60) for one in events]

    assert minutes(everything) == [15, 10, 5, 0]
    assert minutes(by_client) == [15, 5]
    assert minutes(by_patient) == [15, 0]
    assert minutes(recent) == [15, 10]
    assert minutes(naive) == [15, 10]
    assert minutes(east) == [15, 10]
    assert minutes(newest_two) == [15, 10]


def test_an_event_with_an_id_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(ValueError, match="no id"):
        insert_event(session, event(id=7))


def _stored(sessions: sessionmaker[Session]) -> list[tuple[str, str | None]]:
    with sessions() as session:
        return [(one.client_id, one.patient_ref) for one in list_events(session)]


@pytest.mark.parametrize(
    "statement",
    [
        text("UPDATE audit_events SET client_id = 'someone-else'"),
        text("UPDATE audit_events SET patient_ref = NULL WHERE patient_ref = 'Patient/p-1'"),
        update(AuditEventRow).values(status=200),
        text("DELETE FROM audit_events"),
        text("DELETE FROM audit_events WHERE patient_ref = 'Patient/p-1'"),
        delete(AuditEventRow),
    ],
    ids=["update-all", "update-where", "orm-update", "delete-all", "delete-where", "orm-delete"],
)
def test_the_database_refuses_to_change_the_trail(
    sessions: sessionmaker[Session], statement: object
) -> None:
    add(sessions, event(), event(patient_ref="Patient/p-2", status=502, outcome="fhir.unavailable"))
    before = _stored(sessions)

    with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
        session.execute(statement)  # type: ignore[call-overload]

    assert _stored(sessions) == before


def test_an_orm_change_to_a_loaded_row_is_refused(sessions: sessionmaker[Session]) -> None:
    add(sessions, event())
    with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
        row = session.scalars(select(AuditEventRow)).one()
        row.patient_ref = "Patient/someone-else"
    with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as session:
        session.delete(session.scalars(select(AuditEventRow)).one())
    assert _stored(sessions) == [("apikey:lab-engine", "Patient/p-1")]


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(postgres_url: str) -> None:
    # PostgreSQL only: SQLite has no TRUNCATE.
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        add(sessions, event())
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_events"))
        assert len(_stored(sessions)) == 1
    finally:
        engine.dispose()


def test_an_insert_that_would_replace_a_row_is_refused(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    [event_id] = add(sessions, event())
    columns = "id, at, client_id, auth_method, method, route, status, outcome, duration_ms"
    values = f"{event_id}, '2026-11-23 09:00:00', 'x', 'jwt', 'GET', '/', 200, 'ok', 1"
    if engine.dialect.name == "sqlite":
        # SQLite's REPLACE deletes the old row without firing delete triggers.
        statement = f"INSERT OR REPLACE INTO audit_events ({columns}) VALUES ({values})"
    else:
        statement = (
            f"INSERT INTO audit_events ({columns}) VALUES ({values}) "
            "ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id"
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    assert _stored(sessions) == [("apikey:lab-engine", "Patient/p-1")]


def test_appending_still_works_after_a_refusal(sessions: sessionmaker[Session]) -> None:
    add(sessions, event())
    with pytest.raises(DBAPIError), sessions.begin() as session:
        session.execute(text("DELETE FROM audit_events"))
    add(sessions, event(patient_ref="Patient/p-2"))
    # Same time: the newer id comes first.
    assert [ref for _, ref in _stored(sessions)] == ["Patient/p-2", "Patient/p-1"]


def test_0004_adds_the_curation_columns_and_keeps_the_trail_append_only(
    engine: Engine,
) -> None:
    upgrade(engine, "0002")
    sessions = make_session_factory(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_events (at, client_id, auth_method, method, route, status, "
                "outcome, duration_ms) VALUES ('2026-11-23 09:00:00', 'apikey:lab-engine', "
                "'api_key', 'GET', '/v1/match', 200, 'ok', 5)"
            )
        )
    upgrade(engine, "0004")
    columns = {c["name"]: c for c in inspect(engine).get_columns("audit_events")}
    assert {"trial_ref", "criterion_ref", "change"} <= set(columns)
    assert all(columns[name]["nullable"] for name in ("trial_ref", "criterion_ref", "change"))
    with sessions() as session:
        [kept] = list_events(session)  # the row from before is still there, fields empty
    assert (kept.client_id, kept.trial_ref, kept.change) == ("apikey:lab-engine", None, None)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET trial_ref = 'NCT00000001'"))
    add(sessions, event(trial_ref="NCT00000001", criterion_ref="inc-1", change={"after": {}}))
    with sessions() as session:
        assert [e.criterion_ref for e in list_events(session, trial_ref="NCT00000001")] == ["inc-1"]

    downgrade(engine, "0003")
    columns_after = {c["name"] for c in inspect(engine).get_columns("audit_events")}
    assert "trial_ref" not in columns_after
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events"))
