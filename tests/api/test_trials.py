"""GET /v1/trials and GET /v1/trials/{trial_id}: success and error shapes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.eligibility.fingerprint import trial_content_hash
from app.store.loader import read_trial_file
from tests.conftest import TRIAL_FIXTURES


def file_hash(nct_id: str) -> str:
    """The content hash of the fixture file as read here: the store must show the same."""
    return trial_content_hash(read_trial_file(TRIAL_FIXTURES / f"{nct_id}.yaml"))


def test_list_holds_the_library_loaded_on_first_start(client: TestClient) -> None:
    response = client.get("/v1/trials")
    assert response.status_code == 200
    body = response.json()
    assert body["paging"] == {"total": 2, "limit": 20, "offset": 0}
    assert body["items"] == [
        {
            "nct_id": "NCT90000001",
            "title": "Watch and wait for early rectal cancer",
            "conditions": ["Rectal Cancer", "Rectal Adenocarcinoma"],
            "phase": "PHASE2",
            "status": "RECRUITING",
            "sponsor": "Test University Hospital",
            "encodings": {"curated": 3, "suggested": 0, "text": 0},
            "content_hash": file_hash("NCT90000001"),
        },
        {
            "nct_id": "NCT90000002",
            "title": "Chemoradiotherapy for esophageal squamous cell carcinoma",
            "conditions": ["Esophageal Cancer"],
            "phase": "PHASE3",
            "status": "COMPLETED",
            "sponsor": None,
            "encodings": {"curated": 1, "suggested": 0, "text": 0},
            "content_hash": file_hash("NCT90000002"),
        },
    ]


def test_list_filters_and_pages(client: TestClient) -> None:
    def nct_ids(**params: object) -> list[str]:
        response = client.get("/v1/trials", params=params)
        assert response.status_code == 200
        return [item["nct_id"] for item in response.json()["items"]]

    assert nct_ids(condition="rectal") == ["NCT90000001"]
    assert nct_ids(condition="ESOPHAGEAL") == ["NCT90000002"]
    assert nct_ids(status="COMPLETED") == ["NCT90000002"]
    assert nct_ids(status=["COMPLETED", "RECRUITING"]) == ["NCT90000001", "NCT90000002"]
    assert nct_ids(condition="rectal", status="COMPLETED") == []
    assert nct_ids(limit=1, offset=1) == ["NCT90000002"]
    paged = client.get("/v1/trials", params={"limit": 1}).json()["paging"]
    assert paged == {"total": 2, "limit": 1, "offset": 0}


def test_list_refuses_bad_parameters_with_the_one_error_body(client: TestClient) -> None:
    response = client.get("/v1/trials", params={"limit": 0, "status": "OPEN"})
    assert response.status_code == 422
    details = response.json()["detail"]
    assert {(d["type"], tuple(d["loc"])) for d in details} == {
        ("request.greater_than_equal", ("query", "limit")),
        ("request.literal_error", ("query", "status", 0)),
    }
    assert all(set(d) == {"type", "msg", "loc"} for d in details)
    assert "OPEN" not in response.text  # the input is never echoed


def test_get_returns_the_full_record(client: TestClient) -> None:
    response = client.get("/v1/trials/NCT90000001")
    assert response.status_code == 200
    body = response.json()
    assert body["nct_id"] == "NCT90000001"
    assert body["start_date"] == "2024-01-15"
    assert body["minimum_age"] == 18
    assert body["sites"] == [
        {
            "facility": "Test University Hospital",
            "city": "Lyon",
            "state": None,
            "country": "France",
            "status": "RECRUITING",
            "latitude": None,
            "longitude": None,
        }
    ]
    assert body["arms"] == [
        {"label": "Watch and wait", "type": "EXPERIMENTAL", "description": None}
    ]
    # Each rule is served in the trial model's JSON form.
    rules = [
        c["rule"]
        for c in read_trial_file(TRIAL_FIXTURES / "NCT90000001.yaml").model_dump(mode="json")[
            "criteria"
        ]
    ]
    assert rules[0]["op"] == "age" and rules[1]["op"] == "performance" and rules[2] is None
    assert body["criteria"] == [
        {
            "id": "inc-1",
            "type": "inclusion",
            "text": "Age 18 years or older.",
            "review": False,
            "encoding": "curated",
            "rule": rules[0],
        },
        {
            "id": "inc-2",
            "type": "inclusion",
            "text": "ECOG performance status 0-1.",
            "review": False,
            "encoding": "curated",
            "rule": rules[1],
        },
        {
            "id": "exc-1",
            "type": "exclusion",
            "text": (
                "Any condition that, in the investigator's opinion, makes the patient unsuitable."
            ),
            "review": True,
            "encoding": "curated",
            "rule": None,
        },
    ]
    assert body["content_hash"] == file_hash("NCT90000001")


def test_get_unknown_trial_is_404_trial_not_found(client: TestClient) -> None:
    response = client.get("/v1/trials/NCT99999999")
    assert response.status_code == 404
    assert response.json() == {
        "detail": [
            {"type": "trial.not_found", "msg": "No trial has this id.", "loc": ["path", "trial_id"]}
        ]
    }


def test_get_malformed_id_is_422(client: TestClient) -> None:
    response = client.get("/v1/trials/not-an-id")
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["type"] == "request.string_pattern_mismatch"
    assert detail["loc"] == ["path", "trial_id"]
