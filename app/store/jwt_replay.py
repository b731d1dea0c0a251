"""The CDS Hooks JWT replay guard in the store: a token's ``jti`` is accepted once, by
whichever worker it reaches.

Each first use inserts (issuer, jti, expiry) in its own short transaction; the primary key
makes a second insert fail, which is the replay. Expired rows are deleted as new ones come
(an index on the expiry keeps that cheap). Example::

    guard = StoreReplayGuard(sessions)
    guard.first_use("https://ehr.example.org", "a1b2", expires_at=time.time() + 300)  # True
    guard.first_use("https://ehr.example.org", "a1b2", expires_at=time.time() + 300)  # False

A store that does not answer refuses the token (fail closed): the caller sees a replay.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.store.models import JwtUseRow

log = logging.getLogger("trialmatch.cds")


class StoreReplayGuard:
    def __init__(
        self, sessions: sessionmaker[Session], *, clock: Callable[[], float] = time.time
    ) -> None:
        self._sessions = sessions
        self.clock = clock

    def first_use(self, issuer: str, jti: str, *, expires_at: float) -> bool:
        """True the first time (issuer, jti) is seen before it expires, in any worker."""
        try:
            with self._sessions.begin() as session:
                session.execute(delete(JwtUseRow).where(JwtUseRow.expires_at <= self.clock()))
            with self._sessions.begin() as session:
                session.add(JwtUseRow(issuer=issuer, jti=jti, expires_at=expires_at))
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            log.error("JWT replay store not usable: %s (token refused)", type(exc).__name__)
            return False
        return True
