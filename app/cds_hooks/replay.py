"""Remembers the ``jti`` of each EHR JWT until it expires, so a token is used once.

In memory, per process: with several workers a token replayed to another worker is not
seen, so the service uses the store's guard (app/store/jwt_replay.py, the same
`ReplayGuard` shape) and this one only where no store is given. Entries are dropped when
their token has expired; the cache holds at most `max_entries`, and when full it refuses
new tokens rather than forget unexpired ones (fail closed)::

    seen = ReplayCache(max_entries=100_000)
    seen.first_use("https://ehr.example.org", "a1b2", expires_at=time.time() + 300)  # True
    seen.first_use("https://ehr.example.org", "a1b2", expires_at=time.time() + 300)  # False
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from typing import Protocol


class ReplayGuard(Protocol):
    def first_use(self, issuer: str, jti: str, *, expires_at: float) -> bool:
        """True the first time (issuer, jti) is seen before it expires."""
        ...


class ReplayCache:
    def __init__(
        self, *, max_entries: int = 100_000, clock: Callable[[], float] = time.time
    ) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self._expiry: dict[tuple[str, str], float] = {}
        self._queue: list[tuple[float, tuple[str, str]]] = []
        self._lock = threading.Lock()  # first_use runs in worker threads

    def _purge(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            at, key = heapq.heappop(self._queue)
            if self._expiry.get(key) == at:
                del self._expiry[key]

    def first_use(self, issuer: str, jti: str, *, expires_at: float) -> bool:
        """True the first time (issuer, jti) is seen before it expires; False on a replay
        or when the cache is full."""
        with self._lock:
            now = self.clock()
            self._purge(now)
            key = (issuer, jti)
            if key in self._expiry:
                return False
            if len(self._expiry) >= self.max_entries:
                return False
            self._expiry[key] = expires_at
            heapq.heappush(self._queue, (expires_at, key))
            return True
