"""What the FHIR interface declares: its CapabilityStatement and our two extensions.

    capability_statement(base, date)           # GET /fhir/metadata
    structure_definition(base, VERDICT)        # GET /fhir/StructureDefinition/criterion-verdict

``criterion-verdict`` (on ResearchStudy, 0..*): one criterion's verdict for the patient of a
``$match``. Its parts are the fields of a criterion of ``/v1/match``: ``criterion`` (the id,
e.g. ``inc-4``), ``type`` (inclusion | exclusion), ``outcome`` (pass | fail | unknown),
``needs`` (data | review, for an unknown), ``reason`` (plain words), ``encoding`` (curated |
suggested | text), ``evidence`` (references to the patient's resources used),
``missingData`` (what would decide it), ``triggeredBy`` (the resources that raised a review)
and ``assumption``. ``match-status`` (on ResearchStudy, 0..1): eligible | possibly_eligible |
ineligible. ``nearest-site`` (on ResearchStudy, 0..1, when a ``$match`` names an origin):
``site`` (the nearest contained Location with a position), ``distance`` (great-circle
miles to it), ``withinRadius`` (when a travelRadius was asked) and ``unpositionedSites``
(sites with no position, whose distance is unknown).
"""

from __future__ import annotations

from typing import Any

from app.fhir_api.canonical import FHIR_JSON, FHIR_VERSION, MATCH_STATUS, NEAREST_SITE, VERDICT
from app.version import software_version

FhirJson = dict[str, Any]

# The IG's OperationDefinition (standardhealth/fsh-pct, trialmatch_operation.fsh).
CODEX_MATCH_OPERATION = (
    "http://mcodeinitiative.org/codex/us/patient.clinical.trial.matching/"
    "OperationDefinition/ClinicalTrialMatchService"
)
EXTENSION_BASE = "http://hl7.org/fhir/StructureDefinition/Extension"

# (name, min, max, value type, definition) of each part of criterion-verdict.
VERDICT_PARTS: tuple[tuple[str, int, str, str, str], ...] = (
    ("criterion", 1, "1", "string", "The criterion's id in the trial, e.g. inc-4 or exc-2.a."),
    ("type", 1, "1", "code", "inclusion | exclusion."),
    (
        "outcome",
        1,
        "1",
        "code",
        "pass (does not stand in the way) | fail (stands in the way) | unknown (see needs).",
    ),
    ("needs", 0, "1", "code", "Why an unknown is unknown: data (missing) | review (a person)."),
    ("reason", 1, "1", "string", "Plain words for a clinician."),
    (
        "encoding",
        1,
        "1",
        "code",
        "curated (by a person) | suggested (computed, not accepted) | text (not encoded).",
    ),
    ("evidence", 0, "*", "Reference", "The patient's resources the outcome was decided from."),
    ("missingData", 0, "*", "string", "For an unknown that needs data: what would decide it."),
    ("triggeredBy", 0, "*", "Reference", "The recorded facts that raised a review."),
    ("assumption", 0, "*", "string", "What the outcome assumes."),
)
# The same, for nearest-site.
NEAREST_SITE_PARTS: tuple[tuple[str, int, str, str, str], ...] = (
    (
        "site",
        0,
        "1",
        "Reference",
        "The trial's nearest site with a registry position: a contained Location.",
    ),
    (
        "distance",
        0,
        "1",
        "Quantity",
        "Great-circle distance in miles ([mi_i]) from the origin (zipCode centroid, or "
        "latitude and longitude) to that site.",
    ),
    (
        "withinRadius",
        0,
        "1",
        "boolean",
        "Whether that site is within the travelRadius asked (absent: no radius asked).",
    ),
    (
        "unpositionedSites",
        1,
        "1",
        "integer",
        "How many of the trial's sites have no position, so no distance. A trial with such "
        "a site and no measured site in range is kept, flagged, rather than dropped.",
    ),
)
DEFINITION_IDS = (VERDICT, MATCH_STATUS, NEAREST_SITE)


def _root(base: str, definition_id: str, title: str, description: str) -> FhirJson:
    return {
        "resourceType": "StructureDefinition",
        "id": definition_id,
        "url": f"{base}/StructureDefinition/{definition_id}",
        "version": software_version(),
        "name": "".join(part.capitalize() for part in definition_id.split("-")),
        "title": title,
        "status": "draft",
        "publisher": "trialmatch",
        "description": description,
        "fhirVersion": FHIR_VERSION,
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": "ResearchStudy"}],
        "type": "Extension",
        "baseDefinition": EXTENSION_BASE,
        "derivation": "constraint",
    }


def _verdict(base: str) -> FhirJson:
    definition = _root(
        base,
        VERDICT,
        "Criterion verdict",
        "One eligibility criterion's verdict for the patient of a ResearchStudy/$match.",
    )
    return _complex(definition, "Criterion verdict", "*", VERDICT_PARTS)


def _nearest_site(base: str) -> FhirJson:
    definition = _root(
        base,
        NEAREST_SITE,
        "Nearest site",
        "The trial's nearest site to the origin of a ResearchStudy/$match (zipCode, or "
        "latitude and longitude) and its distance in miles.",
    )
    return _complex(definition, "Nearest site", "1", NEAREST_SITE_PARTS)


def _complex(
    definition: FhirJson,
    short: str,
    high_bound: str,
    parts: tuple[tuple[str, int, str, str, str], ...],
) -> FhirJson:
    """A complex extension: one closed slice of `Extension.extension` per part."""
    url = definition["url"]
    elements: list[FhirJson] = [
        {"id": "Extension", "path": "Extension", "short": short, "min": 0, "max": high_bound},
        {
            "id": "Extension.extension",
            "path": "Extension.extension",
            "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "closed"},
        },
    ]
    for name, low, high, kind, text in parts:
        slice_id = f"Extension.extension:{name}"
        elements += [
            {
                "id": slice_id,
                "path": "Extension.extension",
                "sliceName": name,
                "short": text,
                "min": low,
                "max": high,
            },
            {"id": f"{slice_id}.extension", "path": "Extension.extension.extension", "max": "0"},
            {"id": f"{slice_id}.url", "path": "Extension.extension.url", "fixedUri": name},
            {
                "id": f"{slice_id}.value[x]",
                "path": "Extension.extension.value[x]",
                "min": 1,
                "type": [{"code": kind}],
            },
        ]
    elements += [
        {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
        {"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"},
    ]
    definition["differential"] = {"element": elements}
    return definition


def _match_status(base: str) -> FhirJson:
    definition = _root(
        base,
        MATCH_STATUS,
        "Match status",
        "The trial's status for the patient of a ResearchStudy/$match: eligible (every "
        "decidable criterion passes), possibly_eligible (none fails, some unknown or for a "
        "person to confirm) or ineligible (one fails).",
    )
    definition["differential"] = {
        "element": [
            {"id": "Extension", "path": "Extension", "short": "Match status", "max": "1"},
            {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
            {"id": "Extension.url", "path": "Extension.url", "fixedUri": definition["url"]},
            {
                "id": "Extension.value[x]",
                "path": "Extension.value[x]",
                "min": 1,
                "type": [{"code": "code"}],
            },
        ]
    }
    return definition


def structure_definition(base: str, definition_id: str) -> FhirJson | None:
    """One of our StructureDefinitions (`DEFINITION_IDS`), canonical under `base`."""
    if definition_id == VERDICT:
        return _verdict(base)
    if definition_id == MATCH_STATUS:
        return _match_status(base)
    if definition_id == NEAREST_SITE:
        return _nearest_site(base)
    return None


def capability_statement(base: str, date: str) -> FhirJson:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "trialmatch",
        "kind": "instance",
        "software": {"name": "trialmatch", "version": software_version()},
        "implementation": {"description": "trialmatch FHIR interface", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json", FHIR_JSON],
        "rest": [
            {
                "mode": "server",
                "documentation": "Also POST /getClinicalTrial (MITRE's clinical-trial-matching-"
                "service wire form): a patient Bundle in, a searchset Bundle out.",
                "resource": [
                    {
                        "type": "ResearchStudy",
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {
                                "name": "condition",
                                "type": "token",
                                "documentation": "Matched as text: part of a condition's "
                                "name, any case (codes are not matched).",
                            },
                            {
                                "name": "status",
                                "type": "token",
                                "documentation": "An R4 research-study-status code; "
                                "repeat or comma-separate for several.",
                            },
                        ],
                        "operation": [
                            {
                                "name": "match",
                                "definition": CODEX_MATCH_OPERATION,
                                "documentation": "In: trialMatchClinicalData (a Bundle), and "
                                "optionally zipCode (US ZIP) or latitude and longitude "
                                "(decimal degrees, trialmatch's own), travelRadius (miles), "
                                "phase, recruitmentStatus. Out: trialMatchOutput (a searchset "
                                "Bundle; each ResearchStudy names its nearest site in the "
                                "nearest-site extension).",
                            }
                        ],
                    },
                    {
                        "type": "StructureDefinition",
                        "interaction": [{"code": "read"}],
                    },
                ],
            }
        ],
    }
