"""`POST /v1/match` end to end: bundled example patients through the real service.

The service runs on a real SQLite store loaded from the bundled criteria/ library; each
example patient in examples/patients/ is posted as a FHIR Bundle and the outcome of each
seed trial is checked, with the criteria that decide it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import REPO_ROOT, Settings
from app.main import create_app

EXAMPLES = REPO_ROOT / "examples" / "patients"
AS_OF = "2026-11-23"
FHIR_JSON = {"content-type": "application/fhir+json"}
LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("match") / "store.db"
    settings = Settings(database_url=f"sqlite:///{db}", rate_limit_per_minute=0)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def post_example(client: TestClient, name: str, query: str = "") -> dict[str, Any]:
    body = (EXAMPLES / f"{name}.json").read_bytes()
    response = client.post(
        f"/v1/match?as_of={AS_OF}&include_ineligible=true{query}", content=body, headers=FHIR_JSON
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def by_trial(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["trial"]: m for m in result["matches"]}


@pytest.mark.parametrize(
    ("patient", "trial"),
    [
        ("rectal_early_low_eligible", "NCT06949098"),
        ("rectal_local_excision_pt1_high_risk", "NCT06043999"),
        ("esophageal_scc_cn3_eligible", "NCT06122493"),
    ],
)
def test_each_seed_trial_has_an_eligible_example_patient(
    client: TestClient, patient: str, trial: str
) -> None:
    match = by_trial(post_example(client, patient))[trial]
    assert match["status"] == "eligible"
    assert match["unmet"] == [] and match["missing"] == []
    # Review-only criteria are listed for a person, never decided.
    assert match["review"]
    reviewed = [c for c in match["criteria"] if c["id"] in match["review"]]
    assert all(c["outcome"] == "unknown" and c["needs"] == "review" for c in reviewed)


@pytest.mark.parametrize(
    ("patient", "trial", "failing"),
    [
        ("rectal_ecog_3", "NCT06949098", "inc-2"),  # ECOG 0-1
        ("rectal_ecog_3", "NCT06043999", "exc-5.b"),  # ECOG > 2
        ("rectal_stage_iv_liver_metastases", "NCT06949098", "inc-5"),  # cT1-2N0M0
        ("rectal_stage_iv_liver_metastases", "NCT06043999", "inc-4"),  # N0M0 at diagnosis
        ("esophageal_prior_chest_radiotherapy", "NCT06122493", "exc-3"),  # chest RT
        ("esophageal_low_hemoglobin", "NCT06122493", "inc-6.a"),  # Hb >= 100 g/L
        ("esophageal_scc_cn3_eligible", "NCT06949098", "inc-3"),  # not rectal
    ],
)
def test_failing_patients_are_ineligible_on_the_deciding_criterion(
    client: TestClient, patient: str, trial: str, failing: str
) -> None:
    match = by_trial(post_example(client, patient))[trial]
    assert match["status"] == "ineligible"
    assert failing in match["unmet"]
    verdict = next(c for c in match["criteria"] if c["id"] == failing)
    assert verdict["outcome"] == "fail"
    assert verdict["reason"]


def test_missing_data_makes_possibly_eligible_never_eligible(client: TestClient) -> None:
    result = post_example(client, "rectal_missing_staging_and_performance")
    match = by_trial(result)["NCT06949098"]
    assert match["status"] == "possibly_eligible"
    # ECOG, anal verge distance and clinical stage are not in the record.
    assert {"inc-2", "inc-4", "inc-5"} <= set(match["missing"])
    for verdict in match["criteria"]:
        if verdict["id"] in match["missing"]:
            assert verdict["outcome"] == "unknown" and verdict["needs"] == "data"


def test_facts_carry_their_fhir_sources(client: TestClient) -> None:
    result = post_example(client, "rectal_local_excision_pt1_high_risk")
    assert result["patient"] == "Patient/rectal-te-pt1-high-risk"
    kinds = {f["kind"] for f in result["facts"]}
    assert {"stage", "anal_verge_distance", "submucosal_invasion", "treatment"} <= kinds
    for fact in result["facts"]:
        if fact["kind"] != "age":
            assert fact["sources"], fact
    text_facts = [f for f in result["facts"] if f["read_from"] == "text"]
    assert text_facts and all(f["note"] for f in text_facts)


def test_ineligible_trials_are_hidden_unless_asked(client: TestClient) -> None:
    body = (EXAMPLES / "rectal_ecog_3.json").read_bytes()
    response = client.post(f"/v1/match?as_of={AS_OF}", content=body, headers=FHIR_JSON)
    assert response.status_code == 200
    assert response.json()["matches"] == []


def test_ranking_puts_eligible_first_and_numbers_ranks(client: TestClient) -> None:
    result = post_example(client, "rectal_early_low_eligible", "&include_closed=true")
    statuses = [m["status"] for m in result["matches"]]
    order = {"eligible": 0, "possibly_eligible": 1, "ineligible": 2}
    assert statuses == sorted(statuses, key=order.__getitem__)
    assert [m["rank"] for m in result["matches"]] == list(range(1, len(statuses) + 1))


def test_trial_filter_and_limit(client: TestClient) -> None:
    result = post_example(client, "rectal_early_low_eligible", "&trial=NCT06043999")
    assert [m["trial"] for m in result["matches"]] == ["NCT06043999"]
    result = post_example(client, "rectal_early_low_eligible", "&limit=1")
    assert len(result["matches"]) == 1


def test_a_trial_past_its_end_date_carries_a_warning(client: TestClient) -> None:
    result = post_example(client, "esophageal_scc_cn3_eligible")
    match = by_trial(result)["NCT06122493"]
    assert any("end date" in w for w in match["warnings"])


# --- errors ---------------------------------------------------------------------------


def error_type(response: Any) -> str:
    body = response.json()
    assert set(body) == {"detail"}
    return str(body["detail"][0]["type"])


def test_a_bundle_without_patient_is_422(client: TestClient) -> None:
    body = {"resourceType": "Bundle", "type": "collection", "entry": []}
    response = client.post("/v1/match", json=body)
    assert response.status_code == 422
    assert error_type(response) == "bundle.no_patient"


def test_two_patients_is_422(client: TestClient) -> None:
    patient = {"resourceType": "Patient", "id": "a"}
    body = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}, {"resource": {**patient, "id": "b"}}],
    }
    response = client.post("/v1/match", json=body)
    assert response.status_code == 422
    assert error_type(response) == "bundle.multiple_patients"


def test_not_json_is_422_and_echoes_nothing(client: TestClient) -> None:
    secret = "Zyxwvut-Patient-Name"
    response = client.post("/v1/match", content=f"{{not json {secret}".encode(), headers=FHIR_JSON)
    assert response.status_code == 422
    # Refused by the body limits before the route: no audit row (tests/api/test_audit_trail.py)
    assert error_type(response) == "request.json_invalid"
    assert secret not in response.text


def test_wrong_media_type_is_415(client: TestClient) -> None:
    response = client.post(
        "/v1/match", content=b"<Bundle/>", headers={"content-type": "application/fhir+xml"}
    )
    assert response.status_code == 415
    assert error_type(response) == "request.unsupported_media_type"


def test_unknown_trial_is_404(client: TestClient) -> None:
    body = (EXAMPLES / "rectal_ecog_3.json").read_bytes()
    response = client.post("/v1/match?trial=NCT00000001", content=body, headers=FHIR_JSON)
    assert response.status_code == 404
    assert error_type(response) == "trial.not_found"


def test_strict_refuses_a_resource_of_another_patient(client: TestClient) -> None:
    bundle = json.loads((EXAMPLES / "rectal_ecog_3.json").read_text())
    bundle["entry"][1]["resource"]["subject"] = {"reference": "Patient/someone-else"}
    lenient = client.post("/v1/match", json=bundle)
    assert lenient.status_code == 200
    assert any(w["code"] == "bundle.foreign_subject" for w in lenient.json()["warnings"])
    strict = client.post("/v1/match?strict=true", json=bundle)
    assert strict.status_code == 422
    assert error_type(strict) == "bundle.foreign_subject"


def test_bad_query_is_422_in_the_one_error_shape(client: TestClient) -> None:
    body = (EXAMPLES / "rectal_ecog_3.json").read_bytes()
    response = client.post("/v1/match?as_of=yesterday", content=body, headers=FHIR_JSON)
    assert response.status_code == 422
    assert error_type(response).startswith("request.")


def test_a_malformed_trial_id_is_422(client: TestClient) -> None:
    body = (EXAMPLES / "rectal_ecog_3.json").read_bytes()
    response = client.post("/v1/match?trial=NCT1", content=body, headers=FHIR_JSON)
    assert response.status_code == 422
    assert error_type(response).startswith("request.")


# --- audit trail ------------------------------------------------------------------------


def audit_rows(client: TestClient, patient_ref: str) -> list[Any]:
    from app.store.audit import list_events

    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return list_events(session, patient_ref=patient_ref, limit=100)


def test_each_match_writes_one_audit_row_with_patient_and_trials(client: TestClient) -> None:
    before = len(audit_rows(client, "Patient/rectal-ecog-3"))
    result = post_example(client, "rectal_ecog_3")
    rows = audit_rows(client, "Patient/rectal-ecog-3")
    assert len(rows) == before + 1
    row = rows[0]
    assert (row.route, row.method, row.status, row.outcome) == ("/v1/match", "POST", 200, "ok")
    assert row.trials_returned == len(result["matches"])


def test_a_failed_match_is_audited_with_its_error_type(client: TestClient) -> None:
    bundle = json.loads((EXAMPLES / "rectal_ecog_3.json").read_text())
    bundle["entry"][1]["resource"]["subject"] = {"reference": "Patient/someone-else"}
    response = client.post("/v1/match?strict=true&trial=NCT06949098", json=bundle)
    assert response.status_code == 422
    # The patient is not known when the bundle is refused: the row says what happened.
    from app.store.audit import list_events

    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        latest = list_events(session, limit=1)[0]
    assert (latest.status, latest.outcome) == (422, "bundle.foreign_subject")


def test_an_unauthenticated_caller_gets_401_and_writes_nothing(client: TestClient) -> None:
    from app.store.audit import list_events

    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        before = len(list_events(session, limit=1000))
    outsider = TestClient(client.app, client=("203.0.113.9", 40000))
    body = (EXAMPLES / "rectal_ecog_3.json").read_bytes()
    response = outsider.post("/v1/match", content=body, headers=FHIR_JSON)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert len(list_events(session, limit=1000)) == before


def test_reasons_show_converted_values_rounded_for_a_reader(client: TestClient) -> None:
    match = by_trial(post_example(client, "esophageal_scc_cn3_eligible"))["NCT06122493"]
    reasons = {c["id"]: c["reason"] for c in match["criteria"]}
    # 0.7 mg/dL and ULN 1.2 mg/dL, converted to umol/L (x 17.1).
    assert "Total bilirubin 11.97 umol/L (ULN 20.52)" in reasons["inc-6.e"]
