"""The match report pages: match a posted Bundle or an EHR patient, or open a kept report.

    GET  /ui/match               two forms: paste or upload a Bundle; pull a patient from the EHR
    POST /ui/match               bundle=<JSON> or bundle_file=<file>, as_of, include_ineligible
    POST /ui/match/ehr           patient_id, as_of, include_ineligible
    GET  /ui/reports/{id}        the report a CDS Hooks card links to (app/store/match_reports.py)

Both matches take the path the API takes (`read_bundle` / the FHIR client's `fetch_record`,
then `match_record`, with the service's live library): one code path, the same answer as
``/v1/match`` and ``/v1/patients/{id}/matches``. Patient data only ever travels in a POST
body, never in a URL; every route that shows a patient writes an audit row
(app/api/audit.py), and every form carries its session's CSRF token. A Bundle that cannot
be read answers the HTML error page with the reader's own stable type (``bundle.invalid``,
``bundle.no_patient``, ``request.json_invalid``, ...), 422, and nothing of what was sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from app.api.audit import AuditedRequest
from app.api.library import LibraryDep
from app.api.patients import get_fhir_client
from app.errors import ApiError, InvalidInput
from app.fhir.bundle import read_bundle
from app.fhir.record import FHIR_ID, PatientRecord
from app.limits.body import check_json
from app.matching.data_needs import observation_codes
from app.matching.models import MatchResponse
from app.matching.service import MatchOptions, match_record
from app.store.match_reports import KeptReport, load_report
from app.ui.access import CsrfChecked, MatchUiPrincipal, PatientReadUiPrincipal, store_sessions
from app.ui.match_report import match_report
from app.ui.pages import render

router = APIRouter(prefix="/ui", include_in_schema=False)

AsOf = Annotated[date | None, Form(description="Evaluation date; blank: today (UTC).")]
IncludeIneligible = Annotated[bool, Form()]


def _options(as_of: date | None, include_ineligible: bool) -> MatchOptions:
    return MatchOptions(
        as_of=as_of or datetime.now(UTC).date(), include_ineligible=include_ineligible
    )


def _report_page(
    request: Request, response: MatchResponse, *, source: str, kept_until: float | None = None
) -> HTMLResponse:
    context: dict[str, Any] = {
        "report": match_report(response),
        "source": source,
        "kept_until": (
            datetime.fromtimestamp(kept_until, UTC).strftime("%Y-%m-%d %H:%M UTC")
            if kept_until is not None
            else None
        ),
    }
    return render(request, "match_report.html", context)


@router.get("/match", response_class=HTMLResponse)
async def match_form(request: Request, principal: MatchUiPrincipal) -> HTMLResponse:
    context = {
        "today": datetime.now(UTC).date().isoformat(),
        "ehr_configured": getattr(request.app.state, "fhir_client", None) is not None,
    }
    return render(request, "match_form.html", context)


def _read_posted(data: bytes, max_json_depth: int) -> PatientRecord:
    """The posted Bundle read as `/v1/match` reads it, with the body checks its middleware
    makes on a JSON body (a form's field is not one, so they are made here)."""
    checked = check_json(data, max_json_depth)
    if isinstance(checked, ApiError):
        raise checked
    # Not an object: the reader's own refusal (bundle.invalid) from the bytes.
    return read_bundle(checked.value if isinstance(checked.value, dict) else data)


@router.post("/match", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def match_posted_bundle(
    request: Request,
    principal: MatchUiPrincipal,
    audit: AuditedRequest,
    library: LibraryDep,
    as_of: AsOf = None,
    include_ineligible: IncludeIneligible = False,
    bundle: Annotated[str, Form()] = "",
    bundle_file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    data = await bundle_file.read() if bundle_file is not None else b""
    if not data.strip():
        data = bundle.encode("utf-8")
    if not data.strip():
        raise InvalidInput(
            "bundle.invalid", "Paste a FHIR Bundle or choose a file.", loc=["body", "bundle"]
        )
    depth = int(request.app.state.settings.max_json_depth)
    # Reading, normalizing and evaluating is CPU work: keep it off the event loop.
    record = await anyio.to_thread.run_sync(_read_posted, data, depth)
    audit.set_patient(record.reference)
    options = _options(as_of, include_ineligible)
    response = await anyio.to_thread.run_sync(match_record, record, library, options)
    audit.set_trials_returned(len(response.matches))
    return _report_page(request, response, source="a posted Bundle")


@router.post("/match/ehr", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def match_ehr_patient(
    request: Request,
    principal: PatientReadUiPrincipal,
    audit: AuditedRequest,
    library: LibraryDep,
    patient_id: Annotated[str, Form(max_length=200)],
    as_of: AsOf = None,
    include_ineligible: IncludeIneligible = False,
) -> HTMLResponse:
    patient_id = patient_id.strip()
    if not FHIR_ID.fullmatch(patient_id):
        raise InvalidInput(
            "patient.invalid_id",
            "A patient id is 1-64 letters, digits, '-' or '.'.",
            loc=["body", "patient_id"],
        )
    client = get_fhir_client(request)
    audit.set_patient(f"Patient/{patient_id}")
    record = await client.fetch_record(patient_id, observation_codes=observation_codes(library))
    options = _options(as_of, include_ineligible)
    response = await anyio.to_thread.run_sync(match_record, record, library, options)
    audit.set_trials_returned(len(response.matches))
    return _report_page(request, response, source="the EHR")


@router.get("/reports/{report_id}", response_class=HTMLResponse)
async def kept_report(
    request: Request,
    principal: PatientReadUiPrincipal,
    audit: AuditedRequest,
    report_id: str,
) -> HTMLResponse:
    sessions = store_sessions(request)

    def find() -> KeptReport | None:
        with sessions() as session:
            return load_report(session, report_id)

    kept = await anyio.to_thread.run_sync(find)
    if kept is None:
        # The same page for an id never made and one expired: neither says which. Raised,
        # not returned, so the audit row records the 404.
        raise ApiError(
            "ui.report_not_found",
            "No match report has this link, or it has expired. Match the patient again.",
            status_code=404,
        )
    response = MatchResponse.model_validate(kept.response)
    audit.set_patient(kept.patient_ref)
    audit.set_trials_returned(len(response.matches))
    return _report_page(request, response, source="a CDS Hooks card", kept_until=kept.expires_at)
