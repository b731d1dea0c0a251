"""The one service trialmatch offers, as `GET /cds-services` describes it.

Example::

    DISCOVERY.services[0].id            # "trialmatch-patient-view"
    PREFETCH["conditions"]              # "Condition?patient={{context.patientId}}"

Each prefetch key names the resource types its answer holds (`PREFETCH_TYPES`), so a
prefetched Bundle is read for those types only. The medication searches include the
Medication each names, as the EHR-pull client asks (app/fhir/client.py).
"""

from __future__ import annotations

from app.cds_hooks.models import DiscoveryResponse, ServiceDefinition

SERVICE_ID = "trialmatch-patient-view"
HOOK = "patient-view"
PATIENT_KEY = "patient"
_PATIENT = "{{context.patientId}}"

PREFETCH: dict[str, str] = {
    PATIENT_KEY: f"Patient/{_PATIENT}",
    "conditions": f"Condition?patient={_PATIENT}",
    "observations": f"Observation?patient={_PATIENT}",
    "diagnosticReports": f"DiagnosticReport?patient={_PATIENT}",
    "procedures": f"Procedure?patient={_PATIENT}",
    "medicationRequests": (
        f"MedicationRequest?patient={_PATIENT}&_include=MedicationRequest:medication"
    ),
    "medicationStatements": (
        f"MedicationStatement?patient={_PATIENT}&_include=MedicationStatement:medication"
    ),
    "medicationAdministrations": (
        f"MedicationAdministration?patient={_PATIENT}&_include=MedicationAdministration:medication"
    ),
}

# What each key's answer may hold; anything else in it is ignored.
PREFETCH_TYPES: dict[str, frozenset[str]] = {
    PATIENT_KEY: frozenset({"Patient"}),
    "conditions": frozenset({"Condition"}),
    "observations": frozenset({"Observation"}),
    "diagnosticReports": frozenset({"DiagnosticReport"}),
    "procedures": frozenset({"Procedure"}),
    "medicationRequests": frozenset({"MedicationRequest", "Medication"}),
    "medicationStatements": frozenset({"MedicationStatement", "Medication"}),
    "medicationAdministrations": frozenset({"MedicationAdministration", "Medication"}),
}

DISCOVERY = DiscoveryResponse(
    services=[
        ServiceDefinition(
            hook=HOOK,
            id=SERVICE_ID,
            title="Clinical trials this patient may fit",
            description="Matches the patient's record against trialmatch's oncology trial "
            "library and shows a card for each open trial the patient is eligible or possibly "
            "eligible for, with what a person must confirm and the data missing.",
            prefetch=PREFETCH,
            usageRequirements="Send fhirServer and fhirAuthorization, or every prefetch key; "
            "the fhirServer must be on trialmatch's allow-list.",
        )
    ]
)
