"""The SQLite engine: write-ahead log, synchronous=NORMAL, and writers that wait for a lock
held by another connection (another worker) instead of failing."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text

from app.store.audit import AuditEvent, insert_event
from app.store.migrate import upgrade
from app.store.models import AuditEventRow
from app.store.session import make_engine, make_session_factory


def audit_event() -> AuditEvent:
    return AuditEvent(
        at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        client_id="loopback",
        auth_method="loopback",
        method="POST",
        route="/v1/match",
        patient_ref="Patient/p-1",
        status=200,
        outcome="ok",
        trials_returned=3,
        duration_ms=12,
    )


def test_a_sqlite_file_is_opened_in_wal_mode_with_normal_sync_and_a_long_busy_timeout(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL
            assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() >= 10_000
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        engine.dispose()


def test_an_audit_insert_waits_for_another_workers_write_lock_instead_of_failing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    holder, writer = make_engine(url), make_engine(url)  # two workers, two pools
    try:
        upgrade(holder)
        locked = threading.Event()

        def hold_the_write_lock() -> None:
            with make_session_factory(holder).begin() as session:
                insert_event(session, audit_event())
                session.flush()  # the INSERT has run: this connection holds the write lock
                locked.set()
                time.sleep(1.5)

        thread = threading.Thread(target=hold_the_write_lock)
        thread.start()
        assert locked.wait(10)
        began = time.perf_counter()
        with make_session_factory(writer).begin() as session:
            insert_event(session, audit_event())
        waited = time.perf_counter() - began
        thread.join(10)
        assert waited > 0.5  # it really waited for the other writer
        with writer.connect() as connection:
            count = connection.execute(select(func.count()).select_from(AuditEventRow))
            assert count.scalar_one() == 2
    finally:
        holder.dispose()
        writer.dispose()
