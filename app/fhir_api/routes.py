"""The FHIR routes: ``POST /fhir/ResearchStudy/$match``, ``POST /getClinicalTrial``,
``GET /fhir/metadata``, ``GET /fhir/ResearchStudy/{nct}``, ``GET /fhir/ResearchStudy``
and ``GET /fhir/StructureDefinition/{id}``.

Example (the IG's operation; the answer is a Parameters resource whose ``trialMatchOutput``
is the searchset Bundle)::

    curl -s -X POST 'http://127.0.0.1:8000/fhir/ResearchStudy/$match?as_of=2026-11-23' \\
         -H 'Content-Type: application/fhir+json' --data-binary @parameters.json

The two matching routes take the scope ``trialmatch/match`` and write one audit row, as
``POST /v1/match`` does, and run the same path (`read_bundle`, then `match_record`); they
take the same query (``as_of``, ``include_ineligible``, ...). ``phase`` and
``recruitmentStatus`` restrict the trials matched (a ``recruitmentStatus`` also admits
trials that are not recruiting); ``zipCode`` (or ``latitude`` and ``longitude``) with
``travelRadius`` keeps the trials with a site in range (`location`), and each result names
its nearest site. Reading trials takes ``trialmatch/trials.read``; the
CapabilityStatement and our StructureDefinitions are public.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.api.audit import AuditedRequest
from app.api.library import LibraryDep
from app.api.match_query import match_options
from app.auth import MatchPrincipal, TrialsReadPrincipal
from app.eligibility.library import Library
from app.errors import ApiError, InvalidInput, NotFound
from app.fhir.bundle import read_bundle
from app.fhir_api.canonical import (
    ERROR_SYSTEM,
    FHIR_JSON,
    FHIR_PATH,
    MATCH_STATUS,
    NEAREST_SITE,
    VERDICT,
    extension_url,
    fhir_base,
)
from app.fhir_api.definitions import capability_statement, structure_definition
from app.fhir_api.location import Origin, SiteDistance, site_distance, zip_origin
from app.fhir_api.outcome import operation_outcome
from app.fhir_api.request import MatchRequest, read_match_request
from app.fhir_api.research_study import ExtensionUrls, api_v2_phases, research_study
from app.fhir_api.searchset import Links, searchset
from app.limits.body import parsed_object
from app.matching.service import MatchOptions, match_record
from app.vocabulary import research_study as vocabulary

router = APIRouter(tags=["fhir"])

FhirJson = dict[str, Any]
JSON_TYPES = (FHIR_JSON, "application/json")
OUTPUT = "trialMatchOutput"


def _outcome_example(status: int, type_: str, msg: str) -> dict[int | str, dict[str, Any]]:
    example = operation_outcome(status, [{"type": type_, "msg": msg, "loc": ["body"]}])
    return {
        status: {
            "description": "An OperationOutcome; the stable error type is "
            f"issue.details.coding (system {ERROR_SYSTEM}).",
            "content": {FHIR_JSON: {"schema": {"type": "object"}, "example": example}},
        }
    }


def _fhir_ok(description: str, example: FhirJson) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {FHIR_JSON: {"schema": {"type": "object"}, "example": example}},
        }
    }


_TOO_LONG = _outcome_example(
    422, "request.string_too_long", "String should have at most 64 characters"
)
_INTERNAL = _outcome_example(500, "internal.error", "Internal error; it has been logged.")
_GUARDED = (
    _INTERNAL
    | _outcome_example(401, "auth.required", "Send a bearer token or an API key.")
    | _outcome_example(403, "auth.insufficient_scope", "The credential lacks the scope.")
    | _outcome_example(413, "request.too_large", "The request body is too large.")
    | _outcome_example(429, "request.rate_limited", "Too many requests; retry later.")
    | _outcome_example(503, "service.not_ready", "The service is starting; try again shortly.")
)
_MATCH_ERRORS = (
    _GUARDED
    | _outcome_example(404, "trial.not_found", "No trial NCT00000000 in the library.")
    | _outcome_example(415, "request.unsupported_media_type", "Send application/fhir+json.")
    | _outcome_example(422, "bundle.no_patient", "The Bundle holds no Patient.")
)
_PATIENT_BUNDLE: FhirJson = {
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
    ],
}
_PARAMETERS_EXAMPLE: FhirJson = {
    "resourceType": "Parameters",
    "parameter": [
        {"name": "trialMatchClinicalData", "resource": _PATIENT_BUNDLE},
        {"name": "recruitmentStatus", "valueString": "active"},
    ],
}
_MITRE_EXAMPLE: FhirJson = {
    **_PATIENT_BUNDLE,
    "entry": [
        {
            "resource": {
                "resourceType": "Parameters",
                "parameter": [
                    {"name": "zipCode", "valueString": "67446"},
                    {"name": "travelRadius", "valueString": "1500"},
                ],
            }
        },
        *_PATIENT_BUNDLE["entry"],
    ],
}
_SEARCHSET_EXAMPLE: FhirJson = {
    "resourceType": "Bundle",
    "type": "searchset",
    "total": 1,
    "entry": [
        {
            "fullUrl": "http://127.0.0.1:8000/fhir/ResearchStudy/NCT06949098",
            "resource": {
                "resourceType": "ResearchStudy",
                "id": "NCT06949098",
                "identifier": [{"system": "https://clinicaltrials.gov", "value": "NCT06949098"}],
                "status": "active",
            },
            "search": {"mode": "match", "score": 1.0},
        }
    ],
}


def _body_schema(example: FhirJson) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": {"type": "object"}, "example": example} for media in JSON_TYPES
            },
        }
    }


def _fhir(resource: FhirJson, status_code: int = 200) -> Response:
    return Response(orjson.dumps(resource), status_code=status_code, media_type=FHIR_JSON)


def _check_media_type(request: Request) -> None:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in JSON_TYPES:
        raise ApiError(
            "request.unsupported_media_type",
            "Send the body as application/fhir+json or application/json.",
            loc=["header", "content-type"],
            status_code=415,
        )


async def _body(request: Request) -> Any:
    parsed = parsed_object(request.scope)
    if parsed is not None:
        return parsed
    raw = await request.body()
    if not raw:
        raise InvalidInput("fhir.wrong_resource_type", "The body is empty.", loc=["body"])
    try:
        return orjson.loads(raw)  # the middleware parses every JSON body; kept as a fallback
    except orjson.JSONDecodeError:
        raise InvalidInput("request.json_invalid", "The body is not JSON.", loc=["body"]) from None


def _phase_matches(wanted: str, stored: str | None) -> bool:
    """A trial is of phase `wanted` when it is that phase, or a combined phase holding it."""
    phases = api_v2_phases(stored)
    return phases is not None and (phases == wanted or wanted in phases.split("/"))


def _origin(asked: MatchRequest) -> Origin | None:
    if asked.zip_code is not None:
        return zip_origin(asked.zip_code)
    if asked.latitude is not None and asked.longitude is not None:
        return Origin(latitude=asked.latitude, longitude=asked.longitude)
    return None


def _distances(
    library: Library, asked: MatchRequest, origin: Origin | None
) -> dict[str, SiteDistance] | None:
    if origin is None:
        return None
    return {
        nct: site_distance(compiled.trial, origin, asked.travel_radius)
        for nct, compiled in library.trials.items()
    }


def _restricted(
    library: Library,
    asked: MatchRequest,
    options: MatchOptions,
    distances: dict[str, SiteDistance] | None,
) -> MatchOptions:
    """The options with the IG's phase, recruitmentStatus and travel radius applied as a
    trial list."""
    in_range = distances is not None and asked.travel_radius is not None
    if asked.phase is None and asked.statuses is None and not in_range:
        return options
    allowed = {
        nct
        for nct, compiled in library.trials.items()
        if (asked.phase is None or _phase_matches(asked.phase, compiled.trial.phase))
        and (asked.statuses is None or compiled.trial.status in asked.statuses)
        and (distances is None or distances[nct].kept)
    }
    if options.trials is not None:
        # An id not in the library is kept, so that it is still refused as trial.not_found.
        chosen = [t for t in options.trials if t in allowed or t not in library.trials]
    else:
        chosen = sorted(allowed)
    return replace(
        options, trials=chosen, include_closed=options.include_closed or bool(asked.statuses)
    )


async def _match(
    request: Request,
    audit: AuditedRequest,
    library: Library,
    options: MatchOptions,
    *,
    mitre: bool,
) -> FhirJson:
    _check_media_type(request)
    body = await _body(request)

    def read() -> tuple[MatchRequest, Origin | None, Any]:
        asked = read_match_request(body, allow_patient_data=mitre)
        # The origin before the record: an unknown ZIP code is refused without reading it.
        origin = _origin(asked)
        return asked, origin, read_bundle(asked.bundle)

    # Reading, normalizing and evaluating is CPU work: keep it off the event loop.
    asked, origin, record = await anyio.to_thread.run_sync(read)
    audit.set_patient(record.reference)
    distances = _distances(library, asked, origin)
    chosen = _restricted(library, asked, options, distances)
    links = Links(
        fhir_base=fhir_base(request),
        extensions=ExtensionUrls(
            verdict=extension_url(request, VERDICT),
            match_status=extension_url(request, MATCH_STATUS),
            nearest_site=extension_url(request, NEAREST_SITE),
        ),
    )

    def run() -> FhirJson:
        response = match_record(record, library, chosen)
        trials = {m.trial: library.trials[m.trial].trial for m in response.matches}
        audit.set_trials_returned(len(response.matches))
        return searchset(response, trials, links, distances=distances)

    return await anyio.to_thread.run_sync(run)


@router.post(
    f"{FHIR_PATH}/ResearchStudy/$match",
    summary="CodeX trial matching: ResearchStudy/$match",
    description="A Parameters resource with trialMatchClinicalData (the patient's Bundle) "
    "and optional zipCode, travelRadius, phase, recruitmentStatus; a bare Bundle is read "
    "too. zipCode (a US ZIP code, placed at its packaged centroid) or latitude and longitude "
    "(ours, WGS 84 degrees) with travelRadius (miles) keeps the trials with a site in range; "
    "each result then carries the extension nearest-site. A trial with a site of unknown "
    "position is kept and flagged (fhir.site_distance_unknown); an unknown ZIP code is a 422 "
    "fhir.unknown_zip_code. The answer is a Parameters resource whose trialMatchOutput is "
    "a searchset Bundle: "
    "one ResearchStudy per ranked trial, each with its criteria's verdicts in the extension "
    "criterion-verdict, and an OperationOutcome entry for warnings and missing data.",
    openapi_extra=_body_schema(_PARAMETERS_EXAMPLE),
    response_class=Response,
    responses=_fhir_ok(
        "Parameters with trialMatchOutput.",
        {
            "resourceType": "Parameters",
            "parameter": [{"name": OUTPUT, "resource": _SEARCHSET_EXAMPLE}],
        },
    )
    | _MATCH_ERRORS,
)
async def match_operation(
    request: Request,
    principal: MatchPrincipal,
    audit: AuditedRequest,
    library: LibraryDep,
    options: Annotated[MatchOptions, Depends(match_options)],
) -> Response:
    bundle = await _match(request, audit, library, options, mitre=False)
    return _fhir(
        {"resourceType": "Parameters", "parameter": [{"name": OUTPUT, "resource": bundle}]}
    )


@router.post(
    "/getClinicalTrial",
    summary="MITRE clinical-trial-matching-service wire form",
    description="The patient Bundle with a Parameters resource among its entries (zipCode, "
    'travelRadius, phase, recruitmentStatus), or {"patientData": Bundle}; the answer is '
    "the bare searchset Bundle, as MITRE's services answer.",
    openapi_extra=_body_schema(_MITRE_EXAMPLE),
    response_class=Response,
    responses=_fhir_ok("The searchset Bundle.", _SEARCHSET_EXAMPLE) | _MATCH_ERRORS,
)
async def get_clinical_trial(
    request: Request,
    principal: MatchPrincipal,
    audit: AuditedRequest,
    library: LibraryDep,
    options: Annotated[MatchOptions, Depends(match_options)],
) -> Response:
    return _fhir(await _match(request, audit, library, options, mitre=True))


@router.get(
    f"{FHIR_PATH}/metadata",
    summary="CapabilityStatement",
    response_class=Response,
    responses=_fhir_ok(
        "The CapabilityStatement (FHIR R4, json).", {"resourceType": "CapabilityStatement"}
    ),
)
async def metadata(request: Request) -> Response:
    today = datetime.now(UTC).date().isoformat()
    return _fhir(capability_statement(fhir_base(request), today))


@router.get(
    f"{FHIR_PATH}/StructureDefinition/{{definition_id}}",
    summary="One of our StructureDefinitions (criterion-verdict, match-status, nearest-site)",
    response_class=Response,
    responses=_fhir_ok("The StructureDefinition.", {"resourceType": "StructureDefinition"})
    | _INTERNAL
    | _outcome_example(404, "fhir.not_found", "No StructureDefinition has this id.")
    | _TOO_LONG,
)
async def read_structure_definition(
    request: Request, definition_id: Annotated[str, Path(max_length=64)]
) -> Response:
    definition = structure_definition(fhir_base(request), definition_id)
    if definition is None:
        raise NotFound(
            "fhir.not_found", "No StructureDefinition has this id.", loc=["path", "definition_id"]
        )
    return _fhir(definition)


@router.get(
    f"{FHIR_PATH}/ResearchStudy/{{nct_id}}",
    summary="One trial as a ResearchStudy",
    response_class=Response,
    responses=_fhir_ok("The ResearchStudy.", _SEARCHSET_EXAMPLE["entry"][0]["resource"])
    | _GUARDED
    | _outcome_example(404, "trial.not_found", "No trial has this id.")
    | _TOO_LONG,
)
async def read_research_study(
    principal: TrialsReadPrincipal,
    library: LibraryDep,
    nct_id: Annotated[str, Path(max_length=64, examples=["NCT06949098"])],
) -> Response:
    compiled = library.trials.get(nct_id)
    if compiled is None:
        raise NotFound("trial.not_found", "No trial has this id.", loc=["path", "nct_id"])
    return _fhir(research_study(compiled.trial))


def _status_filter(values: list[str] | None) -> frozenset[str] | None:
    if not values:
        return None
    statuses: set[str] = set()
    for value in values:
        for code in filter(None, (part.strip() for part in value.split(","))):
            if code not in vocabulary.r4_status_codes():
                raise InvalidInput(
                    "fhir.invalid_parameter",
                    "status takes R4 research-study-status codes (active, completed, ...).",
                    loc=["query", "status"],
                )
            statuses |= vocabulary.ctgov_statuses(code)
    return frozenset(statuses)


@router.get(
    f"{FHIR_PATH}/ResearchStudy",
    summary="Search trials as ResearchStudy (condition text, status)",
    response_class=Response,
    responses=_fhir_ok("A searchset Bundle, by NCT id.", _SEARCHSET_EXAMPLE)
    | _GUARDED
    | _outcome_example(422, "fhir.invalid_parameter", "status takes R4 codes."),
)
async def search_research_studies(
    request: Request,
    principal: TrialsReadPrincipal,
    library: LibraryDep,
    condition: Annotated[
        str | None,
        Query(max_length=200, description="Part of a condition's name, any case."),
    ] = None,
    status: Annotated[
        list[str] | None,
        Query(description="R4 research-study-status codes; repeat or comma-separate."),
    ] = None,
    count: Annotated[int, Query(alias="_count", ge=1, le=100, description="Page size.")] = 20,
    offset: Annotated[int, Query(alias="_offset", ge=0, le=1_000_000)] = 0,
) -> Response:
    statuses = _status_filter(status)
    needle = condition.lower() if condition else None
    found = [
        compiled.trial
        for _, compiled in sorted(library.trials.items())
        if (statuses is None or compiled.trial.status in statuses)
        and (needle is None or any(needle in c.lower() for c in compiled.trial.conditions))
    ]
    base = fhir_base(request)
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(found),
        "entry": [
            {
                "fullUrl": f"{base}/ResearchStudy/{trial.nct_id}",
                "resource": research_study(trial),
                "search": {"mode": "match"},
            }
            for trial in found[offset : offset + count]
        ],
    }
    return _fhir(bundle)
