"""Liveness and readiness probes.

``GET /healthz`` answers while the process runs. ``GET /readyz`` answers 200 only when the
database is reachable and the trial library has been loaded at start-up, else 503 with
one ``service.not_ready`` detail per unmet condition::

    {"detail": [{"type": "service.not_ready", "msg": "The database is not reachable.",
                 "loc": ["database"]}]}
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from app.errors import ApiError, ErrorDetail, documented_error
from app.store.session import database_reachable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Readiness(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ready"}]})

    status: Literal["ready"] = Field(description="Always `ready`: otherwise the answer is 503.")


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The database is reachable and the trial library is loaded",
    responses=documented_error(
        503, "service.not_ready", "The database is not reachable.", loc=["database"]
    ),
)
def readyz(request: Request) -> Readiness:
    engine: Engine | None = getattr(request.app.state, "engine", None)
    unmet: list[ErrorDetail] = []
    if engine is None or not database_reachable(engine):
        unmet.append(
            ErrorDetail(
                type="service.not_ready", msg="The database is not reachable.", loc=["database"]
            )
        )
    if not getattr(request.app.state, "library_loaded", False):
        unmet.append(
            ErrorDetail(
                type="service.not_ready",
                msg="The trial library is not loaded yet.",
                loc=["library"],
            )
        )
    if unmet:
        error = ApiError(unmet[0].type, unmet[0].msg, status_code=503, headers={"Retry-After": "5"})
        error.details = unmet
        raise error
    return Readiness(status="ready")
