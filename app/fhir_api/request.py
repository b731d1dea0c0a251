"""What a FHIR matching request asks: the patient's Bundle and the IG's search parameters.

Three body shapes are read, each an already parsed JSON object::

    read_match_request({"resourceType": "Parameters", "parameter": [
        {"name": "trialMatchClinicalData", "resource": {"resourceType": "Bundle", ...}},
        {"name": "phase", "valueString": "phase-2"}]})           # the CodeX IG's $match
    read_match_request({"resourceType": "Bundle", "entry": [..., {"resource":
        {"resourceType": "Parameters", "parameter": [...]}}]})   # MITRE's wire form
    read_match_request({"patientData": {...Bundle...}})          # MITRE's older form

Values are read from ``valueString`` (MITRE's app sends every one so), ``valueCode``, and
for the numbers (``travelRadius``, ``latitude``, ``longitude``) ``valueDecimal`` /
``valueInteger`` too. The origin of a distance search is ``zipCode`` (the IG's) or
``latitude`` and ``longitude`` (ours: the IG has none; WGS 84 degrees), not both;
``travelRadius`` is in miles, as MITRE's app means it, and needs an origin. ``phase`` takes an R4
research-study-phase code (``phase-2``) or a ClinicalTrials.gov one (``PHASE2``);
``recruitmentStatus`` an R4 research-study-status code (``active``) or a ClinicalTrials.gov
overall status (``RECRUITING``, any case, spaces for underscores). Errors (422, stable types):
``fhir.wrong_resource_type``, ``fhir.no_clinical_data``, ``fhir.invalid_parameter``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import InvalidInput
from app.vocabulary import research_study as vocabulary

FhirJson = dict[str, Any]

CLINICAL_DATA = "trialMatchClinicalData"
SEARCH_PARAMETERS = (
    "zipCode",
    "travelRadius",
    "phase",
    "recruitmentStatus",
    "latitude",
    "longitude",
)


@dataclass(frozen=True)
class MatchRequest:
    bundle: FhirJson
    phase: str | None = None  # API v2 phase codes, '/'-joined (PHASE1/PHASE2)
    statuses: frozenset[str] | None = None  # API v2 overall statuses
    zip_code: str | None = None
    travel_radius: float | None = None  # miles
    latitude: float | None = None
    longitude: float | None = None


def read_match_request(body: Any, *, allow_patient_data: bool = False) -> MatchRequest:
    if not isinstance(body, dict):
        raise _wrong_type()
    if allow_patient_data and "resourceType" not in body and "patientData" in body:
        body = body["patientData"]
        if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
            raise InvalidInput(
                "fhir.wrong_resource_type",
                "patientData is not a FHIR Bundle.",
                loc=["body", "patientData"],
            )
    kind = body.get("resourceType")
    if kind == "Parameters":
        parameters = _parameters(body, ["body"])
        bundle = parameters.get(CLINICAL_DATA)
        if not isinstance(bundle, dict):
            raise InvalidInput(
                "fhir.no_clinical_data",
                f"The Parameters hold no {CLINICAL_DATA} Bundle.",
                loc=["body", "parameter"],
            )
        return _request(bundle, parameters)
    if kind == "Bundle":
        return _request(body, _embedded_parameters(body))
    raise _wrong_type()


def _wrong_type() -> InvalidInput:
    return InvalidInput(
        "fhir.wrong_resource_type",
        "Send a Parameters resource (with trialMatchClinicalData) or a Bundle.",
        loc=["body", "resourceType"],
    )


def _parameters(resource: FhirJson, loc: list[str | int]) -> dict[str, Any]:
    """Parameter name -> its value (a resource, or a primitive value)."""
    found: dict[str, Any] = {}
    entries = resource.get("parameter") or []
    if not isinstance(entries, list):
        raise _invalid("Parameters.parameter is not a list.", [*loc, "parameter"])
    for index, parameter in enumerate(entries):
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            raise _invalid("A parameter has no name.", [*loc, "parameter", index])
        name = parameter["name"]
        if name == CLINICAL_DATA:
            resource_value = parameter.get("resource")
            if not isinstance(resource_value, dict) or resource_value.get("resourceType") != (
                "Bundle"
            ):
                raise InvalidInput(
                    "fhir.no_clinical_data",
                    f"{CLINICAL_DATA} is not a Bundle.",
                    loc=[*loc, "parameter", index, "resource"],
                )
            found[name] = resource_value
        elif name in SEARCH_PARAMETERS:
            values = [v for k, v in parameter.items() if k.startswith("value")]
            if len(values) != 1 or isinstance(values[0], dict | list | bool):
                raise _invalid(f"{name} needs one value.", [*loc, "parameter", index])
            found[name] = values[0]
        # Any other parameter is not one of the IG's: ignored, as FHIR servers do.
    return found


def _embedded_parameters(bundle: FhirJson) -> dict[str, Any]:
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return {}
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Parameters":
            return _parameters(resource, ["body", "entry", index, "resource"])
    return {}


def _invalid(msg: str, loc: list[str | int]) -> InvalidInput:
    return InvalidInput("fhir.invalid_parameter", msg, loc=loc)


def _request(bundle: FhirJson, parameters: dict[str, Any]) -> MatchRequest:
    zip_code = parameters.get("zipCode")
    radius = parameters.get("travelRadius")
    latitude = _degrees(parameters.get("latitude"), "latitude", 90.0)
    longitude = _degrees(parameters.get("longitude"), "longitude", 180.0)
    asked = MatchRequest(
        bundle=bundle,
        phase=_phase(parameters.get("phase")),
        statuses=_statuses(parameters.get("recruitmentStatus")),
        zip_code=str(zip_code).strip() or None if zip_code is not None else None,
        travel_radius=_radius(radius) if radius is not None else None,
        latitude=latitude,
        longitude=longitude,
    )
    _check_origin(asked)
    return asked


def _check_origin(asked: MatchRequest) -> None:
    if (asked.latitude is None) != (asked.longitude is None):
        raise _invalid("latitude and longitude go together.", ["body", "latitude"])
    if asked.zip_code is not None and asked.latitude is not None:
        raise _invalid("Send zipCode or latitude and longitude, not both.", ["body", "zipCode"])
    if asked.travel_radius is not None and asked.zip_code is None and asked.latitude is None:
        raise _invalid(
            "travelRadius needs an origin: zipCode, or latitude and longitude.",
            ["body", "travelRadius"],
        )


def _degrees(value: Any, name: str, limit: float) -> float | None:
    if value is None:
        return None
    try:
        degrees = float(value)
    except (TypeError, ValueError):
        raise _invalid(f"{name} is not a number (degrees).", ["body", name]) from None
    if not -limit <= degrees <= limit:
        raise _invalid(f"{name} is not between -{limit:g} and {limit:g}.", ["body", name])
    return degrees


def _phase(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    api_v2 = vocabulary.phase_for_code(text.lower())
    if api_v2 is None and vocabulary.r4_phase(text.upper()) is not None:
        api_v2 = text.upper()
    if api_v2 is None:
        raise _invalid(
            "phase is neither an R4 research-study-phase code (phase-2) nor a "
            "ClinicalTrials.gov phase (PHASE2).",
            ["body", "phase"],
        )
    return api_v2


def _statuses(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.lower() in vocabulary.r4_status_codes():
        statuses = vocabulary.ctgov_statuses(text.lower())
        if statuses:
            return statuses
        return frozenset()  # an R4 status no registry status reads as: nothing matches
    ctgov = text.upper().replace(" ", "_").replace(",", "")
    if ctgov in vocabulary.ctgov_status_names():
        return frozenset({ctgov})
    raise _invalid(
        "recruitmentStatus is neither an R4 research-study-status code (active) nor a "
        "ClinicalTrials.gov overall status (RECRUITING).",
        ["body", "recruitmentStatus"],
    )


def _radius(value: Any) -> float:
    try:
        radius = float(value)
    except (TypeError, ValueError):
        raise _invalid("travelRadius is not a number (miles).", ["body", "travelRadius"]) from None
    if not radius > 0 or radius == float("inf"):
        raise _invalid("travelRadius is not a positive number.", ["body", "travelRadius"])
    return radius
