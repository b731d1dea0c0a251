"""The compiled trial library of the running service, as a request dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.eligibility.library import Library
from app.errors import ApiError


def get_library(request: Request) -> Library:
    library: Library | None = getattr(request.app.state, "library", None)
    if library is None:
        raise ApiError(
            "service.not_ready",
            "The trial library is not loaded yet; try again shortly.",
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return library


LibraryDep = Annotated[Library, Depends(get_library)]
