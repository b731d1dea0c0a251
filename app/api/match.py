"""``POST /v1/match``: match a posted FHIR R4 Bundle against the trial library.

Example::

    curl -s -X POST 'http://127.0.0.1:8000/v1/match?include_ineligible=true' \\
         -H 'Content-Type: application/fhir+json' \\
         --data-binary @examples/patients/rectal_early_low_eligible.json

The Bundle (any Bundle.type) is one patient's record with exactly one Patient. Resources
whose subject is not that Patient are read with a data-quality warning; ``strict=true``
makes them a 422 ``bundle.foreign_subject`` instead.

The response shows the facts that can decide by default, the record's whole history with
``facts=all`` (app/matching/facts_shown.py); it is serialized off the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response

from app.api.audit import AuditedRequest
from app.api.library import LibraryDep
from app.api.match_query import match_options
from app.api.model_response import model_response
from app.auth import GUARDED_RESPONSES, MatchPrincipal
from app.eligibility.library import Library
from app.errors import ApiError, documented_error
from app.fhir.bundle import read_bundle
from app.limits.body import parsed_object
from app.matching.models import MatchResponse
from app.matching.pool import MatchPool
from app.matching.service import MatchOptions, match_record

router = APIRouter(tags=["matching"])

FHIR_JSON_TYPES = ("application/fhir+json", "application/json")
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"

_BUNDLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A FHIR R4 Bundle of one patient's resources, with exactly one Patient.",
    "required": ["resourceType"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["Bundle"]},
        "type": {"type": "string", "examples": ["collection"]},
        "entry": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"fullUrl": {"type": "string"}, "resource": {"type": "object"}},
            },
        },
    },
}
_BUNDLE_EXAMPLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "1962-03-14"}},
        {
            "resource": {
                "resourceType": "Condition",
                "id": "c1",
                "subject": {"reference": "Patient/p1"},
                "code": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C20"}]
                },
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "subject": {"reference": "Patient/p1"},
                "code": {"coding": [{"system": "http://loinc.org", "code": "89247-1"}]},
                "effectiveDateTime": "2026-10-20",
                "valueInteger": 1,
            }
        },
    ],
}
_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": _BUNDLE_SCHEMA, "example": _BUNDLE_EXAMPLE}
            for media in FHIR_JSON_TYPES
        },
    }
}


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


@router.post(
    "/v1/match",
    response_model=MatchResponse,
    summary="Match a posted patient Bundle against every trial",
    openapi_extra=_REQUEST_BODY,
    responses={
        **GUARDED_RESPONSES,
        **documented_error(404, "trial.not_found", "No trial NCT00000000 in the library."),
        **documented_error(415, "request.unsupported_media_type", "Send application/fhir+json."),
        **documented_error(422, "bundle.no_patient", "The Bundle holds no Patient resource."),
    },
)
async def match_bundle(
    request: Request,
    principal: MatchPrincipal,
    audit: AuditedRequest,
    library: LibraryDep,
    options: Annotated[MatchOptions, Depends(match_options)],
    strict: Annotated[
        bool,
        Query(description="Refuse resources whose subject is not the Bundle's Patient (422)."),
    ] = False,
) -> Response:
    if _media_type(request) not in FHIR_JSON_TYPES:
        raise ApiError(
            "request.unsupported_media_type",
            "Send the Bundle as application/fhir+json or application/json.",
            loc=["header", "content-type"],
            status_code=415,
        )
    # The body-limit middleware has parsed a JSON body already (app/limits/body.py), except
    # a large one it left for the match process (app/matching/pool.py).
    body = parsed_object(request.scope) or await request.body()
    pooled = _pooled(request, library, body)
    if pooled is not None:
        pool, raw = pooled
        answer = await pool.match(
            raw,
            strict=strict,
            options=options,
            fingerprint=request.app.state.library.fingerprint,
        )
        audit.set_patient(answer.patient)
        audit.set_trials_returned(answer.trials_returned)
        return Response(answer.body, media_type="application/json")
    # Reading, normalizing and evaluating is CPU work: keep it off the event loop.
    record = await anyio.to_thread.run_sync(lambda: read_bundle(body, strict=strict))
    audit.set_patient(record.reference)
    response = await anyio.to_thread.run_sync(match_record, record, library, options)
    audit.set_trials_returned(len(response.matches))
    return await model_response(response)


def _pooled(
    request: Request, library: Library, body: bytes | dict[str, Any]
) -> tuple[MatchPool, bytes] | None:
    """The match process, when this body goes there: a raw (unparsed) body large enough,
    matched against the service's own live library (not one a caller swapped in)."""
    pool: MatchPool | None = getattr(request.app.state, "match_pool", None)
    live = getattr(request.app.state, "library", None)
    if pool is None or not isinstance(body, bytes) or not pool.takes(len(body)):
        return None
    return (pool, body) if live is not None and live.library is library else None
