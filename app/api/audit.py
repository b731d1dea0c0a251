"""`AuditedRequest`: the dependency that writes one audit row per request on patient data.

A route that touches patient data declares it AFTER its auth dependency, and fills it in::

    @router.get("/v1/patients/{patient_id}/matches", responses=GUARDED_RESPONSES)
    async def patient_matches(
        principal: PatientReadPrincipal, audit: AuditedRequest, patient_id: str
    ) -> MatchResponse:
        audit.set_patient(f"Patient/{patient_id}")
        ...
        audit.set_trials_returned(len(response.trials))
        return response

When the route is done the row is written: time, client and how it authenticated, method,
route TEMPLATE (never the raw path, which may hold a patient id), patient reference, status,
outcome (``ok`` or the stable error type), trials returned, duration, and the trial when the
route names one (``audit.set_trial``, the match workflow's routes). It is written when the
route raises too (except for the body refusals of `UNREAD_BODY_REFUSALS`, which a large
Bundle meets in the match process rather than in the middleware): an `ApiError` gives its
status and type, FastAPI's validation of the
route's parameters or body (done after the dependencies) 422 ``request.<type>``, anything
else ``500 internal.error``, a cancelled request 499 ``request.cancelled``. Requests refused
before the route's dependencies run (401/403 from auth, 413/422/429 from the limits, a body
that is not JSON) write nothing: they never reached patient data.

When it runs (FastAPI 0.163, fastapi/routing.py ``request_response``): a yield dependency
with ``scope="function"`` is closed when the endpoint has returned and its response has
been serialized, but BEFORE the response is sent, and before any exception handler runs
(handlers run outside the route, in ExceptionMiddleware / ServerErrorMiddleware). The default
``scope="request"`` would close only after the body had gone to the client.

Fail closed: if the row cannot be written, the request answers ``503 audit.unavailable``
instead of what the route produced, so no patient data leaves unrecorded. The log gets the
exception's class name only. The store is asked first, before the route runs: a request
whose row could not be written because the audit store does not answer (or has no audit
table) is refused ``503 audit.unavailable`` at once, with no match or EHR pull done for
nothing, and writes no row (there is nowhere to write it). The check reads; a store that
answers but refuses the INSERT is still caught when the row is written, after the route.

The row is written through ``app.state.audit_sessions``, an engine of its own (made by the
lifespan), in its own short transaction: a route's session holds its pool connection until
the response is sent, so a shared pool could run dry with every request waiting for a second
connection to write its row.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

import anyio
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.route_template import route_template
from app.auth.principal import Principal
from app.errors import ApiError
from app.limits.body import UNREAD_BODY_REFUSALS
from app.store.audit import OK, PATIENT_REF_MAX, AuditEvent, insert_event
from app.store.models import AuditEventRow

log = logging.getLogger("trialmatch.audit")


class AuditUnavailable(ApiError):
    status_code = 503


class RequestAudit:
    """What the route tells the audit trail about its request."""

    def __init__(self) -> None:
        self.patient_ref: str | None = None
        self.trials_returned: int | None = None
        self.trial_ref: str | None = None

    def set_patient(self, ref: str) -> None:
        """The patient this request is about, e.g. ``Patient/123`` (at most 256 characters)."""
        if not ref or len(ref) > PATIENT_REF_MAX:
            raise ValueError("a patient reference is 1 to 256 characters")
        self.patient_ref = ref

    def set_trial(self, nct_id: str) -> None:
        """The one trial this request is about (the match workflow's routes), e.g.
        ``NCT06949098``: its ``trial_ref``."""
        if not re.fullmatch(r"NCT\d{8}", nct_id):
            raise ValueError("a trial reference is an NCT id")
        self.trial_ref = nct_id

    def set_trials_returned(self, count: int) -> None:
        if count < 0:
            raise ValueError("a count of trials is not negative")
        self.trials_returned = count


def _failure(exc: BaseException) -> tuple[int, str]:
    """The status and stable error type the app's exception handlers will answer with."""
    if isinstance(exc, ApiError):
        return exc.status_code, exc.details[0].type
    if isinstance(exc, RequestValidationError):
        errors = exc.errors()
        kind = errors[0].get("type", "invalid") if errors else "invalid"
        return 422, f"request.{kind}"
    if isinstance(exc, StarletteHTTPException):
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return exc.status_code, f"request.{kind}"
    return 500, "internal.error"


def _success_status(request: Request, response: Response) -> int:
    # As fastapi.routing._build_response_args does: a status set on the injected Response
    # wins over the route's. (A route returning a Response object of its own is not seen.)
    route = request.scope.get("route")
    declared = route.status_code if isinstance(route, APIRoute) else None
    return response.status_code or declared or 200


async def audited_request(request: Request, response: Response) -> AsyncIterator[RequestAudit]:
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        # Fail closed: a request on patient data with no known client is a wiring bug.
        raise RuntimeError("AuditedRequest must be declared after the route's auth dependency")
    sessions: sessionmaker[Session] | None = getattr(request.app.state, "audit_sessions", None)
    if sessions is None:
        raise ApiError(
            "service.not_ready", "The service is starting; try again shortly.", status_code=503
        )
    route = route_template(request)
    if route is None:
        # Never fall back to the raw path: it may hold a patient id.
        raise RuntimeError("AuditedRequest used outside an APIRoute")
    await _check_store(sessions)
    at = datetime.now(UTC)
    started = time.perf_counter()
    audit = RequestAudit()

    def event(status: int, outcome: str) -> AuditEvent:
        return AuditEvent(
            at=at,
            client_id=principal.client_id,
            auth_method=principal.method,
            method=request.method,
            route=route,
            patient_ref=audit.patient_ref,
            status=status,
            outcome=outcome,
            trials_returned=audit.trials_returned,
            duration_ms=round((time.perf_counter() - started) * 1000),
            trial_ref=audit.trial_ref,
        )

    try:
        yield audit
    except Exception as exc:
        status, outcome = _failure(exc)
        # A large body whose checks were left to the match process (app/matching/pool.py)
        # and failed them was refused unread, as the middleware refuses a small one: no row.
        if outcome not in UNREAD_BODY_REFUSALS:
            await _write(sessions, event(status, outcome))
        raise
    except anyio.get_cancelled_exc_class():
        # The client went away: the patient data may already have been read. (FastAPI
        # shields a dependency's exit from the cancellation, so the write can finish.)
        await _write(sessions, event(499, "request.cancelled"))
        raise
    await _write(sessions, event(_success_status(request, response), OK))


def _unavailable() -> AuditUnavailable:
    return AuditUnavailable(
        "audit.unavailable",
        "The request could not be recorded in the audit trail; try again shortly.",
        headers={"Retry-After": "5"},
    )


async def _check_store(sessions: sessionmaker[Session]) -> None:
    """Refuse the request before the route if the audit store does not answer."""

    def probe() -> None:
        with sessions() as session:
            session.execute(select(AuditEventRow.id).limit(0)).all()

    try:
        await anyio.to_thread.run_sync(probe)
    except Exception as exc:
        log.error(
            "audit store not reachable: %s (request refused before the route)", type(exc).__name__
        )
        raise _unavailable() from None


async def _write(sessions: sessionmaker[Session], event: AuditEvent) -> None:
    def insert() -> None:
        with sessions.begin() as session:
            insert_event(session, event)

    try:
        await anyio.to_thread.run_sync(insert)
    except Exception as exc:
        # The outcome is one of our stable types; the route's own failure, if any, is
        # replaced by the 503 below, so this line is the only trace of it.
        log.error(
            "audit row not written: %s (request outcome: %s %s)",
            type(exc).__name__,
            event.status,
            event.outcome,
        )
        raise _unavailable() from None


AuditedRequest = Annotated[RequestAudit, Depends(audited_request, scope="function")]
