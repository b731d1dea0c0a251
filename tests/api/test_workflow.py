"""The match workflow's API (app/api/workflow.py): record, list, export as CSV; scopes,
audit rows, stable errors. On SQLite and PostgreSQL, with API keys from another machine."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.workflow import CSV_COLUMNS, spreadsheet_safe
from app.auth.api_keys import new_api_key
from app.config import Settings
from app.main import create_app
from app.store.audit import AuditEvent, list_events
from tests.conftest import TRIAL_FIXTURES

TRIAL = "NCT90000001"
COORDINATOR_KEY, COORDINATOR = new_api_key(
    "coordinator", ["trialmatch/workflow.write", "trialmatch/patient.read"]
)
READER_KEY, READER = new_api_key("nurse", ["trialmatch/patient.read"])
LIBRARY_KEY, LIBRARY = new_api_key("library-viewer", ["trialmatch/trials.read"])
AS_COORDINATOR = {"X-API-Key": COORDINATOR_KEY}
AS_READER = {"X-API-Key": READER_KEY}
AS_LIBRARY = {"X-API-Key": LIBRARY_KEY}
WORKFLOW = f"/v1/trials/{TRIAL}/workflow"
EXPORT = f"/v1/trials/{TRIAL}/workflow.csv"


@pytest.fixture
def remote(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        criteria_dir=TRIAL_FIXTURES,
        api_keys=f"{COORDINATOR.line()};{READER.line()};{LIBRARY.line()}",
        rate_limit_per_minute=0,
    )
    with TestClient(create_app(settings), client=("10.20.30.40", 41000)) as client:
        yield client


def post(client: TestClient, patient: str, status: str, note: str | None = None) -> Any:
    response = client.post(
        WORKFLOW, json={"patient": patient, "status": status, "note": note}, headers=AS_COORDINATOR
    )
    assert response.status_code == 201, response.text
    return response.json()


def events(client: TestClient) -> list[AuditEvent]:
    with client.app.state.audit_sessions() as session:  # type: ignore[attr-defined]
        return list(reversed(list_events(session, limit=100)))


def test_a_recorded_status_is_answered_and_listed_as_the_patients_current_one(
    remote: TestClient,
) -> None:
    first = post(remote, "Patient/123", "contacted", "Phoned; call back Tuesday.")
    assert first["trial"] == TRIAL and first["patient"] == "Patient/123"
    assert (first["status"], first["status_label"]) == ("contacted", "Contacted")
    assert first["recorded_by"] == "apikey:coordinator"
    assert first["note"] == "Phoned; call back Tuesday."
    post(remote, "Patient/456", "new")
    post(remote, "Patient/123", "screened")

    listed = remote.get(WORKFLOW, headers=AS_READER)
    assert listed.status_code == 200
    body = listed.json()
    assert body["paging"] == {"total": 2, "limit": 100, "offset": 0}
    assert [(i["patient"], i["status"]) for i in body["items"]] == [
        ("Patient/123", "screened"),
        ("Patient/456", "new"),
    ]
    assert body["items"][0]["note"] is None  # the note was the earlier event's


def test_who_is_in_screening(remote: TestClient) -> None:
    post(remote, "Patient/1", "screened")
    post(remote, "Patient/2", "screened")
    post(remote, "Patient/2", "enrolled")
    post(remote, "Patient/3", "deferred")
    screening = remote.get(WORKFLOW, params={"status": "screened"}, headers=AS_READER).json()
    assert [i["patient"] for i in screening["items"]] == ["Patient/1"]
    assert screening["paging"]["total"] == 1
    paged = remote.get(WORKFLOW, params={"limit": 1, "offset": 1}, headers=AS_READER).json()
    assert [i["patient"] for i in paged["items"]] == ["Patient/2"]
    assert paged["paging"]["total"] == 3


def test_every_request_is_audited_by_its_route_template(remote: TestClient) -> None:
    post(remote, "Patient/123", "under_review")
    remote.get(WORKFLOW, headers=AS_READER)
    remote.get(EXPORT, headers=AS_READER)
    remote.post(WORKFLOW, json={"patient": "Patient/9", "status": "new"}, headers=AS_LIBRARY)

    rows = events(remote)
    assert [(r.method, r.route, r.status, r.outcome) for r in rows] == [
        ("POST", "/v1/trials/{nct_id}/workflow", 201, "ok"),
        ("GET", "/v1/trials/{nct_id}/workflow", 200, "ok"),
        ("GET", "/v1/trials/{nct_id}/workflow.csv", 200, "ok"),
    ]  # the refused request (no scope) reached nothing: no row
    assert [(r.patient_ref, r.trial_ref) for r in rows] == [
        ("Patient/123", TRIAL),
        (None, TRIAL),  # a list names many patients: the trail names the trial read
        (None, TRIAL),
    ]
    assert [r.client_id for r in rows] == ["apikey:coordinator", "apikey:nurse", "apikey:nurse"]


def test_a_refused_status_is_audited_with_its_error(remote: TestClient) -> None:
    missing = remote.post(
        "/v1/trials/NCT00000000/workflow",
        json={"patient": "Patient/123", "status": "new"},
        headers=AS_COORDINATOR,
    )
    assert missing.status_code == 404
    [row] = events(remote)
    assert (row.route, row.status, row.outcome) == (
        "/v1/trials/{nct_id}/workflow",
        404,
        "trial.not_found",
    )
    assert row.patient_ref == "Patient/123"


def test_the_csv_has_a_header_and_one_row_per_patient(remote: TestClient) -> None:
    post(remote, "Patient/1", "screened", 'Said: "yes, but", then\nleft.')
    post(remote, "Patient/2", "declined")
    response = remote.get(EXPORT, headers=AS_READER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{TRIAL}-workflow.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == list(CSV_COLUMNS)
    assert [row[:4] for row in rows[1:]] == [
        [TRIAL, "Patient/2", "declined", "Declined"],
        [TRIAL, "Patient/1", "screened", "Screened"],
    ]
    assert rows[2][4] == 'Said: "yes, but", then\nleft.'  # quoted, not split
    assert rows[2][5] == "apikey:coordinator"
    filtered = remote.get(EXPORT, params={"status": "screened"}, headers=AS_READER)
    assert [row[1] for row in csv.reader(io.StringIO(filtered.text))] == ["patient", "Patient/1"]
    assert "-workflow-screened.csv" in filtered.headers["content-disposition"]


@pytest.mark.parametrize(
    "note", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"]
)
def test_a_note_a_spreadsheet_would_run_is_exported_as_text(remote: TestClient, note: str) -> None:
    post(remote, "Patient/1", "new", note)
    assert remote.get(WORKFLOW, headers=AS_READER).json()["items"][0]["note"] == note  # kept
    [_, row] = list(csv.reader(io.StringIO(remote.get(EXPORT, headers=AS_READER).text)))
    assert row[4] == "'" + note


@pytest.mark.parametrize("cell", ["\tcmd", "\rcmd", "=1", "+1", "-1", "@x"])
def test_every_formula_start_is_neutralised(cell: str) -> None:
    assert spreadsheet_safe(cell) == "'" + cell
    assert spreadsheet_safe("Patient/1") == "Patient/1"
    assert spreadsheet_safe("a=b") == "a=b"


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "error"),
    [
        ("POST", WORKFLOW, {}, 401, "auth.required"),
        ("POST", WORKFLOW, AS_READER, 403, "auth.insufficient_scope"),
        ("POST", WORKFLOW, AS_LIBRARY, 403, "auth.insufficient_scope"),
        ("GET", WORKFLOW, {}, 401, "auth.required"),
        ("GET", WORKFLOW, AS_LIBRARY, 403, "auth.insufficient_scope"),
        ("GET", EXPORT, AS_LIBRARY, 403, "auth.insufficient_scope"),
    ],
)
def test_each_route_needs_its_scope(
    remote: TestClient,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
    error: str,
) -> None:
    body = {"patient": "Patient/1", "status": "new"} if method == "POST" else None
    response = remote.request(method, path, json=body, headers=headers)
    assert response.status_code == status
    assert response.json()["detail"][0]["type"] == error
    assert events(remote) == []  # refused before the route: never reached patient data


@pytest.mark.parametrize("path", [WORKFLOW, EXPORT])
def test_an_unknown_trial_is_404(remote: TestClient, path: str) -> None:
    response = remote.get(path.replace(TRIAL, "NCT00000000"), headers=AS_READER)
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "trial.not_found"


@pytest.mark.parametrize(
    ("body", "error", "loc"),
    [
        ({"patient": "Patient/1", "status": "in_screening"}, "request.enum", "status"),
        ({"patient": "Patient/1"}, "request.missing", "status"),
        ({"patient": "123", "status": "new"}, "request.string_pattern_mismatch", "patient"),
        (
            {"patient": "Patient/1", "status": "new", "note": "x" * 2001},
            "request.string_too_long",
            "note",
        ),
        ({"patient": "Patient/1", "status": "new", "by": "me"}, "request.extra_forbidden", "by"),
    ],
)
def test_what_the_workflow_does_not_take_is_422_and_unrecorded(
    remote: TestClient, body: dict[str, str], error: str, loc: str
) -> None:
    response = remote.post(WORKFLOW, json=body, headers=AS_COORDINATOR)
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert (detail["type"], detail["loc"][-1]) == (error, loc)
    assert "x" * 50 not in response.text  # the note is not echoed
    assert remote.get(WORKFLOW, headers=AS_READER).json()["paging"]["total"] == 0


def test_an_unknown_status_filter_is_422(remote: TestClient) -> None:
    response = remote.get(WORKFLOW, params={"status": "in_screening"}, headers=AS_READER)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "request.enum"
    malformed = remote.get("/v1/trials/nct1/workflow", headers=AS_READER)
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["type"] == "request.string_pattern_mismatch"
