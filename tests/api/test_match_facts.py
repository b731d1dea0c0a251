"""Which facts a match response shows (app/matching/facts_shown.py), from a posted Bundle:
by default the newest lab per analyte and ECOG per scale with a count of older ones left
out; `facts=all` returns every fact read."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def lab(id_: str, when: str, value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": id_,
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": LOINC, "code": "718-7"}]},  # hemoglobin
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": "g/dL", "system": UCUM, "code": "g/dL"},
    }


def ecog(id_: str, when: str, value: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": id_,
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": LOINC, "code": "89247-1"}]},
        "effectiveDateTime": when,
        "valueInteger": value,
    }


RECTAL_WITH_LAB_HISTORY = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": r}
        for r in (
            {"resourceType": "Patient", "id": "p1", "birthDate": "1962-03-14", "gender": "male"},
            {
                "resourceType": "Condition",
                "id": "c1",
                "subject": {"reference": "Patient/p1"},
                "code": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C20"}]
                },
                "onsetDateTime": "2026-03-01",
            },
            lab("hb-old", "2024-05-01", 13.1),
            lab("hb-mid", "2026-01-10", 12.0),
            lab("hb-new-a", "2026-11-15", 11.8),
            lab("hb-new-b", "2026-11-15", 12.9),  # same day, disagreeing: both stay
            ecog("ecog-old", "2025-02-01", 0),
            ecog("ecog-new", "2026-11-01", 1),
        )
    ],
}


def post(client: TestClient, query: str = "") -> dict[str, Any]:
    response = client.post(
        f"/v1/match?as_of=2026-11-22&include_ineligible=true{query}",
        json=RECTAL_WITH_LAB_HISTORY,
        headers={"Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def sources(body: dict[str, Any], kind: str) -> set[str]:
    return {s for f in body["facts"] if f["kind"] == kind for s in f["sources"]}


def cited(body: dict[str, Any]) -> set[str]:
    return {
        ref
        for m in body["matches"]
        for c in m["criteria"]
        for ref in (*c["evidence"], *c["triggered_by"])
    }


def test_by_default_the_newest_lab_and_ecog_are_shown_and_older_ones_counted(
    client: TestClient,
) -> None:
    body = post(client)
    shown_labs = sources(body, "lab")
    assert {"Observation/hb-new-a", "Observation/hb-new-b"} <= shown_labs
    assert "Observation/ecog-new" in sources(body, "performance")
    left_out = {"Observation/hb-old", "Observation/hb-mid", "Observation/ecog-old"} - (
        shown_labs | sources(body, "performance")
    )
    assert left_out, "older results are left out"
    assert not left_out & cited(body)  # nothing a verdict cites is left out
    assert body["facts_omitted"] >= len(left_out)  # an ECOG also gives a derived Karnofsky
    assert sources(body, "primary_cancer") == {"Condition/c1"}


def test_facts_all_returns_the_whole_history(client: TestClient) -> None:
    body = post(client, "&facts=all")
    assert sources(body, "lab") == {
        "Observation/hb-old",
        "Observation/hb-mid",
        "Observation/hb-new-a",
        "Observation/hb-new-b",
    }
    assert sources(body, "performance") == {"Observation/ecog-old", "Observation/ecog-new"}
    assert body["facts_omitted"] == 0
    default = post(client)
    assert len(body["facts"]) == len(default["facts"]) + default["facts_omitted"]
    assert body["matches"] == default["matches"]  # what is shown never changes a verdict


def test_an_unknown_facts_view_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/match?facts=everything",
        json=RECTAL_WITH_LAB_HISTORY,
        headers={"Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 422
