"""Request dependencies shared by the routers: the database session.

Example::

    @router.get("/v1/trials")
    def list_trials(session: SessionDep) -> ...: ...

The engine and session factory are made by the application's lifespan (`app.main`) and
kept on ``app.state``; a session lives for one request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from app.errors import ApiError


def get_session(request: Request) -> Iterator[Session]:
    sessions: sessionmaker[Session] | None = getattr(request.app.state, "sessions", None)
    if sessions is None:
        raise ApiError(
            "service.not_ready", "The service is starting; try again shortly.", status_code=503
        )
    with sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
