"""`fhirServer`: only an allow-listed EHR is ever asked; a missing prefetch is pulled from it
(a real FHIR server, sekmet-fhir); a slow one gives no cards within the deadline.

The refusal and the deadline use an httpx transport standing in for the network: a host
that must never be reached, and a server slower than any deadline, are faults a real
server here cannot show on demand.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.cds_hooks.conftest import (
    HOOK_URL,
    RecordingTransport,
    audit_rows,
    example,
    hook_call,
    patient_of,
    prefetch_of,
    same_cards,
    service,
)
from tests.fhir.test_patients_route import as_transaction

ALLOWED = "https://ehr.example.org/fhir"
TOKEN = "ehr-access-token-5f0c9e-never-log-me"
PULLED = ["rectal_early_low_eligible", "rectal_missing_staging_and_performance"]


def authorization(token: str = TOKEN) -> dict[str, Any]:
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "trialmatch",
    }


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data",
        "https://attacker.example.net/fhir",
        "https://ehr.example.org/other",
        "https://ehr.example.org.attacker.net/fhir",
        "https://user@ehr.example.org/fhir",
        "ftp://ehr.example.org/fhir",
    ],
)
def test_a_fhir_server_off_the_allow_list_is_refused_unasked(
    tmp_path: Path, target: str, caplog: pytest.LogCaptureFixture
) -> None:
    transport = RecordingTransport()
    caplog.set_level(logging.DEBUG)
    with service(tmp_path, transport=transport, cds_fhir_servers=[ALLOWED]) as client:
        call = hook_call("rectal-early-low", fhirServer=target, fhirAuthorization=authorization())
        response = client.post(HOOK_URL, json=call)
        rows = audit_rows(client, "Patient/rectal-early-low")
    assert response.status_code == 403
    [error] = response.json()["detail"]
    assert error["type"] == "cds.fhir_server_not_allowed"
    assert target not in response.text
    assert transport.requests == []
    assert TOKEN not in caplog.text
    assert [(r.status, r.outcome) for r in rows] == [(403, "cds.fhir_server_not_allowed")]


def test_with_no_allow_list_every_fhir_server_is_refused(tmp_path: Path) -> None:
    transport = RecordingTransport()
    with service(tmp_path, transport=transport) as client:
        call = hook_call("rectal-early-low", fhirServer=ALLOWED)
        response = client.post(HOOK_URL, json=call)
    assert response.status_code == 403
    assert transport.requests == []


def test_fhir_authorization_without_fhir_server_is_refused(tmp_path: Path) -> None:
    with service(tmp_path) as client:
        call = hook_call("rectal-early-low", fhirAuthorization=authorization())
        response = client.post(HOOK_URL, json=call)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "cds.fhir_server_missing"
    assert TOKEN not in response.text


def test_a_token_for_another_patient_is_refused_unused(tmp_path: Path) -> None:
    transport = RecordingTransport()
    with service(tmp_path, transport=transport, cds_fhir_servers=[ALLOWED]) as client:
        token = {**authorization(), "patient": "someone-else"}
        call = hook_call("rectal-early-low", fhirServer=ALLOWED, fhirAuthorization=token)
        response = client.post(HOOK_URL, json=call)
        sent_before = len(transport.requests)
        same = {**authorization(), "patient": "Patient/rectal-early-low"}
        allowed = hook_call("rectal-early-low", fhirServer=ALLOWED, fhirAuthorization=same)
        second = client.post(HOOK_URL, json=allowed)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "cds.token_patient_mismatch"
    assert TOKEN not in response.text and "someone-else" not in response.text
    # Refused before any pull; the matching token goes on to the (recording) server.
    assert sent_before == 0
    assert second.status_code != 422
    assert len(transport.requests) >= 1


def test_a_slow_ehr_gets_no_cards_within_the_deadline(tmp_path: Path) -> None:
    async def never_in_time(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(504)

    deadline = 0.5
    with service(
        tmp_path,
        transport=httpx.MockTransport(never_in_time),
        cds_fhir_servers=[ALLOWED],
        cds_deadline_seconds=deadline,
    ) as client:
        call = hook_call("rectal-early-low", fhirServer=ALLOWED, fhirAuthorization=authorization())
        started = time.perf_counter()
        response = client.post(HOOK_URL, json=call)
        elapsed = time.perf_counter() - started
        rows = audit_rows(client, "Patient/rectal-early-low")
    assert response.status_code == 200
    assert response.json() == {"cards": []}
    assert elapsed < deadline + 2.0  # the deadline, and the request's own overhead
    assert [(r.status, r.outcome, r.trials_returned) for r in rows] == [(200, "ok", 0)]


def test_an_ehr_that_fails_the_pull_is_412(tmp_path: Path) -> None:
    transport = RecordingTransport()  # 500 to everything, retried, then given up
    with service(
        tmp_path, transport=transport, cds_fhir_servers=[ALLOWED], fhir_retries=0
    ) as client:
        response = client.post(HOOK_URL, json=hook_call("rectal-early-low", fhirServer=ALLOWED))
    assert response.status_code == 412
    [error] = response.json()["detail"]
    assert error["type"] == "cds.prefetch_unavailable"
    assert "fhir.unavailable" in error["msg"]
    assert {r.url.host for r in transport.requests} == {"ehr.example.org"}


def test_the_ehr_token_goes_to_the_fhir_server_only(tmp_path: Path) -> None:
    seen: list[tuple[str, str | None]] = []

    def ehr(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("authorization")))
        return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})

    with service(
        tmp_path, transport=httpx.MockTransport(ehr), cds_fhir_servers=[ALLOWED]
    ) as client:
        call = hook_call("rectal-early-low", fhirServer=ALLOWED, fhirAuthorization=authorization())
        response = client.post(HOOK_URL, json=call)
    assert response.status_code == 412  # the EHR has no such patient
    assert seen == [("ehr.example.org", f"Bearer {TOKEN}")]


@pytest.fixture(scope="module")
def pulled_service(
    sekmet_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    for name in PULLED:
        response = httpx.post(
            sekmet_server,
            json=as_transaction(example(name)),
            headers={"Content-Type": "application/fhir+json"},
            timeout=60,
        )
        assert response.status_code == 200, response.text[:300]
    with service(
        tmp_path_factory.mktemp("cds-pull"), cds_fhir_servers=[sekmet_server], cds_card_limit=20
    ) as client:
        yield client


@pytest.mark.parametrize("name", PULLED)
@pytest.mark.parametrize("sent", ["none", "partial", "null-with-server"])
def test_a_missing_prefetch_is_pulled_from_the_fhir_server(
    pulled_service: TestClient,
    sekmet_server: str,
    name: str,
    sent: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bundle = example(name)
    patient_id = patient_of(bundle)["id"]
    full = pulled_service.post(HOOK_URL, json=hook_call(patient_id, prefetch_of(bundle)))
    prefetch: dict[str, Any] | None = None
    if sent == "partial":
        prefetch = prefetch_of(bundle)
        del prefetch["observations"], prefetch["conditions"]
    elif sent == "null-with-server":
        prefetch = {**prefetch_of(bundle), "patient": None}
    caplog.set_level(logging.DEBUG)
    call = hook_call(
        patient_id, prefetch, fhirServer=sekmet_server, fhirAuthorization=authorization()
    )
    pulled = pulled_service.post(HOOK_URL, json=call)
    assert full.status_code == pulled.status_code == 200, pulled.text[:500]
    assert same_cards(pulled.json()) == same_cards(full.json())
    assert TOKEN not in caplog.text
    if name == "rectal_missing_staging_and_performance":
        assert pulled.json()["cards"], "this example should fit trials"


def test_an_unknown_patient_on_the_fhir_server_is_412(
    pulled_service: TestClient, sekmet_server: str
) -> None:
    call = hook_call("no-such-patient-here", fhirServer=sekmet_server)
    response = pulled_service.post(HOOK_URL, json=call)
    assert response.status_code == 412
    assert "patient.not_found" in json.dumps(response.json())
