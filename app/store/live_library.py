"""The compiled trial library of a running service, kept in step with the store.

The library is compiled once from the stored trial documents (requests never re-read
YAML). When trials are loaded into the store while the service runs (`trialmatch trials
load`, possibly from another host), the service notices on a later request: at most every
``refresh_seconds`` it reads the store's fingerprint (each trial's id and content hash, one
small query) and recompiles when it changed. Example::

    live = LiveLibrary(sessions, refresh_seconds=30)
    live.refresh()                 # at start-up: compile
    library = await live.current() # per request: the library, recompiled if the store moved

A stored document that no longer validates is left out with an error in the log: that
trial is then offered to nobody, which is the safe side.
"""

from __future__ import annotations

import asyncio
import logging
import time

import anyio
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.eligibility.fingerprint import library_digest
from app.eligibility.language import Trial
from app.eligibility.library import Library
from app.store.models import TrialRow
from app.store.repository import iter_documents

log = logging.getLogger("trialmatch.library")


def store_fingerprint(session: Session) -> str:
    """A digest of every stored trial's id and content hash: changes when any trial does.
    The library's own digest when every stored trial compiles."""
    rows = session.execute(select(TrialRow.nct_id, TrialRow.content_hash))
    return library_digest((nct_id, content_hash) for nct_id, content_hash in rows)


def compile_store(session: Session) -> Library:
    trials: list[Trial] = []
    hashes: dict[str, str] = {}
    for document, content_hash in iter_documents(session):
        try:
            trial = Trial.model_validate(document)
        except ValidationError:
            log.error("stored trial %s does not validate; left out", document.get("nct_id"))
            continue
        trials.append(trial)
        hashes[trial.nct_id] = content_hash
    return Library.from_trials(trials, content_hashes=hashes)


class LiveLibrary:
    def __init__(self, sessions: sessionmaker[Session], *, refresh_seconds: float) -> None:
        self._sessions = sessions
        self._refresh_seconds = refresh_seconds
        self._library: Library | None = None
        self._fingerprint: str | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def library(self) -> Library | None:
        return self._library

    @property
    def fingerprint(self) -> str | None:
        """The store fingerprint the current library was compiled from."""
        return self._fingerprint

    def refresh(self) -> bool:
        """Recompile if the store changed since the last compile; True when it did."""
        with self._sessions() as session:
            fingerprint = store_fingerprint(session)
            changed = fingerprint != self._fingerprint
            if changed:
                self._library = compile_store(session)
                self._fingerprint = fingerprint
                log.info("trial library compiled: %d trials", len(self._library))
        self._checked_at = time.monotonic()
        return changed

    async def current(self) -> Library | None:
        """The library; re-checked against the store at most every ``refresh_seconds``."""
        due = self._refresh_seconds > 0 and (
            time.monotonic() - self._checked_at >= self._refresh_seconds
        )
        if due:
            async with self._lock:
                # Another request may have refreshed while this one waited for the lock.
                if time.monotonic() - self._checked_at >= self._refresh_seconds:
                    await anyio.to_thread.run_sync(self.refresh)
        return self._library
