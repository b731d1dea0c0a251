"""The EHR's ``Retry-After`` reaches our caller on the 502 / 504 of
``GET /v1/patients/{id}/matches``. Busy EHRs are played by `httpx.MockTransport` handlers:
a real FHIR server cannot be made to answer 503 with a chosen Retry-After."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.fhir.client import ClientOptions, FhirClient
from app.main import create_app
from tests.conftest import TRIAL_FIXTURES

LOOPBACK = ("127.0.0.1", 50000)
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def service(tmp_path: object) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/store.db",
        criteria_dir=TRIAL_FIXTURES,
        rate_limit_per_minute=0,
    )
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def pull(service: TestClient, handler: Handler) -> httpx.Response:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    opts = ClientOptions(retries=1, backoff_base=0.01, retry_after_max=0.05)
    service.app.state.fhir_client = FhirClient(http, "https://ehr.test/fhir", options=opts)  # type: ignore[attr-defined]
    return service.get("/v1/patients/p1/matches")


def test_a_busy_ehr_asking_for_longer_than_we_wait_is_passed_on(service: TestClient) -> None:
    seen: list[str] = []

    def busy(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(503, headers={"Retry-After": "120"})

    response = pull(service, busy)
    assert response.status_code == 502
    assert response.json()["detail"][0]["type"] == "fhir.unavailable"
    assert response.headers["Retry-After"] == "120"
    assert seen == ["/fhir/Patient/p1"]  # 120 s is more than retry_after_max: not waited for


def test_an_http_date_becomes_seconds(service: TestClient) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)

    def limited(_: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": when})

    response = pull(service, limited)
    assert response.status_code == 502
    assert 80 <= int(response.headers["Retry-After"]) <= 91


def test_no_retry_after_from_the_ehr_means_none_from_us(service: TestClient) -> None:
    response = pull(service, lambda _: httpx.Response(503))
    assert response.status_code == 502
    assert "Retry-After" not in response.headers


def test_an_unreadable_retry_after_is_not_passed_on(service: TestClient) -> None:
    response = pull(service, lambda _: httpx.Response(503, headers={"Retry-After": "soon\r\nX: y"}))
    assert response.status_code == 502
    assert "Retry-After" not in response.headers


def test_a_timeout_after_the_ehr_asked_for_a_wait_carries_it(service: TestClient) -> None:
    calls = 0

    def slow_after_busy(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(503, headers={"Retry-After": "0"})
        raise httpx.ReadTimeout("slow", request=request)

    response = pull(service, slow_after_busy)
    assert response.status_code == 504
    assert response.json()["detail"][0]["type"] == "fhir.timeout"
    assert response.headers["Retry-After"] == "0"
    assert calls == 2
