"""``GET /v1/patients/{patient_id}/matches``: pull the patient from the EHR, then match.

Example::

    curl -s 'http://127.0.0.1:8000/v1/patients/123/matches?as_of=2026-11-22' \\
         -H 'Authorization: Bearer <token with trialmatch/patient.read>'

trialmatch reads Patient, Condition, Observation (only the codes the trial library needs),
DiagnosticReport and Procedure from ``TRIALMATCH_FHIR_BASE_URL`` with its own credentials,
then takes the same path as ``POST /v1/match``. A pull that fails or is cut short is an
error, never a partial match; a 502 / 504 carries the EHR's ``Retry-After`` when it sent
one. An id that is not a FHIR id (1-64 letters, digits, `-`, `.`) is 422 ``patient.invalid_id``:
no URL is built from it and it is not written to the audit trail. The audit store is
checked before the pull (app/api/audit.py): a request it would refuse pulls nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Path, Request, Response

from app.api.audit import AuditedRequest
from app.api.library import LibraryDep
from app.api.match_query import match_options
from app.api.model_response import model_response
from app.auth import GUARDED_RESPONSES, PatientReadPrincipal
from app.errors import ApiError, InvalidInput, documented_error
from app.fhir.client import FhirClient
from app.fhir.record import FHIR_ID
from app.matching.data_needs import observation_codes
from app.matching.models import MatchResponse
from app.matching.service import MatchOptions, match_record

router = APIRouter(tags=["matching"])

_RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait, passed on from the EHR when it sent one.",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def _with_retry_after(entry: dict[int | str, dict[str, Any]]) -> dict[str, Any]:
    [response] = entry.values()
    return {**response, "headers": _RETRY_AFTER_HEADER}


def get_fhir_client(request: Request) -> FhirClient:
    client: FhirClient | None = getattr(request.app.state, "fhir_client", None)
    if client is None:
        raise ApiError(
            "fhir.not_configured",
            "No EHR is configured (TRIALMATCH_FHIR_BASE_URL); post a Bundle to /v1/match.",
            status_code=503,
        )
    return client


@router.get(
    "/v1/patients/{patient_id}/matches",
    response_model=MatchResponse,
    summary="Pull a patient from the EHR and match against every trial",
    responses={
        **GUARDED_RESPONSES,
        **documented_error(404, "patient.not_found", "The EHR has no such patient."),
        **documented_error(422, "patient.invalid_id", "A patient id is 1-64 letters, digits."),
        502: _with_retry_after(
            documented_error(502, "fhir.unavailable", "The EHR's FHIR server did not answer.")
        ),
        504: _with_retry_after(
            documented_error(504, "fhir.timeout", "The EHR's FHIR server was too slow.")
        ),
    },
)
async def match_patient(
    principal: PatientReadPrincipal,
    audit: AuditedRequest,
    library: LibraryDep,
    client: Annotated[FhirClient, Depends(get_fhir_client)],
    options: Annotated[MatchOptions, Depends(match_options)],
    patient_id: Annotated[
        str,
        Path(
            description="The patient's id at the EHR (FHIR id).",
            # Documented, and checked in the route: a stable 422 patient.invalid_id, where
            # FastAPI's own check would answer request.string_pattern_mismatch.
            json_schema_extra={"pattern": r"^[A-Za-z0-9\-.]{1,64}$"},
            examples=["123"],
        ),
    ],
) -> Response:
    if not FHIR_ID.fullmatch(patient_id):
        raise InvalidInput(
            "patient.invalid_id",
            "A patient id is 1-64 letters, digits, '-' or '.'.",
            loc=["path", "patient_id"],
        )
    audit.set_patient(f"Patient/{patient_id}")
    record = await client.fetch_record(patient_id, observation_codes=observation_codes(library))
    response = await anyio.to_thread.run_sync(match_record, record, library, options)
    audit.set_trials_returned(len(response.matches))
    return await model_response(response)
