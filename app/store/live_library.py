"""The compiled trial library of a running service, kept in step with the store.

The library is compiled once from the stored trial documents (requests never re-read
YAML). When trials are loaded into the store while the service runs (`trialmatch trials
load`, possibly from another host), the service notices on a later request: at most every
``refresh_seconds`` it reads the store's fingerprint (each trial's id and content hash, one
small query) and recompiles when it changed. Example::

    live = LiveLibrary(sessions, refresh_seconds=30)
    live.refresh()                 # at start-up: compile
    library = await live.current() # per request: the library, recompiled if the store moved

A stored document that no longer validates (or a trial that does not compile) is
quarantined: left out, with an error in the log and its reason in ``library.quarantined``
(``trialmatch trials list`` and ``/readyz`` show it). That trial is offered to nobody,
which is the safe side; every other trial keeps matching. `read_stored` is the one place
that decides whether a stored document validates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import anyio
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.eligibility.fingerprint import library_digest
from app.eligibility.language import Trial
from app.eligibility.library import INVALID_DOCUMENT, Library, Quarantine
from app.store.models import TrialRow
from app.store.repository import iter_documents

log = logging.getLogger("trialmatch.library")


def store_fingerprint(session: Session) -> str:
    """A digest of every stored trial's id and content hash: changes when any trial does.
    The library's own digest when every stored trial compiles."""
    rows = session.execute(select(TrialRow.nct_id, TrialRow.content_hash))
    return library_digest((nct_id, content_hash) for nct_id, content_hash in rows)


def read_stored(document: dict[str, Any]) -> Trial | Quarantine:
    """A stored trial document as a Trial, or why it is quarantined (no pydantic text: the
    number of invalid fields and the first one's place)."""
    try:
        return Trial.model_validate(document)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return Quarantine(
            INVALID_DOCUMENT, f"{exc.error_count()} invalid fields, first {first['type']} ({where})"
        )


def compile_store(session: Session) -> Library:
    trials: list[Trial] = []
    hashes: dict[str, str] = {}
    invalid: dict[str, Quarantine] = {}
    for document, content_hash in iter_documents(session):
        read = read_stored(document)
        if isinstance(read, Quarantine):
            log.error("stored trial %s does not validate; quarantined", document.get("nct_id"))
            invalid[str(document.get("nct_id"))] = read
        else:
            trials.append(read)
            hashes[read.nct_id] = content_hash
    library = Library.from_trials(trials, content_hashes=hashes)
    library.quarantined.update(invalid)
    return library


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
