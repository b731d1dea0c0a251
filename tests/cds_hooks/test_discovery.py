"""`GET /cds-services` describes the one patient-view service, as CDS Hooks 2.0 asks."""

from __future__ import annotations

from pathlib import Path

from tests.cds_hooks.conftest import service


def test_discovery_lists_the_patient_view_service_with_its_prefetch(tmp_path: Path) -> None:
    with service(tmp_path, client=("203.0.113.9", 4000)) as client:  # public: any caller
        response = client.get("/cds-services")
    assert response.status_code == 200
    [described] = response.json()["services"]
    assert described["id"] == "trialmatch-patient-view"
    assert described["hook"] == "patient-view"
    assert described["title"] and described["description"]
    prefetch = described["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    searched = {template.split("?", 1)[0] for key, template in prefetch.items() if key != "patient"}
    assert searched == {
        "Condition",
        "Observation",
        "DiagnosticReport",
        "Procedure",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
    }
    assert all("patient={{context.patientId}}" in t for k, t in prefetch.items() if k != "patient")
    # The spec allows no null or empty value in a response.
    assert all(value not in (None, "", [], {}) for value in described.values())
