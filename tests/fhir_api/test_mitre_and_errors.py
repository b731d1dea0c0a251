"""MITRE's ``/getClinicalTrial`` (both body forms), and errors on the FHIR paths as
OperationOutcome with the service's stable error types."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.auth.api_keys import new_api_key
from app.config import Settings
from app.main import create_app
from tests.conftest import TRIAL_FIXTURES
from tests.fhir_api.conftest import (
    AS_OF,
    FHIR_JSON,
    as_parameters,
    example,
    issue_codes,
    matched,
    output_bundle,
    post_match,
    r4,
)

READER_KEY, READER = new_api_key("library-viewer", ["trialmatch/trials.read"])
MATCHER_KEY, MATCHER = new_api_key("lab-engine", ["trialmatch/match"])


def mitre(client: TestClient, body: Any, status: int = 200) -> dict[str, Any]:
    response = client.post(
        f"/getClinicalTrial?as_of={AS_OF}",
        content=json.dumps(body),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == status, response.text
    return r4(response.json())


def with_parameters_entry(bundle: dict[str, Any], **values: str) -> dict[str, Any]:
    parameters = {
        "resourceType": "Parameters",
        "parameter": [{"name": k, "valueString": v} for k, v in values.items()],
    }
    return {**bundle, "entry": [{"resource": parameters}, *bundle["entry"]]}


@pytest.mark.parametrize(
    "patient", ["rectal_early_low_eligible", "rectal_missing_staging_and_performance"]
)
def test_both_mitre_forms_answer_the_bare_searchset_of_match(
    client: TestClient, patient: str
) -> None:
    bundle = example(patient)
    expected = [
        (e["resource"]["id"], e["search"]["score"])
        for e in matched(output_bundle(post_match(client, as_parameters(bundle))))
    ]
    # What MITRE's app sends: zipCode and travelRadius as strings in a Parameters entry.
    embedded = mitre(client, with_parameters_entry(bundle, zipCode="67446", travelRadius="1500"))
    older = mitre(client, {"patientData": bundle})
    for answer in (embedded, older):
        assert answer["resourceType"] == "Bundle" and answer["type"] == "searchset"
        assert [(e["resource"]["id"], e["search"]["score"]) for e in matched(answer)] == expected
        assert answer["total"] == len(expected)


def test_a_parameters_entry_restricts_the_trials(client: TestClient) -> None:
    body = with_parameters_entry(
        example("rectal_early_low_eligible"), recruitmentStatus="completed"
    )
    assert matched(mitre(client, body)) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"resourceType": "Bundle", "type": "collection", "entry": []}, "bundle.no_patient"),
        ({"resourceType": "Patient", "id": "p1"}, "fhir.wrong_resource_type"),
        ({"resourceType": "Parameters", "parameter": []}, "fhir.no_clinical_data"),
        ([1, 2], "fhir.wrong_resource_type"),
    ],
)
@pytest.mark.parametrize("path", ["/fhir/ResearchStudy/$match", "/getClinicalTrial"])
def test_bad_bodies_are_operation_outcomes_with_stable_codes(
    client: TestClient, path: str, body: Any, code: str
) -> None:
    response = client.post(path, content=json.dumps(body), headers=FHIR_JSON)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/fhir+json"
    outcome = r4(response.json())
    assert outcome["resourceType"] == "OperationOutcome"
    assert issue_codes(outcome) == [code]
    assert outcome["issue"][0]["code"] == "invalid"


def test_patient_data_that_is_not_a_bundle_is_refused(client: TestClient) -> None:
    outcome = mitre(client, {"patientData": {"resourceType": "Patient"}}, status=422)
    assert issue_codes(outcome) == ["fhir.wrong_resource_type"]


def test_a_body_that_is_not_json_is_a_structure_issue(client: TestClient) -> None:
    response = client.post("/fhir/ResearchStudy/$match", content=b"{not json", headers=FHIR_JSON)
    assert response.status_code == 422
    outcome = r4(response.json())
    assert issue_codes(outcome) == ["request.json_invalid"]
    assert outcome["issue"][0]["code"] == "structure"
    assert "not json" not in response.text  # the body is never echoed


def test_another_media_type_is_415(client: TestClient) -> None:
    response = client.post(
        "/fhir/ResearchStudy/$match", content=b"<Bundle/>", headers={"content-type": "text/xml"}
    )
    assert response.status_code == 415
    outcome = r4(response.json())
    assert issue_codes(outcome) == ["request.unsupported_media_type"]
    assert outcome["issue"][0]["code"] == "not-supported"


def test_an_unknown_fhir_path_is_a_not_found_outcome(client: TestClient) -> None:
    response = client.get("/fhir/Patient/123")
    assert response.status_code == 404
    assert issue_codes(r4(response.json())) == ["request.not_found"]


def test_errors_elsewhere_keep_the_service_error_body(client: TestClient) -> None:
    response = client.post("/v1/match", content=b"{}", headers=FHIR_JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "bundle.invalid"


@pytest.fixture
def remote(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        criteria_dir=TRIAL_FIXTURES,
        api_keys=f"{READER.line()};{MATCHER.line()}",
        rate_limit_per_minute=0,
        max_body_bytes=50_000,
    )
    with TestClient(create_app(settings), client=("10.20.30.40", 41000)) as client:
        yield client


def test_the_match_scope_is_required_and_refusals_are_outcomes(remote: TestClient) -> None:
    body = json.dumps(as_parameters(example("rectal_early_low_eligible")))
    anonymous = remote.post("/fhir/ResearchStudy/$match", content=body, headers=FHIR_JSON)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    outcome = r4(anonymous.json())
    assert issue_codes(outcome) == ["auth.required"]
    assert outcome["issue"][0]["code"] == "login"
    reader = remote.post(
        "/getClinicalTrial", content=body, headers={**FHIR_JSON, "X-API-Key": READER_KEY}
    )
    assert reader.status_code == 403
    assert issue_codes(r4(reader.json())) == ["auth.insufficient_scope"]
    matcher = remote.post(
        "/getClinicalTrial", content=body, headers={**FHIR_JSON, "X-API-Key": MATCHER_KEY}
    )
    assert matcher.status_code == 200
    assert r4(matcher.json())["type"] == "searchset"
    # The trial reads take the reader's scope.
    read = remote.get("/fhir/ResearchStudy/NCT90000001", headers={"X-API-Key": READER_KEY})
    assert read.status_code == 200
    assert remote.get("/fhir/ResearchStudy/NCT90000001").status_code == 401
    # The CapabilityStatement is public.
    assert remote.get("/fhir/metadata").status_code == 200


def test_a_body_over_the_limit_is_a_too_costly_outcome(remote: TestClient) -> None:
    response = remote.post(
        "/fhir/ResearchStudy/$match",
        content=b" " * 60_000,
        headers={**FHIR_JSON, "X-API-Key": MATCHER_KEY},
    )
    assert response.status_code == 413
    outcome = r4(response.json())
    assert issue_codes(outcome) == ["request.too_large"]
    assert outcome["issue"][0]["code"] == "too-costly"
