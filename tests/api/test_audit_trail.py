"""One audit row per request on patient data, through the real app on a real database.

The routes here are test-only (the real patient routes declare the same dependency):
`create_app` plus a router whose routes declare their auth dependency, then `AuditedRequest`.
Requests the auth and limit layers refuse write nothing; a route that raises still writes
its row; a row that cannot be written turns the answer into 503 ``audit.unavailable``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Body, FastAPI, Query, Request, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker

from app.api.audit import AuditedRequest, audited_request
from app.api.deps import SessionDep
from app.auth import GUARDED_RESPONSES, MatchPrincipal, PatientReadPrincipal
from app.auth.api_keys import new_api_key
from app.auth.principal import Principal
from app.config import Settings
from app.errors import UpstreamError
from app.fhir.client import FhirClient
from app.main import create_app
from app.store.audit import AuditEvent, list_events
from app.store.repository import count_trials
from app.store.session import make_engine
from tests.api.conftest import LOOPBACK
from tests.conftest import TRIAL_FIXTURES

PATIENT_ID = "pt-Zebulon-7731"
SECRET_TEXT = "Zebulon Quixotic-Marchbanks, MRN 99-4471"
ROUTE = "/v1/test-patients/{patient_id}/matches"
REMOTE = ("10.20.30.40", 41000)

BOARD_KEY, BOARD = new_api_key("board", ["trialmatch/patient.read", "trialmatch/match"])
LIBRARY_KEY, LIBRARY = new_api_key("library", ["trialmatch/trials.read"])
AS_BOARD = {"X-API-Key": BOARD_KEY}

router = APIRouter()


@router.get(ROUTE, responses=GUARDED_RESPONSES)
def patient_matches(
    principal: PatientReadPrincipal,
    audit: AuditedRequest,
    session: SessionDep,
    patient_id: str,
    fail: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1)] = 10,
) -> dict[str, Any]:
    audit.set_patient(f"Patient/{patient_id}")
    time.sleep(0.03)  # something measurable for duration_ms
    if fail == "upstream":
        raise UpstreamError("fhir.unavailable", "The EHR did not answer.", status_code=502)
    if fail == "crash":
        raise RuntimeError(f"cannot match {SECRET_TEXT}")
    trials = count_trials(session)
    audit.set_trials_returned(trials)
    return {"client": principal.client_id, "trials": trials}


@router.post("/v1/test-match", status_code=201, responses=GUARDED_RESPONSES)
async def match(
    principal: MatchPrincipal, audit: AuditedRequest, bundle: Annotated[dict[str, Any], Body()]
) -> dict[str, str]:
    audit.set_patient(str(bundle.get("patient", "unknown")))
    audit.set_trials_returned(0)
    return {"client": principal.client_id}


@router.get("/v1/test-unguarded/{patient_id}")
async def unguarded(audit: AuditedRequest, patient_id: str) -> dict[str, str]:
    audit.set_patient(patient_id)
    return {}


def audited_app(database_url: str, **overrides: Any) -> FastAPI:
    values: dict[str, Any] = {
        "database_url": database_url,
        "criteria_dir": TRIAL_FIXTURES,
        "api_keys": f"{BOARD.line()};{LIBRARY.line()}",
        "rate_limit_per_minute": 0,
    }
    values.update(overrides)
    app = create_app(Settings(**values))
    app.include_router(router)
    return app


def service_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the service logged; the test client's own request lines are left out."""
    return "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("httpx")
    )


def events(client: TestClient) -> list[AuditEvent]:
    """Every row, oldest first."""
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        return list(reversed(list_events(session, limit=1000)))


@pytest.fixture
def remote(database_url: str) -> Iterator[TestClient]:
    app = audited_app(database_url)
    with TestClient(app, client=REMOTE, raise_server_exceptions=False) as client:
        yield client


def test_a_served_request_writes_one_row(remote: TestClient) -> None:
    response = remote.get(f"/v1/test-patients/{PATIENT_ID}/matches", headers=AS_BOARD)
    assert response.status_code == 200

    [row] = events(remote)
    assert row.client_id == "apikey:board"
    assert row.auth_method == "api_key"
    assert row.method == "GET"
    assert row.route == ROUTE  # the template: the raw path holds the patient id
    assert row.patient_ref == f"Patient/{PATIENT_ID}"
    assert (row.status, row.outcome) == (200, "ok")
    assert row.trials_returned == 2
    assert 30 <= row.duration_ms < 10_000
    assert row.at.tzinfo is not None


def test_each_request_writes_exactly_one_row(remote: TestClient) -> None:
    for n in range(3):
        remote.get(f"/v1/test-patients/p-{n}/matches", headers=AS_BOARD)
    assert [row.patient_ref for row in events(remote)] == [
        "Patient/p-0",
        "Patient/p-1",
        "Patient/p-2",
    ]


def test_the_status_the_route_declares_is_recorded(remote: TestClient) -> None:
    response = remote.post("/v1/test-match", json={"patient": "Patient/b-1"}, headers=AS_BOARD)
    assert response.status_code == 201
    [row] = events(remote)
    assert (row.route, row.method, row.status, row.outcome) == ("/v1/test-match", "POST", 201, "ok")
    assert row.trials_returned == 0


def test_a_loopback_caller_is_recorded_as_such(database_url: str) -> None:
    # Loopback holds every scope only while no authentication is configured.
    with TestClient(audited_app(database_url, api_keys=None), client=LOOPBACK) as client:
        assert client.get("/v1/test-patients/p-1/matches").status_code == 200
        [row] = events(client)
    assert (row.client_id, row.auth_method) == ("loopback", "loopback")


def test_an_api_error_in_the_route_is_recorded(remote: TestClient) -> None:
    response = remote.get(
        f"/v1/test-patients/{PATIENT_ID}/matches", params={"fail": "upstream"}, headers=AS_BOARD
    )
    assert response.status_code == 502
    assert response.json()["detail"][0]["type"] == "fhir.unavailable"
    [row] = events(remote)
    assert (row.status, row.outcome) == (502, "fhir.unavailable")
    assert row.patient_ref == f"Patient/{PATIENT_ID}"
    assert row.trials_returned is None  # the route failed before it knew
    assert row.duration_ms >= 30


def test_an_unexpected_exception_is_recorded_and_nothing_leaks(
    remote: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = remote.get(
        f"/v1/test-patients/{PATIENT_ID}/matches", params={"fail": "crash"}, headers=AS_BOARD
    )
    assert response.status_code == 500
    assert response.json()["detail"][0]["type"] == "internal.error"
    [row] = events(remote)
    assert (row.status, row.outcome) == (500, "internal.error")
    assert row.patient_ref == f"Patient/{PATIENT_ID}"
    assert SECRET_TEXT not in response.text
    logged = service_log(caplog)
    assert "RuntimeError" in logged
    assert SECRET_TEXT not in logged
    assert PATIENT_ID not in logged


def test_request_validation_in_the_route_is_recorded(remote: TestClient) -> None:
    response = remote.get("/v1/test-patients/p-1/matches", params={"limit": 0}, headers=AS_BOARD)
    assert response.status_code == 422
    [row] = events(remote)
    assert (row.status, row.outcome) == (422, "request.greater_than_equal")
    assert row.patient_ref is None  # the route never ran


def test_a_body_that_fails_validation_is_recorded(remote: TestClient) -> None:
    # JSON, but not what the route takes: FastAPI validates it after the dependencies ran.
    response = remote.post("/v1/test-match", json=["not", "an", "object"], headers=AS_BOARD)
    assert response.status_code == 422
    [row] = events(remote)
    assert (row.route, row.status, row.outcome) == ("/v1/test-match", 422, "request.dict_type")


def test_no_credential_writes_nothing(remote: TestClient) -> None:
    response = remote.get(f"/v1/test-patients/{PATIENT_ID}/matches")
    assert response.status_code == 401
    response = remote.get(
        f"/v1/test-patients/{PATIENT_ID}/matches", headers={"X-API-Key": "tmk_board_wrong"}
    )
    assert response.status_code == 401
    assert events(remote) == []


def test_a_credential_without_the_scope_writes_nothing(remote: TestClient) -> None:
    response = remote.get(
        f"/v1/test-patients/{PATIENT_ID}/matches", headers={"X-API-Key": LIBRARY_KEY}
    )
    assert response.status_code == 403
    assert events(remote) == []


def test_a_body_over_the_limit_writes_nothing(database_url: str) -> None:
    app = audited_app(database_url, max_body_bytes=1024)
    with TestClient(app, client=REMOTE) as client:
        response = client.post("/v1/test-match", json={"patient": "x" * 2048}, headers=AS_BOARD)
        assert response.status_code == 413
        assert events(client) == []


def test_a_body_nested_too_deep_writes_nothing(database_url: str) -> None:
    app = audited_app(database_url, max_json_depth=8)
    deep: dict[str, Any] = {"patient": "Patient/d-1"}
    for _ in range(20):
        deep = {"next": deep}
    with TestClient(app, client=REMOTE) as client:
        response = client.post("/v1/test-match", json=deep, headers=AS_BOARD)
        assert response.status_code == 422
        assert response.json()["detail"][0]["type"] == "request.too_deep"
        assert events(client) == []


def test_a_rate_limited_request_writes_nothing(database_url: str) -> None:
    app = audited_app(database_url, rate_limit_per_minute=1, rate_limit_burst=1)
    with TestClient(app, client=REMOTE) as client:
        first = client.get("/v1/test-patients/p-1/matches", headers=AS_BOARD)
        second = client.get("/v1/test-patients/p-2/matches", headers=AS_BOARD)
        assert (first.status_code, second.status_code) == (200, 429)
        assert [row.patient_ref for row in events(client)] == ["Patient/p-1"]


def test_a_body_that_is_not_json_writes_nothing(remote: TestClient) -> None:
    response = remote.post(
        "/v1/test-match",
        content=b"{not json",
        headers={**AS_BOARD, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert events(remote) == []


def test_a_body_that_is_not_json_posted_to_the_match_route_writes_nothing(
    remote: TestClient,
) -> None:
    # POST /v1/match reads its body itself; the body limits refuse it before the route.
    for body in (b"{not json", b'{"resourceType": "Bundle", "entry": [}', b"\xff\xfe"):
        response = remote.post(
            "/v1/match", content=body, headers={**AS_BOARD, "Content-Type": "application/fhir+json"}
        )
        assert response.status_code == 422
        assert response.json()["detail"][0]["type"] == "request.json_invalid"
    assert events(remote) == []
    # The control: JSON that is not a Bundle reaches the route, and is recorded.
    response = remote.post("/v1/match", json={"resourceType": "Patient"}, headers=AS_BOARD)
    assert response.status_code == 422
    [row] = events(remote)
    assert (row.route, row.outcome, row.patient_ref) == ("/v1/match", "bundle.invalid", None)


def test_a_route_without_auth_fails_closed_and_writes_nothing(
    database_url: str,
) -> None:
    app = audited_app(database_url, api_keys=None)
    with TestClient(app, client=LOOPBACK, raise_server_exceptions=False) as c:
        response = c.get(f"/v1/test-unguarded/{PATIENT_ID}")
        assert response.status_code == 500
        assert events(c) == []


@pytest.fixture
def audit_store_down(remote: TestClient) -> Iterator[TestClient]:
    """The audit pool points at a database that refuses connections (nothing on port 1)."""
    app = remote.app
    working = app.state.audit_sessions  # type: ignore[attr-defined]
    unreachable = make_engine("postgresql+psycopg://nobody:none@127.0.0.1:1/none")
    app.state.audit_sessions = sessionmaker(unreachable)  # type: ignore[attr-defined]
    try:
        yield remote
    finally:
        app.state.audit_sessions = working  # type: ignore[attr-defined]
        unreachable.dispose()


@pytest.mark.parametrize("fail", [None, "upstream", "crash"])
def test_an_audit_store_that_does_not_answer_refuses_before_the_route(
    audit_store_down: TestClient, fail: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    params = {"fail": fail} if fail else {}
    response = audit_store_down.get(
        f"/v1/test-patients/{PATIENT_ID}/matches", params=params, headers=AS_BOARD
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["detail"][0]["type"] == "audit.unavailable"
    assert '"trials"' not in response.text
    assert PATIENT_ID not in response.text
    audit_lines = [r.getMessage() for r in caplog.records if r.name == "trialmatch.audit"]
    assert audit_lines == [
        "audit store not reachable: OperationalError (request refused before the route)"
    ]
    logged = service_log(caplog)
    # The route never ran: no match work, and its crash (fail=crash) never happened.
    assert "RuntimeError" not in logged
    assert "nobody" not in logged  # the database URL of the failed connection
    assert PATIENT_ID not in logged
    assert SECRET_TEXT not in logged


def test_the_real_route_pulls_nothing_when_the_audit_store_does_not_answer(
    database_url: str,
) -> None:
    ehr_requests: list[str] = []

    def ehr(request: httpx.Request) -> httpx.Response:
        ehr_requests.append(request.url.path)
        return httpx.Response(404)

    app = audited_app(database_url)
    with TestClient(app, client=REMOTE, raise_server_exceptions=False) as client:
        app.state.fhir_client = FhirClient(
            httpx.AsyncClient(transport=httpx.MockTransport(ehr)), "https://ehr.test/fhir"
        )
        working = app.state.audit_sessions
        unreachable = make_engine("postgresql+psycopg://nobody:none@127.0.0.1:1/none")
        app.state.audit_sessions = sessionmaker(unreachable)
        try:
            response = client.get(f"/v1/patients/{PATIENT_ID}/matches", headers=AS_BOARD)
        finally:
            app.state.audit_sessions = working
            unreachable.dispose()
        assert response.status_code == 503
        assert response.json()["detail"][0]["type"] == "audit.unavailable"
        assert ehr_requests == []  # refused before the pull
        # With the store back, the same request reaches the EHR (and writes its row).
        response = client.get(f"/v1/patients/{PATIENT_ID}/matches", headers=AS_BOARD)
        assert response.status_code == 404
        assert ehr_requests == [f"/fhir/Patient/{PATIENT_ID}"]
        [row] = events(client)
        assert (row.patient_ref, row.outcome) == (f"Patient/{PATIENT_ID}", "patient.not_found")


@pytest.fixture
def audit_insert_refused(remote: TestClient, database_url: str) -> Iterator[TestClient]:
    """The audit store answers reads but refuses every INSERT into audit_events."""
    app = remote.app
    working = app.state.audit_sessions  # type: ignore[attr-defined]
    refusing = make_engine(database_url)

    def refuse(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS"):
            raise PermissionError("insert refused")

    event.listen(refusing, "before_cursor_execute", refuse)
    app.state.audit_sessions = sessionmaker(refusing)  # type: ignore[attr-defined]
    try:
        yield remote
    finally:
        app.state.audit_sessions = working  # type: ignore[attr-defined]
        refusing.dispose()


@pytest.mark.parametrize("fail", [None, "upstream", "crash"])
def test_a_row_that_cannot_be_written_fails_the_request(
    audit_insert_refused: TestClient, fail: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    params = {"fail": fail} if fail else {}
    response = audit_insert_refused.get(
        f"/v1/test-patients/{PATIENT_ID}/matches", params=params, headers=AS_BOARD
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["detail"][0]["type"] == "audit.unavailable"
    assert '"trials"' not in response.text  # what the route produced is not sent
    assert PATIENT_ID not in response.text
    audit_lines = [r.getMessage() for r in caplog.records if r.name == "trialmatch.audit"]
    outcome = {None: "200 ok", "upstream": "502 fhir.unavailable", "crash": "500 internal.error"}
    assert audit_lines == [
        f"audit row not written: PermissionError (request outcome: {outcome[fail]})"
    ]
    logged = service_log(caplog)
    assert PATIENT_ID not in logged
    assert SECRET_TEXT not in logged
    assert events(audit_insert_refused) == []


def test_a_cancelled_request_is_recorded(remote: TestClient) -> None:
    # The client went away mid-route (anyio cancels the task): the patient data may already
    # have been read, so the row is still written. FastAPI shields a dependency's exit from
    # the cancellation; here the dependency is driven by hand to throw it in.
    app = remote.app
    [route] = [r for r in router.routes if isinstance(r, APIRoute) and r.path == ROUTE]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v1/test-patients/p-9/matches",
        "headers": [],
        "app": app,
        "route": route,
        "state": {"principal": Principal("board-app", frozenset(), "jwt")},
    }

    async def drive() -> None:
        steps = audited_request(Request(scope), Response())
        audit = await anext(steps)
        audit.set_patient("Patient/p-9")
        with pytest.raises(asyncio.CancelledError):
            await steps.athrow(asyncio.CancelledError())

    asyncio.run(drive())
    [row] = events(remote)
    assert (row.client_id, row.patient_ref, row.status, row.outcome) == (
        "board-app",
        "Patient/p-9",
        499,
        "request.cancelled",
    )


def test_the_row_does_not_wait_for_the_routes_pool(remote: TestClient, database_url: str) -> None:
    # The route's session keeps its connection until the answer is sent, and the row is
    # written before that: from the same one-connection pool, the write would time out.
    app = remote.app
    working = app.state.sessions  # type: ignore[attr-defined]
    one_connection = create_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=1)
    app.state.sessions = sessionmaker(one_connection)  # type: ignore[attr-defined]
    try:
        response = remote.get("/v1/test-patients/p-1/matches", headers=AS_BOARD)
    finally:
        app.state.sessions = working  # type: ignore[attr-defined]
        one_connection.dispose()
    assert response.status_code == 200
    assert [row.patient_ref for row in events(remote)] == ["Patient/p-1"]
