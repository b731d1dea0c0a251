"""The compiled trial library of the running service, as a request dependency
(re-checked against the store now and then: `app.store.live_library`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.eligibility.library import Library
from app.errors import ApiError
from app.store.live_library import LiveLibrary


async def get_library(request: Request) -> Library:
    live: LiveLibrary | None = getattr(request.app.state, "library", None)
    library = await live.current() if live is not None else None
    if library is None:
        raise ApiError(
            "service.not_ready",
            "The trial library is not loaded yet; try again shortly.",
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return library


LibraryDep = Annotated[Library, Depends(get_library)]
