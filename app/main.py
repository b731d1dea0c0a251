"""The FastAPI application, built by `create_app()`.

``uvicorn app.main:app`` serves the module-level `app`; tests build their own with
`create_app(settings)` so each test controls its configuration.

Start-up (the lifespan) opens the trial store at ``TRIALMATCH_DATABASE_URL``, upgrades its
schema to the newest migration (a no-op when it is current, so a new database and an
updated service both just work), and, when the store holds no trial yet, loads the bundled
library from ``TRIALMATCH_CRITERIA_DIR``. Only then does ``/readyz`` answer 200. A database
that cannot be reached at start-up stops the process: the orchestrator restarts it.

Then the garbage collector is told to leave the start-up's objects alone (`settle_gc`):
imports of fhir.resources and pydantic leave ~100k long-lived objects that every full
collection would otherwise rescan, pausing every request of the process (the GIL is held).
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api import docs, health, match, patients, trials, workflow
from app.api.route_template import route_template
from app.cds_hooks import routes as cds_routes
from app.cds_hooks.runtime import CdsHooksRuntime
from app.config import Settings, get_settings
from app.errors import ApiError, ErrorBody, ErrorDetail
from app.facts.units import to_canonical
from app.fhir.client import FhirClient
from app.fhir_api import routes as fhir_routes
from app.fhir_api.location import load_zip_data
from app.fhir_api.outcome import OperationOutcomeErrors
from app.matching.pool import MatchPool, deferred_match_body
from app.security import install_security
from app.store.jwt_replay import StoreReplayGuard
from app.store.live_library import LiveLibrary
from app.store.loader import load_directory
from app.store.migrate import upgrade
from app.store.repository import count_trials
from app.store.session import make_engine, make_session_factory
from app.ui import curation as ui_curation
from app.ui import login as ui_login
from app.ui import match_routes as ui_match
from app.ui import routes as ui_routes
from app.ui import workflow as ui_workflow
from app.ui.errors import ui_api_error, ui_validation_error
from app.ui.pages import error_page, is_ui_path

log = logging.getLogger("trialmatch")

# Collection thresholds once start-up objects are frozen: a young generation of 50k
# allocations (the default, 700, runs a collection every few hundred objects a large record
# allocates), and older generations collected 20 times less often each.
GIL_SWITCH_SECONDS = 0.001
GC_THRESHOLDS = (50_000, 20, 20)

DESCRIPTION = """
Clinical trial matching for oncology. Post a patient's FHIR R4 Bundle (or name a patient
held by the EHR) and get every trial in the library ranked, each with the criteria the
patient fails, the data that is missing, and what a person must confirm.

Eligibility is three-valued: a criterion passes, fails, or is unknown. A missing
measurement is never a pass.

Every error answers with `{"detail": [{"type", "msg", "loc"}]}` (an `OperationOutcome` on
the FHIR routes); `type` is a stable value to branch on, `msg` is for people. The list of
types and their statuses is in the README's "Error types".
"""


def _error_response(
    status: int, details: list[ErrorDetail], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(ErrorBody(detail=details).model_dump(), status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    # Under /ui/ the same refusals are pages (app/ui/errors.py): a person reads them.
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        if is_ui_path(request):
            return ui_api_error(request, exc)
        return _error_response(exc.status_code, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_ui_path(request):
            return ui_validation_error(request, exc)
        # FastAPI's own messages describe the schema, but `input` may echo patient data:
        # keep type, loc and msg only.
        details = [
            ErrorDetail(
                type=f"request.{err.get('type', 'invalid')}",
                msg=str(err.get("msg", "Invalid request.")),
                loc=[str(part) if not isinstance(part, int) else part for part in err["loc"]],
            )
            for err in exc.errors()
        ]
        return _error_response(422, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = {404: "No such resource.", 405: "Method not allowed on this resource."}.get(
            exc.status_code, "The request could not be served."
        )
        if is_ui_path(request):
            return error_page(request, exc.status_code, f"request.{kind}", message)
        return _error_response(exc.status_code, [ErrorDetail(type=f"request.{kind}", msg=message)])

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        # Only the exception's class name is logged: its text may hold patient data. So may
        # the path (/v1/patients/{id}/...): the route's template is logged instead.
        where = route_template(request) or "an unrouted path"
        log.error("internal error on %s %s: %s", request.method, where, type(exc).__name__)
        message = "Internal error; it has been logged."
        if is_ui_path(request):
            return error_page(request, 500, "internal.error", message)
        return _error_response(500, [ErrorDetail(type="internal.error", msg=message)])


def prepare_database(settings: Settings, engine: Engine) -> None:
    """Migrate the store, and load the bundled library into an empty one.

    `trialmatch serve` runs this once before it starts several workers, so that they do
    not race to create one new database; each worker's own run is then a no-op."""
    sessions = make_session_factory(engine)
    upgrade(engine)
    with sessions() as session:
        empty = count_trials(session) == 0
    if empty and settings.criteria_dir.is_dir():
        report = load_directory(sessions, settings.criteria_dir)
        log.info(
            "trial library loaded: %d created, %d updated, %d unchanged, %d file problems",
            len(report.created),
            len(report.updated),
            len(report.unchanged),
            len(report.problems),
        )
        for problem in report.problems:
            log.error("trial file not loaded: %s", problem)
    elif empty:
        log.warning("trial library folder not found; the store is empty")


def _prepare_store(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    prepare_database(settings, app.state.engine)
    live = LiveLibrary(app.state.sessions, refresh_seconds=settings.library_refresh_seconds)
    live.refresh()
    app.state.library = live
    # Build the UCUM registry now, so the first patient does not wait for it.
    to_canonical("hemoglobin", 1.0, "g/dL")
    # And the ZIP code table, for the first $match with a zipCode.
    load_zip_data()
    app.state.library_loaded = True


def settle_gc() -> None:
    """Move every object alive now (modules, models, the compiled library) out of the
    collector's reach, and raise its thresholds. Done once per process: frozen objects are
    never collected, so freezing again would keep a test's garbage forever."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    # Matches run in worker threads; a shorter GIL switch interval lets the event loop
    # answer probes and small requests between their steps (CPython's default is 5 ms).
    sys.setswitchinterval(GIL_SWITCH_SECONDS)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = make_engine(settings.database_url)
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    # One HTTP client for the app's lifetime: pooled connections to the EHR.
    http = httpx.AsyncClient()
    if settings.fhir_base_url is not None:
        app.state.fhir_client = FhirClient.from_settings(http, settings)
    # The audit trail writes through a pool of its own (see app/api/audit.py).
    audit_engine = make_engine(settings.database_url)
    app.state.audit_sessions = make_session_factory(audit_engine)
    # CDS Hooks: its own client (JWKS fetches, pulls from the fhirServer of a call).
    # Its JWT replay guard is the store, so a token is used once across every worker.
    app.state.cds_hooks = CdsHooksRuntime.open(
        settings,
        transport=getattr(app.state, "cds_transport", None),
        replay=StoreReplayGuard(app.state.audit_sessions),
    )
    try:
        # Migrations and loading are blocking work: keep them off the event loop.
        await anyio.to_thread.run_sync(_prepare_store, app)
        app.state.match_pool = MatchPool(settings)
        settle_gc()
        yield
    finally:
        app.state.library_loaded = False
        if getattr(app.state, "match_pool", None) is not None:
            app.state.match_pool.close()
        await http.aclose()
        await app.state.cds_hooks.aclose()
        audit_engine.dispose()
        engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="trialmatch",
        version="0.1.0",
        description=DESCRIPTION,
        responses={500: {"model": ErrorBody}},
        lifespan=lifespan,
        # FastAPI's pages load their scripts from a CDN: app/api/docs.py serves its own.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.library_loaded = False
    log.setLevel(settings.log_level.upper())
    _install_error_handlers(app)
    install_security(app, settings, defer_parse=deferred_match_body(settings))
    # Outermost: every refusal on the FHIR paths, from any layer, leaves as OperationOutcome.
    app.add_middleware(OperationOutcomeErrors)
    app.include_router(docs.router)
    app.include_router(health.router)
    app.include_router(trials.router)
    app.include_router(match.router)
    app.include_router(patients.router)
    app.include_router(workflow.router)
    app.include_router(fhir_routes.router)
    app.include_router(cds_routes.router)
    app.include_router(ui_login.router, include_in_schema=False)
    app.include_router(ui_routes.router, include_in_schema=False)
    app.include_router(ui_match.router, include_in_schema=False)
    app.include_router(ui_routes.assets, include_in_schema=False)
    app.include_router(ui_curation.router, include_in_schema=False)
    app.include_router(ui_workflow.router, include_in_schema=False)
    return app


app = create_app()
