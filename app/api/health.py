"""Liveness and readiness probes.

``GET /healthz`` answers while the process runs. ``GET /readyz`` answers 200 only when the
database is reachable and the trial library has been loaded at start-up, else 503 with
one ``service.not_ready`` detail per unmet condition::

    {"detail": [{"type": "service.not_ready", "msg": "The database is not reachable.",
                 "loc": ["database"]}]}

A library with quarantined trials (`app.eligibility.library.Quarantine`: a stored trial that
does not validate or compile, offered to no patient) is still ready, since every other trial
matches, but the answer names each one under ``warnings``, with the quarantine's stable type
and a fixed sentence (never the detail: ``trialmatch trials list`` shows that)::

    {"status": "ready", "warnings": [{"type": "library.trial_quarantined",
      "trial_id": "NCT00000009", "reason": "trial.unit_mismatch", "msg": "A rule names ..."}]}

``warnings`` is left out when there are none. It describes the library the service matches
with now: as last compiled (a request re-checks the store at most every
``TRIALMATCH_LIBRARY_REFRESH_SECONDS``; the probe itself never recompiles, so it stays quick).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from app.eligibility.library import QUARANTINE_SUMMARIES, UNIT_MISMATCH
from app.errors import ApiError, ErrorDetail, documented_error
from app.store.live_library import LiveLibrary
from app.store.session import database_reachable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


QUARANTINED = "library.trial_quarantined"


class ReadinessWarning(BaseModel):
    type: Literal["library.trial_quarantined"] = Field(
        description="library.trial_quarantined: this trial is offered to no patient."
    )
    trial_id: str = Field(description="The quarantined trial's NCT id.")
    reason: str = Field(
        description="Why, as a stable type: trial.unit_mismatch (a rule does not compile), "
        "trial.invalid_document (the stored trial does not validate).",
        examples=[UNIT_MISMATCH],
    )
    msg: str = Field(description="The reason in a fixed sentence.")


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ready"},
                {
                    "status": "ready",
                    "warnings": [
                        {
                            "type": QUARANTINED,
                            "trial_id": "NCT00000009",
                            "reason": UNIT_MISMATCH,
                            "msg": QUARANTINE_SUMMARIES[UNIT_MISMATCH],
                        }
                    ],
                },
            ]
        }
    )

    status: Literal["ready"] = Field(description="Always `ready`: otherwise the answer is 503.")
    warnings: list[ReadinessWarning] = Field(
        default_factory=list,
        description="Quarantined trials (left out of matching while the others match); "
        "absent when there are none.",
    )


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    response_model_exclude_defaults=True,
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
    live: LiveLibrary | None = getattr(request.app.state, "library", None)
    library = live.library if live is not None else None
    quarantined = sorted(library.quarantined.items()) if library is not None else []
    return Readiness(
        status="ready",
        warnings=[
            ReadinessWarning(
                type=QUARANTINED, trial_id=nct_id, reason=reason.type, msg=reason.summary
            )
            for nct_id, reason in quarantined
        ],
    )
