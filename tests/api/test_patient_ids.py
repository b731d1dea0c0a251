"""Patient ids that are not FHIR ids, at both boundaries: a posted Bundle's Patient.id and
the path of ``GET /v1/patients/{id}/matches``. Each is a stable 4xx, never a 500, and the
id is never stored in the audit trail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from app.auth.api_keys import new_api_key
from app.config import REPO_ROOT, Settings
from app.fhir.client import FhirClient
from app.main import create_app
from app.store.audit import AuditEvent, list_events
from tests.conftest import TRIAL_FIXTURES

EXAMPLE = REPO_ROOT / "examples" / "patients" / "rectal_early_low_eligible.json"
KEY, ENTRY = new_api_key("board", ["trialmatch/match", "trialmatch/patient.read"])
AS_BOARD = {"X-API-Key": KEY}
FHIR_JSON = {**AS_BOARD, "Content-Type": "application/fhir+json"}

# Ids no FHIR server could hold: too long, rich markup, an ANSI escape, a newline, a space,
# non-ASCII, empty.
BAD_IDS = {
    "300 characters": "p" * 300,
    "65 characters": "p" * 65,
    "rich markup": "x[/x]",
    "ANSI escape": "\x1b[31mred",
    "newline": "p1\nforged",
    "space": "p 1",
    "non-ASCII": "pätient",
    "empty": "",
}


@pytest.fixture
def service(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        criteria_dir=TRIAL_FIXTURES,
        api_keys=ENTRY.line(),
        rate_limit_per_minute=0,
    )
    with TestClient(create_app(settings), client=("10.9.8.7", 40000)) as client:
        yield client


def rows(client: TestClient) -> list[AuditEvent]:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return list_events(session, limit=100)


def bundle_with_patient_id(patient_id: Any) -> bytes:
    bundle = json.loads(EXAMPLE.read_text())
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"]["id"] = patient_id
    return json.dumps(bundle).encode()


@pytest.mark.parametrize("patient_id", list(BAD_IDS.values()), ids=list(BAD_IDS))
def test_a_posted_bundle_whose_patient_id_is_not_a_fhir_id_is_422(
    service: TestClient, patient_id: str
) -> None:
    response = service.post(
        "/v1/match", content=bundle_with_patient_id(patient_id), headers=FHIR_JSON
    )
    assert response.status_code == 422, response.text
    [detail] = response.json()["detail"]
    assert detail["type"] == "bundle.invalid_patient_id"
    assert detail["loc"][-1] == "id"
    if patient_id:
        assert patient_id not in response.text
    [row] = rows(service)  # the route was reached: recorded, without the id
    assert (row.status, row.outcome, row.patient_ref) == (422, "bundle.invalid_patient_id", None)


@pytest.mark.parametrize(
    "patient_id", [123, ["p1"], {"id": "p1"}], ids=["number", "list", "object"]
)
def test_a_patient_id_that_is_not_a_string_is_422(service: TestClient, patient_id: Any) -> None:
    response = service.post(
        "/v1/match", content=bundle_with_patient_id(patient_id), headers=FHIR_JSON
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "bundle.invalid_patient_id"


def test_a_64_character_id_is_a_fhir_id(service: TestClient) -> None:
    patient_id = "p-1." + "a" * 60
    response = service.post(
        "/v1/match", content=bundle_with_patient_id(patient_id), headers=FHIR_JSON
    )
    assert response.status_code == 200, response.text
    assert response.json()["patient"] == f"Patient/{patient_id}"
    [row] = rows(service)
    assert row.patient_ref == f"Patient/{patient_id}"


@pytest.fixture
def ehr_calls(service: TestClient) -> list[str]:
    """An EHR that knows no patient; the paths it was asked for."""
    calls: list[str] = []

    def ehr(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(404)

    http = httpx.AsyncClient(transport=httpx.MockTransport(ehr))
    service.app.state.fhir_client = FhirClient(http, "https://ehr.test/fhir")  # type: ignore[attr-defined]
    return calls


# In a path, a slash (even as %2F) splits the segment: `x[/x]` is tested as no route below.
PATH_IDS = {k: v for k, v in BAD_IDS.items() if v and "/" not in v} | {"rich markup": "x[b]x"}


@pytest.mark.parametrize("patient_id", list(PATH_IDS.values()), ids=list(PATH_IDS))
def test_a_path_id_that_is_not_a_fhir_id_is_422(
    service: TestClient, ehr_calls: list[str], patient_id: str
) -> None:
    response = service.get(f"/v1/patients/{quote(patient_id, safe='')}/matches", headers=AS_BOARD)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "patient.invalid_id"
    assert patient_id not in response.text
    assert ehr_calls == []  # no URL was built from it
    [row] = rows(service)
    assert (row.status, row.outcome, row.patient_ref) == (422, "patient.invalid_id", None)


def test_a_path_id_with_a_slash_is_not_a_route(service: TestClient, ehr_calls: list[str]) -> None:
    response = service.get("/v1/patients/x[/x]/matches", headers=AS_BOARD)
    assert response.status_code == 404
    assert ehr_calls == []
    assert rows(service) == []


def test_a_fhir_id_in_the_path_reaches_the_ehr(service: TestClient, ehr_calls: list[str]) -> None:
    response = service.get("/v1/patients/p-1.2/matches", headers=AS_BOARD)
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "patient.not_found"
    assert ehr_calls == ["/fhir/Patient/p-1.2"]
