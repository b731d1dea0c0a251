"""Engine and session factory for the trial store, on SQLite or PostgreSQL.

Example::

    engine = make_engine("sqlite:///var/trialmatch.db")       # or postgresql+psycopg://...
    sessions = make_session_factory(engine)
    with sessions() as session:
        ...

A SQLite file's folder is created when missing, and SQLite is told to enforce foreign keys
(it does not by default), so deleting a trial removes its criteria on both backends.

SQLite runs in write-ahead-log mode (``journal_mode=WAL``: readers never wait for the
writer, and a commit appends to the log instead of rewriting the database) with
``synchronous=NORMAL``: a commit is not fsynced, the log is at checkpoints. A crash of the
process loses nothing; a power loss or OS crash can lose the last commits before the
latest checkpoint (audit rows of requests already answered), never corrupt the file.
PostgreSQL, the production store, keeps full durability. Writers from several workers
queue behind a busy timeout (`SQLITE_BUSY_TIMEOUT_SECONDS`) far longer than any audit
insert takes, so a lock held by another worker waits instead of failing the request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

# How long a SQLite writer waits for another connection's write lock before giving up.
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",  # persistent in the file; a no-op for :memory:
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}",
)


def _configure_sqlite(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; for a SQLite file, its folder is created first."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Request handlers run in a thread pool; the pool hands a connection to one
        # thread at a time, so the same-thread check only gets in the way.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def database_reachable(engine: Engine) -> bool:
    """True when a trivial query succeeds; never raises."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
