"""The match workflow's store (app/store/workflow.py), on SQLite and PostgreSQL: the current
status is the last one recorded, the history is kept, and the table is append-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.store.loader import load_directory
from app.store.migrate import downgrade, upgrade
from app.store.session import make_engine, make_session_factory
from app.store.workflow import (
    NOTE_MAX,
    UnknownTrial,
    WorkflowStatus,
    current_statuses,
    history,
    record_status,
)
from tests.conftest import TRIAL_FIXTURES

TRIAL = "NCT90000001"
OTHER_TRIAL = "NCT90000002"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    report = load_directory(sessions, TRIAL_FIXTURES)
    assert {TRIAL, OTHER_TRIAL} <= set(report.created)
    return sessions


def record(
    sessions: sessionmaker[Session],
    patient: str,
    status: str,
    *,
    trial: str = TRIAL,
    note: str | None = None,
    minutes: int = 0,
) -> int:
    with sessions.begin() as session:
        return record_status(
            session,
            nct_id=trial,
            patient_ref=patient,
            status=status,
            note=note,
            recorded_by="apikey:coordinator",
            at=T0 + timedelta(minutes=minutes),
        ).id


def test_the_current_status_is_the_last_recorded_and_the_history_is_kept(
    store: sessionmaker[Session],
) -> None:
    record(store, "Patient/1", "new", minutes=0)
    record(store, "Patient/2", "new", minutes=1)
    record(store, "Patient/1", "contacted", note="Phoned, will come Monday.", minutes=2)
    record(store, "Patient/1", "screened", minutes=3)
    record(store, "Patient/3", "declined", trial=OTHER_TRIAL, minutes=4)

    with store() as session:
        page = current_statuses(session, TRIAL)
        assert page.total == 2
        assert [(e.patient_ref, e.status) for e in page.items] == [
            ("Patient/1", WorkflowStatus.SCREENED),
            ("Patient/2", WorkflowStatus.NEW),
        ]
        assert page.items[0].recorded_by == "apikey:coordinator"
        assert page.items[0].recorded_at == T0 + timedelta(minutes=3)
        assert page.items[0].recorded_at.tzinfo is not None
        steps = history(session, TRIAL, "Patient/1")
        assert [(e.status.value, e.note) for e in steps] == [
            ("new", None),
            ("contacted", "Phoned, will come Monday."),
            ("screened", None),
        ]
        # Another trial's statuses are its own.
        assert [e.patient_ref for e in current_statuses(session, OTHER_TRIAL).items] == [
            "Patient/3"
        ]
        assert history(session, OTHER_TRIAL, "Patient/1") == []


def test_filter_by_status_answers_who_is_in_screening(store: sessionmaker[Session]) -> None:
    record(store, "Patient/1", "screened", minutes=0)
    record(store, "Patient/2", "screened", minutes=1)
    record(store, "Patient/2", "enrolled", minutes=2)  # no longer in screening
    record(store, "Patient/3", "contacted", minutes=3)
    record(store, "Patient/4", "screened", minutes=4)

    with store() as session:
        screening = current_statuses(session, TRIAL, WorkflowStatus.SCREENED)
        assert screening.total == 2
        assert [e.patient_ref for e in screening.items] == ["Patient/4", "Patient/1"]
        assert [e.patient_ref for e in current_statuses(session, TRIAL, "enrolled").items] == [
            "Patient/2"
        ]
        assert current_statuses(session, TRIAL, "deferred").total == 0


def test_paging_counts_every_patient(store: sessionmaker[Session]) -> None:
    for n in range(5):
        record(store, f"Patient/{n}", "new", minutes=n)
    with store() as session:
        first = current_statuses(session, TRIAL, limit=2, offset=0)
        last = current_statuses(session, TRIAL, limit=2, offset=4)
    assert first.total == last.total == 5
    assert [e.patient_ref for e in first.items] == ["Patient/4", "Patient/3"]
    assert [e.patient_ref for e in last.items] == ["Patient/0"]


def test_a_blank_note_is_no_note_and_a_long_one_is_refused(store: sessionmaker[Session]) -> None:
    record(store, "Patient/1", "new", note="   ")
    record(store, "Patient/1", "contacted", note="x" * NOTE_MAX)
    with pytest.raises(ValueError, match="at most 2000"):
        record(store, "Patient/1", "screened", note="x" * (NOTE_MAX + 1))
    with store() as session:
        assert [e.note for e in history(session, TRIAL, "Patient/1")] == [None, "x" * NOTE_MAX]


@pytest.mark.parametrize(
    ("patient", "status", "trial", "error"),
    [
        ("Patient/1", "in_screening", TRIAL, ValueError),  # not a status of the workflow
        ("123", "new", TRIAL, ValueError),  # not a reference
        ("Patient/a b", "new", TRIAL, ValueError),
        ("Patient/" + "x" * 65, "new", TRIAL, ValueError),
        ("Patient/1", "new", "NCT00000000", UnknownTrial),
    ],
)
def test_what_the_workflow_does_not_take_is_refused_and_nothing_written(
    store: sessionmaker[Session], patient: str, status: str, trial: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        record(store, patient, status, trial=trial)
    with store() as session:
        assert current_statuses(session, trial).total == 0


def test_every_status_has_a_label() -> None:
    assert [s.value for s in WorkflowStatus] == [
        "new",
        "under_review",
        "contacted",
        "screened",
        "enrolled",
        "not_eligible",
        "declined",
        "deferred",
    ]
    assert WorkflowStatus.NOT_ELIGIBLE.label == "Not eligible"
    assert all(s.label and s.label[0].isupper() for s in WorkflowStatus)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE match_workflow_events SET status = 'enrolled'",
        "DELETE FROM match_workflow_events",
    ],
)
def test_the_database_refuses_to_change_an_event(
    store: sessionmaker[Session], statement: str
) -> None:
    record(store, "Patient/1", "declined")
    with pytest.raises(DBAPIError, match="append-only"), store.begin() as session:
        session.execute(text(statement))
    with store() as session:
        [kept] = history(session, TRIAL, "Patient/1")
    assert kept.status is WorkflowStatus.DECLINED


def test_the_migration_goes_down_and_up_again(engine: Engine) -> None:
    upgrade(engine)
    downgrade(engine, "0006")
    # The inspector reads the test's own schema (its search_path on PostgreSQL).
    assert "match_workflow_events" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "match_workflow_events" in inspect(engine).get_table_names()


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        load_directory(sessions, TRIAL_FIXTURES)
        record(sessions, "Patient/1", "new")
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("TRUNCATE match_workflow_events"))
        with sessions() as session:
            assert len(history(session, TRIAL, "Patient/1")) == 1
    finally:
        engine.dispose()
