"""Faults a real FHIR server cannot be made to show, played by `httpx.MockTransport` handlers.

Each fake EHR is a plain handler function; the client under test is the real one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.errors import ApiError
from app.fhir.client import ClientOptions, FhirClient, SearchTiming
from app.fhir.record import PatientRecord

BASE = "http://ehr.test/fhir"
PID = "pat-1"
# Free text a server may put in an OperationOutcome: must never reach our error message.
SECRET_TEXT = "Jane Roe, MRN 998877"

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


def fhir(body: dict[str, Any], status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json=body, headers={"Content-Type": "application/fhir+json", **headers}
    )


def patient() -> httpx.Response:
    return fhir({"resourceType": "Patient", "id": PID})


def searchset(*resources: dict[str, Any], next_url: str | None = None) -> httpx.Response:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    entries = [{"resource": r, "search": {"mode": "match"}} for r in resources]
    return fhir({"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries})


def observation(oid: str, subject: str = f"Patient/{PID}") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": subject},
    }


def ehr(observations: Handler | None = None) -> Callable[[httpx.Request], Any]:
    """A fake EHR: the patient exists, every search is empty unless `observations` says."""

    def handle(request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        path = request.url.path
        if path == f"/fhir/Patient/{PID}":
            return patient()
        if path == "/fhir/Observation" and observations is not None:
            return observations(request)
        if path in ("/fhir/Condition", "/fhir/Observation", "/fhir/DiagnosticReport"):
            return searchset()
        if path in (
            "/fhir/Procedure",
            "/fhir/MedicationRequest",
            "/fhir/MedicationStatement",
            "/fhir/MedicationAdministration",
        ):
            return searchset()
        return fhir({"resourceType": "OperationOutcome", "issue": []}, 404)

    return handle


def fetch(
    handler: Callable[[httpx.Request], Any],
    options: ClientOptions | None = None,
    patient_id: str = PID,
    **kwargs: Any,
) -> PatientRecord:
    async def run() -> PatientRecord:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            client = FhirClient(http, BASE, options=options or ClientOptions(backoff_base=0.01))
            return await client.fetch_record(patient_id, **kwargs)

    return asyncio.run(run())


def error_of(handler: Callable[[httpx.Request], Any], **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        fetch(handler, **kwargs)
    return caught.value


def test_a_healthy_fake_ehr_gives_the_whole_record() -> None:
    record = fetch(ehr(lambda _: searchset(observation("o1"), observation("o2"))))
    assert record.patient["id"] == PID
    assert [o["id"] for o in record.of_type("Observation")] == ["o1", "o2"]
    assert record.of_type("Condition") == []


def test_read_timeout_is_fhir_timeout() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    error = error_of(ehr(slow))
    assert (error.status_code, error.details[0].type) == (504, "fhir.timeout")


def test_total_deadline_is_fhir_timeout_even_while_the_server_trickles() -> None:
    async def stalls(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return searchset()

    started = time.perf_counter()
    error = error_of(ehr(stalls), options=ClientOptions(total_timeout=0.3))
    assert (error.status_code, error.details[0].type) == (504, "fhir.timeout")
    assert time.perf_counter() - started < 2


def test_503_then_success_waits_as_retry_after_says() -> None:
    calls: list[float] = []

    def flaky(_: httpx.Request) -> httpx.Response:
        calls.append(time.perf_counter())
        if len(calls) == 1:
            return fhir(
                {"resourceType": "OperationOutcome", "issue": []}, 503, **{"Retry-After": "1"}
            )
        return searchset(observation("o1"))

    record = fetch(ehr(flaky))
    assert [o["id"] for o in record.of_type("Observation")] == ["o1"]
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 0.95  # honoured the server's one second


def test_retry_after_beyond_the_bound_is_not_waited_for() -> None:
    calls: list[int] = []

    def busy(_: httpx.Request) -> httpx.Response:
        calls.append(1)
        return fhir(
            {"resourceType": "OperationOutcome", "issue": []}, 429, **{"Retry-After": "3600"}
        )

    started = time.perf_counter()
    error = error_of(ehr(busy))
    assert (error.status_code, error.details[0].type) == (502, "fhir.unavailable")
    assert len(calls) == 1
    assert time.perf_counter() - started < 1


def test_retries_are_bounded_then_fhir_unavailable() -> None:
    calls: list[int] = []

    def down(_: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(502, text="Bad Gateway")

    error = error_of(ehr(down), options=ClientOptions(retries=2, backoff_base=0.01))
    assert error.details[0].type == "fhir.unavailable"
    assert len(calls) == 3  # the first try and two retries


def test_unreachable_server_is_fhir_unavailable() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    error = error_of(refused)
    assert (error.status_code, error.details[0].type) == (502, "fhir.unavailable")


def test_malformed_json_is_fhir_unavailable() -> None:
    def garbled(_: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=b'{"resourceType": "Bundle", "entry": [',
            headers={"Content-Type": "application/fhir+json"},
        )

    error = error_of(ehr(garbled))
    assert (error.status_code, error.details[0].type) == (502, "fhir.unavailable")


def test_next_link_to_another_host_is_never_followed() -> None:
    requested_hosts: list[str] = []

    def handler(request: httpx.Request) -> Any:
        requested_hosts.append(request.url.host)
        return ehr(lambda _: searchset(observation("o1"), next_url="http://evil.test/fhir/x"))(
            request
        )

    error = error_of(handler)
    assert (error.status_code, error.details[0].type) == (502, "fhir.foreign_next_link")
    assert set(requested_hosts) == {"ehr.test"}


def test_next_link_on_another_port_of_the_same_host_is_foreign() -> None:
    error = error_of(
        ehr(lambda _: searchset(next_url="http://ehr.test:8443/fhir/Observation?page=2"))
    )
    assert error.details[0].type == "fhir.foreign_next_link"


def test_relative_next_link_on_the_same_origin_is_followed() -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return searchset(observation("o2"))
        return searchset(observation("o1"), next_url="/fhir/Observation?page=2")

    record = fetch(ehr(pages))
    assert [o["id"] for o in record.of_type("Observation")] == ["o1", "o2"]


def test_endless_chain_of_next_links_stops_at_the_page_cap() -> None:
    calls: list[int] = []

    def endless(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        page = int(request.url.params.get("page", "0"))
        return searchset(observation(f"o{page}"), next_url=f"{BASE}/Observation?page={page + 1}")

    error = error_of(ehr(endless), options=ClientOptions(max_pages=10))
    assert (error.status_code, error.details[0].type) == (502, "fhir.too_many_pages")
    assert len(calls) <= 10


def test_next_link_back_to_a_page_already_read_is_a_loop() -> None:
    def circular(request: httpx.Request) -> httpx.Response:
        following = {None: "1", "1": "2", "2": "1"}[request.url.params.get("page")]
        return searchset(next_url=f"{BASE}/Observation?page={following}")

    error = error_of(ehr(circular))
    assert error.details[0].type == "fhir.paging_loop"


def test_too_many_resources_is_an_error_not_a_partial_record() -> None:
    error = error_of(
        ehr(lambda _: searchset(*(observation(f"o{i}") for i in range(6)))),
        options=ClientOptions(max_resources=5),
    )
    assert (error.status_code, error.details[0].type) == (502, "fhir.too_many_resources")


def test_401_is_fhir_unauthorized() -> None:
    def locked(_: httpx.Request) -> httpx.Response:
        return fhir(
            {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "login"}]},
            401,
            **{"WWW-Authenticate": "Bearer"},
        )

    error = error_of(locked)
    assert (error.status_code, error.details[0].type) == (502, "fhir.unauthorized")


def test_operation_outcome_becomes_our_error_without_its_text() -> None:
    def refuses(_: httpx.Request) -> httpx.Response:
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "required", "diagnostics": SECRET_TEXT}],
        }
        return fhir(outcome, 400)

    error = error_of(ehr(refuses))
    assert (error.status_code, error.details[0].type) == (502, "fhir.operation_outcome")
    assert "required" in error.details[0].msg
    assert SECRET_TEXT not in str(error.body())


def test_error_outcome_inside_a_200_searchset_is_an_error() -> None:
    def partial(_: httpx.Request) -> httpx.Response:
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "too-costly", "diagnostics": SECRET_TEXT}],
        }
        return fhir(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [
                    {"resource": observation("o1"), "search": {"mode": "match"}},
                    {"resource": outcome, "search": {"mode": "outcome"}},
                ],
            }
        )

    error = error_of(ehr(partial))
    assert error.details[0].type == "fhir.operation_outcome"
    assert SECRET_TEXT not in str(error.body())


def test_unknown_patient_is_patient_not_found() -> None:
    error = error_of(ehr(), patient_id="nobody")
    assert (error.status_code, error.details[0].type) == (404, "patient.not_found")


def test_a_404_saying_patient_is_not_served_here_is_not_an_unknown_patient() -> None:
    # What a FHIR server says when the base URL is wrong (an unknown "resource type" in the
    # path): the EHR is misconfigured or elsewhere, which a caller must not take as final.
    def wrong_base(request: httpx.Request) -> httpx.Response:
        issue = {"severity": "error", "code": "not-supported", "diagnostics": SECRET_TEXT}
        return fhir({"resourceType": "OperationOutcome", "issue": [issue]}, 404)

    error = error_of(wrong_base)
    assert (error.status_code, error.details[0].type) == (502, "fhir.unavailable")
    assert SECRET_TEXT not in str(error.body())


@pytest.mark.parametrize(
    "body",
    [
        {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]},
        # not-supported only as a warning beside the error that decides
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "warning", "code": "not-supported"},
                {"severity": "error", "code": "not-found"},
            ],
        },
        {"resourceType": "Patient"},  # not an OperationOutcome at all
    ],
)
def test_a_404_without_not_supported_stays_patient_not_found(body: dict[str, Any]) -> None:
    error = error_of(lambda _: fhir(body, 404))
    assert (error.status_code, error.details[0].type) == (404, "patient.not_found")


@pytest.mark.parametrize("bad_id", ["", "../Observation", "a/b", "a?b=c", "x" * 65, "ä"])
def test_bad_patient_id_is_refused_before_any_request(bad_id: str) -> None:
    calls: list[int] = []

    def counting(request: httpx.Request) -> Any:
        calls.append(1)
        return ehr()(request)

    error = error_of(counting, patient_id=bad_id)
    assert (error.status_code, error.details[0].type) == (422, "patient.invalid_id")
    assert calls == []


def test_another_patients_resource_is_left_out_with_a_warning() -> None:
    record = fetch(ehr(lambda _: searchset(observation("o1"), observation("o2", "Patient/other"))))
    assert [o["id"] for o in record.of_type("Observation")] == ["o1"]
    assert [(w.code, w.source) for w in record.warnings] == [
        ("fhir.foreign_subject", "Observation/o2")
    ]


def test_observation_searches_name_codes_and_categories_and_merge_them() -> None:
    queries: list[dict[str, str]] = []

    def by_query(request: httpx.Request) -> httpx.Response:
        queries.append(dict(request.url.params))
        if "code" in request.url.params:
            return searchset(observation("cea"), observation("hb"))
        return searchset(observation("hb"), observation("plt"))

    timings: list[SearchTiming] = []
    record = fetch(
        ehr(by_query),
        observation_codes=["http://loinc.org|2039-6", "http://loinc.org|718-7"],
        observation_categories=["laboratory"],
        timings=timings,
    )
    assert sorted(o["id"] for o in record.of_type("Observation")) == ["cea", "hb", "plt"]
    assert {q.get("code") for q in queries} == {
        "http://loinc.org|2039-6,http://loinc.org|718-7",
        None,
    }
    assert {q.get("category") for q in queries} == {"laboratory", None}
    assert all(q["patient"] == PID for q in queries)
    assert {t.resource_type for t in timings} == {
        "Patient",
        "Condition",
        "Observation",
        "DiagnosticReport",
        "Procedure",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
    }


def test_logs_carry_neither_patient_id_nor_server_text(caplog: pytest.LogCaptureFixture) -> None:
    def refuses(_: httpx.Request) -> httpx.Response:
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "processing", "diagnostics": SECRET_TEXT}],
        }
        return fhir(outcome, 422)

    caplog.set_level(logging.DEBUG)
    error_of(ehr(refuses))
    fetch(ehr(lambda _: searchset(observation("o1"))))
    assert "fhir.operation_outcome" in caplog.text
    assert "FHIR pull:" in caplog.text
    assert SECRET_TEXT not in caplog.text
    assert PID not in caplog.text


def test_redirects_are_not_followed_even_if_the_shared_client_would() -> None:
    hosts: list[str] = []

    def redirecting(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(302, headers={"Location": "http://evil.test/fhir/Patient/pat-1"})

    async def run() -> None:
        transport = httpx.MockTransport(redirecting)
        async with httpx.AsyncClient(transport=transport, follow_redirects=True) as http:
            await FhirClient(http, BASE).fetch_record(PID)

    with pytest.raises(ApiError) as caught:
        asyncio.run(run())
    assert caught.value.details[0].type == "fhir.unavailable"
    assert hosts == ["ehr.test"]
