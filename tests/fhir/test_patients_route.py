"""`GET /v1/patients/{id}/matches` against a real FHIR server: same answer as a posted Bundle.

Each example patient is put on the server (sekmet-fhir over HTTP), pulled by the service
with its own client, and matched; the result must equal `POST /v1/match` of the same
Bundle, so pulled and posted patients take one path after the FHIR boundary.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import REPO_ROOT, Settings
from app.main import create_app

EXAMPLES = REPO_ROOT / "examples" / "patients"
LOOPBACK = ("127.0.0.1", 50000)
AS_OF = "2026-11-23"
PULLED = [
    "rectal_early_low_eligible",
    "rectal_local_excision_pt1_high_risk",
    "esophageal_low_hemoglobin",
]


def as_transaction(collection: dict[str, Any]) -> dict[str, Any]:
    entries = []
    for entry in collection["entry"]:
        resource = entry["resource"]
        url = f"{resource['resourceType']}/{resource['id']}"
        entries.append({"resource": resource, "request": {"method": "PUT", "url": url}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


@pytest.fixture(scope="module")
def service(fhir_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    for name in PULLED:
        bundle = json.loads((EXAMPLES / f"{name}.json").read_text())
        response = httpx.post(
            fhir_server,
            json=as_transaction(bundle),
            headers={"Content-Type": "application/fhir+json"},
            timeout=60,
        )
        assert response.status_code == 200, response.text[:300]
    db: Path = tmp_path_factory.mktemp("pull") / "store.db"
    settings = Settings(
        database_url=f"sqlite:///{db}", fhir_base_url=fhir_server, rate_limit_per_minute=0
    )
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def comparable(response: dict[str, Any]) -> dict[str, Any]:
    facts = sorted(json.dumps(f, sort_keys=True) for f in response["facts"])
    return {"patient": response["patient"], "facts": facts, "matches": response["matches"]}


@pytest.mark.parametrize("name", PULLED)
def test_a_pulled_patient_matches_as_the_posted_bundle_does(service: TestClient, name: str) -> None:
    body = (EXAMPLES / f"{name}.json").read_bytes()
    patient_id = json.loads(body)["entry"][0]["resource"]["id"]
    query = f"as_of={AS_OF}&include_ineligible=true"
    posted = service.post(
        f"/v1/match?{query}", content=body, headers={"content-type": "application/fhir+json"}
    )
    pulled = service.get(f"/v1/patients/{patient_id}/matches?{query}")
    assert posted.status_code == 200 and pulled.status_code == 200, pulled.text[:300]
    assert pulled.json()["matches"], "no trial evaluated"
    assert comparable(pulled.json()) == comparable(posted.json())


def test_an_unknown_patient_is_404(service: TestClient) -> None:
    response = service.get("/v1/patients/no-such-patient-here/matches")
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "patient.not_found"


def test_without_an_ehr_configured_the_route_says_so(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}")
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        response = client.get("/v1/patients/123/matches")
    assert response.status_code == 503
    assert response.json()["detail"][0]["type"] == "fhir.not_configured"


def test_a_pull_is_audited_with_the_patient_and_trials_returned(service: TestClient) -> None:
    from app.store.audit import list_events

    response = service.get(f"/v1/patients/rectal-early-low/matches?as_of={AS_OF}")
    assert response.status_code == 200
    with service.app.state.sessions() as session:  # type: ignore[attr-defined]
        row = list_events(session, patient_ref="Patient/rectal-early-low", limit=1)[0]
    assert row.route == "/v1/patients/{patient_id}/matches"
    assert (row.status, row.outcome) == (200, "ok")
    assert row.trials_returned == len(response.json()["matches"])
