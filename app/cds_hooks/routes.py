"""The CDS Hooks routes: ``GET /cds-services`` and ``POST /cds-services/trialmatch-patient-view``.

Example (loopback, no authentication configured; the full prefetch, so no pull)::

    curl -s -X POST http://127.0.0.1:8000/cds-services/trialmatch-patient-view \\
         -H 'Content-Type: application/json' -d @hook-call.json
    # {"cards": [{"summary": "Eligible: NCT06949098, ...", "indicator": "info", ...}]}

Who may call: with ``TRIALMATCH_CDS_ISSUERS`` set, an allow-listed EHR's JWT
(app/cds_hooks/ehr_jwt.py), whatever else is configured; without it, the caller the rest
of the API admits with ``trialmatch/patient.read`` (loopback when no authentication is
configured). Discovery is public: it describes the service and holds no patient data.

The call is matched by the same path as ``/v1/match`` (`match_record`, today's date, open
trials, ineligible ones left out), and answers at most ``TRIALMATCH_CDS_CARD_LIMIT`` cards.
When there are cards, the response is kept for ``TRIALMATCH_UI_REPORT_TTL_SECONDS`` under a
random id (app/store/match_reports.py), and each card links to its trial in that report at
``/ui/reports/{id}``.
The pull and the match run under ``TRIALMATCH_CDS_DEADLINE_SECONDS``: past it the answer
is ``{"cards": []}`` (the match thread is left to finish on its own), so a slow EHR never
holds the clinician's screen. Every call writes one audit row (app/api/audit.py) with
``Patient/{context.patientId}``. Errors use the one error body of the API.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.api.audit import AuditedRequest
from app.api.library import LibraryDep
from app.auth.errors import InsufficientScope
from app.auth.middleware import auth_outcome
from app.auth.principal import Principal, Scope
from app.cds_hooks.cards import cards_for
from app.cds_hooks.discovery import DISCOVERY, HOOK, SERVICE_ID
from app.cds_hooks.models import CardsResponse, DiscoveryResponse, HookRequest, Source
from app.cds_hooks.prefetch import Gathered, PrefetchUnavailable, gather
from app.cds_hooks.runtime import CdsHooksRuntime
from app.eligibility.library import Library
from app.errors import ApiError, InvalidInput, documented_error, error_responses
from app.fhir.client import ClientOptions, FhirClient
from app.fhir.record import FHIR_ID, PatientRecord
from app.fhir.smart import Auth, BearerAuth, NoAuth
from app.matching.data_needs import observation_codes
from app.matching.models import MatchResponse
from app.matching.service import MatchOptions, match_record
from app.store.match_reports import save_report

log = logging.getLogger("trialmatch.cds_hooks")
router = APIRouter(tags=["cds-hooks"])

_ehr_jwt = HTTPBearer(
    auto_error=False,
    scheme_name="CdsHooksJwt",
    bearerFormat="JWT",
    description="CDS Hooks: a JWT signed by an EHR of TRIALMATCH_CDS_ISSUERS, `aud` the URL "
    "called. Without CDS issuers configured, the credentials of the rest of the API.",
)


def get_runtime(request: Request) -> CdsHooksRuntime:
    runtime: CdsHooksRuntime | None = getattr(request.app.state, "cds_hooks", None)
    if runtime is None:
        raise ApiError(
            "service.not_ready", "The service is starting; try again shortly.", status_code=503
        )
    return runtime


RuntimeDep = Annotated[CdsHooksRuntime, Depends(get_runtime)]


async def hook_principal(
    request: Request,
    runtime: RuntimeDep,
    _jwt_doc: Annotated[HTTPAuthorizationCredentials | None, Security(_ehr_jwt)],
) -> Principal:
    """The calling EHR; left on ``request.state.principal`` for the audit row."""
    if runtime.verifier is not None:
        principal = await runtime.verifier.verify(
            request.headers.get("authorization"), audience=runtime.audience()
        )
    else:
        outcome = auth_outcome(request.scope)
        if outcome is None:
            raise RuntimeError("install_security() was not called on this app")
        if outcome.error is not None:
            raise outcome.error
        if outcome.principal is None:
            raise RuntimeError("authentication outcome without principal or error")
        principal = outcome.principal
        if not principal.has(Scope.PATIENT_READ):
            raise InsufficientScope(Scope.PATIENT_READ)
    request.state.principal = principal
    return principal


HookPrincipal = Annotated[Principal, Depends(hook_principal)]


@router.get(
    "/cds-services",
    response_model=DiscoveryResponse,
    response_model_exclude_none=True,
    summary="CDS Hooks discovery: the services trialmatch offers",
)
async def discovery() -> DiscoveryResponse:
    return DISCOVERY


_HOOK_ERRORS = {
    **error_responses(401, 403, 413, 429, 503),
    **documented_error(
        403,
        "cds.fhir_server_not_allowed",
        "The fhirServer of this call is not on trialmatch's allow-list of EHR FHIR servers.",
        loc=["body", "fhirServer"],
    ),
    **documented_error(
        412,
        "cds.prefetch_unavailable",
        "The patient's data (conditions) was neither prefetched nor could it be read from "
        "fhirServer.",
        loc=["body", "prefetch"],
    ),
    **documented_error(
        422,
        "cds.prefetch_invalid",
        "The conditions prefetch is not a Bundle.",
        loc=["body", "prefetch", "conditions"],
    ),
}


@router.post(
    f"/cds-services/{SERVICE_ID}",
    response_model=CardsResponse,
    response_model_exclude_none=True,
    summary="CDS Hooks patient-view: cards for the trials the patient may fit",
    responses=_HOOK_ERRORS,
)
async def patient_view(
    principal: HookPrincipal,
    audit: AuditedRequest,
    runtime: RuntimeDep,
    library: LibraryDep,
    request: Request,
    call: HookRequest,
) -> CardsResponse:
    if call.hook != HOOK:
        raise InvalidInput(
            "cds.wrong_hook", f"This service answers the {HOOK} hook only.", loc=["body", "hook"]
        )
    patient_id = call.context.patientId
    if not FHIR_ID.fullmatch(patient_id):
        raise InvalidInput(
            "patient.invalid_id",
            "A patient id is 1-64 letters, digits, '-' or '.'.",
            loc=["body", "context", "patientId"],
        )
    audit.set_patient(f"Patient/{patient_id}")
    granted = call.fhirAuthorization.patient if call.fhirAuthorization is not None else None
    if granted is not None and granted.removeprefix("Patient/") != patient_id:
        # The EHR's token is for another patient than the chart: nothing is pulled with it.
        raise InvalidInput(
            "cds.token_patient_mismatch",
            "fhirAuthorization.patient is not the context's patientId.",
            loc=["body", "fhirAuthorization", "patient"],
        )
    server: str | None = None
    if call.fhirServer is not None:
        server = runtime.allow_list.check(call.fhirServer)  # before anything is sent anywhere
    elif call.fhirAuthorization is not None:
        raise InvalidInput(
            "cds.fhir_server_missing",
            "fhirAuthorization was sent without the fhirServer it is for.",
            loc=["body", "fhirServer"],
        )
    gathered = gather(call.prefetch, patient_id=patient_id, can_fetch=server is not None)
    if gathered.to_fetch and server is None:
        raise PrefetchUnavailable(gathered.to_fetch)
    deadline = runtime.settings.cds_deadline_seconds
    options = MatchOptions(as_of=datetime.now(UTC).date())
    try:
        with anyio.fail_after(deadline):
            response = await _match(runtime, call, server, gathered, library, options)
    except TimeoutError:
        log.warning("CDS hook answered with no cards: the %.1f s deadline passed", deadline)
        audit.set_trials_returned(0)
        return CardsResponse(cards=[])
    base = runtime.base_url or str(request.base_url).rstrip("/")
    source = Source(label="trialmatch", url=base)
    limit = runtime.settings.cds_card_limit
    report_url: str | None = None
    if cards_for(response, limit=limit, source=source):  # a report is kept only to be linked
        report_id = await _keep_report(request, runtime, response)
        report_url = f"{base}/ui/reports/{report_id}" if report_id is not None else None
    cards = cards_for(response, limit=limit, source=source, report_url=report_url)
    audit.set_trials_returned(len(cards))
    return CardsResponse(cards=cards)


async def _keep_report(
    request: Request, runtime: CdsHooksRuntime, response: MatchResponse
) -> str | None:
    """Keep the response for the cards' report link; None (cards without it) when the
    store cannot: the cards are worth more to the clinician than the link."""
    sessions: sessionmaker[Session] | None = getattr(request.app.state, "sessions", None)
    if sessions is None:
        return None
    ttl = runtime.settings.ui_report_ttl_seconds

    def save() -> str:
        with sessions.begin() as session:
            return save_report(
                session,
                response.model_dump(mode="json"),
                patient_ref=response.patient,
                ttl_seconds=ttl,
            )

    try:
        return await anyio.to_thread.run_sync(save)
    except SQLAlchemyError as exc:
        log.warning("match report not kept (%s): cards sent without its link", type(exc).__name__)
        return None


async def _match(
    runtime: CdsHooksRuntime,
    call: HookRequest,
    server: str | None,
    gathered: Gathered,
    library: Library,
    options: MatchOptions,
) -> MatchResponse:
    patient_id = call.context.patientId
    if gathered.to_fetch and server is not None:
        record = await _pull(runtime, call, server, gathered, library)
    else:
        record = None

    def run() -> MatchResponse:
        # Reading a prefetched Bundle is CPU work too: both off the event loop.
        return match_record(record or gathered.record(patient_id), library, options)

    # Abandoned on the deadline: the answer is sent; the thread ends on its own.
    return await anyio.to_thread.run_sync(run, abandon_on_cancel=True)


async def _pull(
    runtime: CdsHooksRuntime,
    call: HookRequest,
    server: str,
    gathered: Gathered,
    library: Library,
) -> PatientRecord:
    token = call.fhirAuthorization
    # The EHR's token goes to this client only, for this one call; it is never kept.
    auth: Auth = BearerAuth(token.access_token.get_secret_value()) if token else NoAuth()
    client = FhirClient(
        runtime.http, server, auth=auth, options=ClientOptions.from_settings(runtime.settings)
    )
    try:
        return await client.fetch_record(
            call.context.patientId, observation_codes=observation_codes(library)
        )
    except ApiError as error:
        raise PrefetchUnavailable(gathered.to_fetch, cause=error.details[0].type) from None
