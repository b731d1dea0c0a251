"""No patient data in a log record, an error body or a response header, whatever fails.

A patient record full of distinctive strings (name, MRN, address, phone, the id of every
resource, free text in a report, a note and a procedure) is sent to the real service,
served by uvicorn over HTTP as in production, while the service is made to fail:

- a bad Bundle: two Patients, invalid JSON, wrong types, a wrong media type, a bad query;
- the EHR down (a closed loopback port) or answering errors (a real FHIR server);
- an internal error: a function deep in the path raises an exception that quotes the record.

Every log record of every logger (trialmatch, uvicorn, its access log, fastapi, starlette,
asyncio, the root), formatted with its traceback, and everything written to stdout and
stderr must hold none of those strings; nor may any error body or response header. A
successful match must not log them either, and its response carries facts, never names.

httpx and httpcore stay at WARNING, as app/fhir/client.py pins them (their INFO lines are
request URLs, which name the patient); the test checks that pin instead of overriding it.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.config import REPO_ROOT, Settings
from app.main import create_app
from tests.conftest import TRIAL_FIXTURES

AS_OF = "2026-11-23"
FHIR_JSON = {"Content-Type": "application/fhir+json"}

PATIENT_ID = "Qxzv-Pid-7731"
GIVEN = "Qxzv-Given-7731"
FAMILY = "Qxzv-Family-7731"
MRN = "Qxzv-MRN-7731"
PHONE = "+1-555-7731-0042"
STREET = "Qxzv-Street-7731"
CITY = "Qxzv-City-7731"
CONCLUSION = "Qxzv-Conclusion-phrase-7731"
NOTE = "Qxzv-Condition-note-7731"
PROCEDURE_TEXT = "Qxzv-Procedure-text-7731"
SECOND_NAME = "Qxzv-Second-patient-7731"
# Direct identifiers: never in a log, an error, a header, nor a successful response.
NAMES = [GIVEN, FAMILY, MRN, PHONE, STREET, CITY, SECOND_NAME]
# Everything from the record: never in a log, an error body or a header. PATIENT_ID is a
# prefix of every resource id, so any logged reference (Patient/..., Condition/...) shows.
EVERYTHING = [*NAMES, PATIENT_ID, CONCLUSION, NOTE, PROCEDURE_TEXT]

CAPTURED_LOGGERS = [
    "",
    "trialmatch",
    "app",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "fastapi",
    "starlette",
    "asyncio",
]


def distinctive_bundle() -> dict[str, Any]:
    """The eligible rectal example, every id and name made distinctive, free text added."""
    example = REPO_ROOT / "examples" / "patients" / "rectal_early_low_eligible.json"
    bundle: dict[str, Any] = json.loads(example.read_text().replace("rectal-early-low", PATIENT_ID))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        kind = resource["resourceType"]
        if kind == "Patient":
            resource["name"] = [{"family": FAMILY, "given": [GIVEN]}]
            resource["identifier"] = [
                {
                    "type": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                "code": "MR",
                            }
                        ]
                    },
                    "system": "urn:oid:1.2.36.146.595.217.0.1",
                    "value": MRN,
                }
            ]
            resource["telecom"] = [{"system": "phone", "value": PHONE, "use": "home"}]
            resource["address"] = [{"line": [STREET], "city": CITY, "postalCode": "7731"}]
        elif kind == "Condition":
            resource["note"] = [{"text": f"{NOTE}: told by {GIVEN} {FAMILY}"}]
        elif kind == "DiagnosticReport":
            resource["conclusion"] = f"{resource['conclusion']} {CONCLUSION}"
        elif kind == "Procedure":
            resource["code"]["text"] = f"{resource['code']['text']} {PROCEDURE_TEXT}"
    return bundle


def as_transaction(collection: dict[str, Any]) -> dict[str, Any]:
    entries = []
    for entry in collection["entry"]:
        resource = entry["resource"]
        url = f"{resource['resourceType']}/{resource['id']}"
        entries.append({"resource": resource, "request": {"method": "PUT", "url": url}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The app under a real uvicorn in a thread, access log on (as `uvicorn app.main:app`)."""
    port = free_port()
    # log_config=None: uvicorn keeps the logging set up here, so its records reach caplog.
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=True
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in CAPTURED_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.handler.setFormatter(
        logging.Formatter("%(levelname)s %(name)s %(pathname)s %(funcName)s: %(message)s")
    )
    return caplog


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        criteria_dir=TRIAL_FIXTURES,
        rate_limit_per_minute=0,
        log_level="DEBUG",
        **overrides,
    )


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/fhir"  # bound, then released: nothing listens


def leaks(text: str, strings: list[str]) -> list[str]:
    return [s for s in strings if s.lower() in text.lower()]


def assert_nothing_logged(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    assert caplog.records, "nothing was logged: the capture is not working"
    for record in caplog.records:
        # Everything a handler could write: the message, its arguments, the traceback.
        parts = [record.getMessage(), repr(record.args), record.name]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            parts.append(record.stack_info)
        found = leaks("\n".join(parts), EVERYTHING)
        assert not found, f"{record.name} logged {found}: {record.getMessage()[:200]}"
    assert not leaks(caplog.text, EVERYTHING)
    out, err = capfd.readouterr()
    assert not leaks(out + err, EVERYTHING), "patient data written to stdout or stderr"
    for name in ("httpx", "httpcore"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING


def assert_clean_error(
    response: httpx.Response, status: int, error_type: str | None = None
) -> None:
    assert response.status_code == status, response.text[:300]
    assert not leaks(response.text, EVERYTHING), (
        f"error body echoes {leaks(response.text, EVERYTHING)}"
    )
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
    assert not leaks(headers, EVERYTHING), "a response header echoes patient data"
    body = response.json()
    assert body["detail"] and all(set(d) == {"type", "msg", "loc"} for d in body["detail"])
    if error_type is not None:
        assert body["detail"][0]["type"] == error_type


def bad_bundles() -> list[tuple[str, bytes, str, int, str]]:
    """(scenario, body, content type, status, error type) for a posted Bundle."""
    good = distinctive_bundle()
    text = json.dumps(good)

    two = distinctive_bundle()
    second = json.loads(json.dumps(two["entry"][0]))
    second["resource"]["id"] = f"{PATIENT_ID}-twin"
    second["resource"]["name"] = [{"family": SECOND_NAME}]
    two["entry"].append(second)

    not_a_list = {"resourceType": "Bundle", "entry": {"resource": good["entry"][0]["resource"]}}
    no_patient = {"resourceType": "Bundle", "entry": good["entry"][1:]}
    not_a_bundle = dict(good["entry"][0]["resource"])
    foreign = distinctive_bundle()
    foreign["entry"][1]["resource"]["subject"] = {"reference": f"Patient/{PATIENT_ID}-other"}
    return [
        (
            "two patients",
            json.dumps(two).encode(),
            "application/fhir+json",
            422,
            "bundle.multiple_patients",
        ),
        (
            "truncated JSON",
            text[: len(text) // 2].encode(),
            "application/fhir+json",
            422,
            "request.json_invalid",
        ),
        (
            "JSON with a stray quote",
            text.replace(f'"{GIVEN}"', f'"{GIVEN}""').encode(),
            "application/json",
            422,
            "request.json_invalid",
        ),
        (
            "entry is an object",
            json.dumps(not_a_list).encode(),
            "application/fhir+json",
            422,
            "bundle.invalid",
        ),
        (
            "no patient",
            json.dumps(no_patient).encode(),
            "application/fhir+json",
            422,
            "bundle.no_patient",
        ),
        (
            "a Patient, not a Bundle",
            json.dumps(not_a_bundle).encode(),
            "application/fhir+json",
            422,
            "bundle.invalid",
        ),
        (
            "not valid UTF-8",
            text.encode()[:200] + b"\xff\xfe" + text.encode()[200:],
            "application/fhir+json",
            422,
            "request.json_invalid",
        ),
        ("plain text", text.encode(), "text/plain", 415, "request.unsupported_media_type"),
        (
            "too deep",
            b'{"resourceType": "Bundle", "x": '
            + b"[" * 80
            + f'"{GIVEN}"'.encode()
            + b"]" * 80
            + b"}",
            "application/fhir+json",
            422,
            "request.too_deep",
        ),
    ]


def test_bad_bundles_leak_nothing(
    tmp_path: Path, captured: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    cases = bad_bundles()
    with served(settings_for(tmp_path)) as url:
        for scenario, body, media, status, error_type in cases:
            response = httpx.post(
                f"{url}/v1/match?as_of={AS_OF}", content=body, headers={"Content-Type": media}
            )
            assert response.status_code == status, f"{scenario}: {response.text[:300]}"
            assert_clean_error(response, status, error_type)
        foreign = distinctive_bundle()
        foreign["entry"][1]["resource"]["subject"] = {"reference": f"Patient/{PATIENT_ID}-other"}
        response = httpx.post(
            f"{url}/v1/match?strict=true&as_of={AS_OF}", json=foreign, headers=FHIR_JSON
        )
        assert_clean_error(response, 422, "bundle.foreign_subject")
        # A bad query quoting the record: FastAPI's own validation message must not echo it.
        for query in (
            f"as_of={GIVEN}",
            f"trial={MRN}",
            f"limit={PHONE}",
            f"include_ineligible={CITY}",
        ):
            response = httpx.post(
                f"{url}/v1/match?{query}", json=distinctive_bundle(), headers=FHIR_JSON
            )
            assert_clean_error(response, 422)
    assert_nothing_logged(captured, capfd)


def test_wrongly_typed_resources_are_read_without_echoing_values(
    tmp_path: Path, captured: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    bundle = distinctive_bundle()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            resource["birthDate"] = GIVEN  # a name where a date belongs
            resource["gender"] = {"value": FAMILY}
        elif resource["resourceType"] == "Condition":
            resource["onsetDateTime"] = NOTE
            resource["stage"] = MRN
        elif resource["resourceType"] == "DiagnosticReport":
            resource["effectiveDateTime"] = CONCLUSION
            resource["status"] = [PHONE]
        elif resource["resourceType"] == "Observation":
            resource["valueQuantity"] = {"value": STREET, "unit": CITY}
    with served(settings_for(tmp_path)) as url:
        response = httpx.post(f"{url}/v1/match?as_of={AS_OF}", json=bundle, headers=FHIR_JSON)
    assert response.status_code == 200, response.text[:300]
    warnings = response.json()["warnings"]
    assert any(w["code"] == "resource.invalid_element" for w in warnings), warnings
    # Warnings name element paths, never values: the whole answer echoes none of them.
    assert not leaks(response.text, [*NAMES, CONCLUSION, NOTE]), leaks(response.text, EVERYTHING)
    assert_nothing_logged(captured, capfd)


def test_a_successful_match_logs_no_patient_data(
    tmp_path: Path, captured: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    with served(settings_for(tmp_path)) as url:
        response = httpx.post(
            f"{url}/v1/match?as_of={AS_OF}&include_ineligible=true",
            json=distinctive_bundle(),
            headers=FHIR_JSON,
        )
    assert response.status_code == 200, response.text[:300]
    assert response.json()["patient"] == f"Patient/{PATIENT_ID}"
    assert response.json()["matches"], "no trial was evaluated"
    # The answer carries facts with their sources, never the patient's names.
    assert not leaks(response.text, NAMES), leaks(response.text, NAMES)
    assert_nothing_logged(captured, capfd)


class Deep(RuntimeError):
    """An unforeseen failure whose text quotes the record, as real ones do."""


def quoting_failure(*_: Any, **__: Any) -> Any:
    raise Deep(
        f"cannot read {GIVEN} {FAMILY} MRN {MRN} at {STREET}: '{CONCLUSION}' Patient/{PATIENT_ID}"
    )


@pytest.mark.parametrize(
    "target",
    [
        "app.matching.service.normalize",  # the whole normalizer
        "app.matching.service.evaluate_trial",  # the evaluator
        "app.matching.service.rank",
        "app.fhir.bundle.PatientRecord",  # while the Bundle is read
    ],
)
def test_an_internal_error_leaks_nothing(
    target: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    captured: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(target, quoting_failure)
    with served(settings_for(tmp_path)) as url:
        response = httpx.post(
            f"{url}/v1/match?as_of={AS_OF}", json=distinctive_bundle(), headers=FHIR_JSON
        )
    assert_clean_error(response, 500, "internal.error")
    # The one error body still leaves with the security headers.
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert any("Deep" in r.getMessage() for r in captured.records), "the failure was not logged"
    assert_nothing_logged(captured, capfd)


def test_a_reader_failure_deep_in_the_normalizer_leaks_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    captured: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # A concept reader that fails costs its resource, not the request.
    monkeypatch.setattr("app.facts.report_text.read_report", quoting_failure)
    monkeypatch.setattr("app.facts.demographics.read_patient", quoting_failure)
    with served(settings_for(tmp_path)) as url:
        response = httpx.post(
            f"{url}/v1/match?as_of={AS_OF}", json=distinctive_bundle(), headers=FHIR_JSON
        )
    assert response.status_code == 200, response.text[:300]
    assert any(w["code"] == "resource.unreadable" for w in response.json()["warnings"])
    assert not leaks(response.text, [*NAMES, CONCLUSION]), "exception text reached the answer"
    assert any("Deep" in r.getMessage() for r in captured.records), "the failure was not logged"
    assert_nothing_logged(captured, capfd)


def test_an_ehr_that_is_down_leaks_nothing(
    tmp_path: Path, captured: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(tmp_path, fhir_base_url=closed_port_url(), fhir_retries=1)
    with served(settings) as url:
        response = httpx.get(f"{url}/v1/patients/{PATIENT_ID}/matches?as_of={AS_OF}")
        assert_clean_error(response, 502, "fhir.unavailable")
        response = httpx.get(f"{url}/v1/patients/{PATIENT_ID}!{MRN}/matches")
        # Refused by the client's FHIR id check, or by the route's documented pattern.
        assert_clean_error(response, 422)
        assert response.json()["detail"][0]["type"] in (
            "patient.invalid_id",
            "request.string_pattern_mismatch",
        )
        assert httpx.get(f"{url}/v1/trials/NCT99999999").status_code == 404
    # The access log still says which route was asked, by its template.
    access = [r.getMessage() for r in captured.records if r.name == "uvicorn.access"]
    assert any("GET /v1/patients/{patient_id}/matches" in line for line in access), access
    assert any("GET /v1/trials/{trial_id}" in line for line in access), access
    assert_nothing_logged(captured, capfd)


def test_refusals_before_the_route_leak_nothing(
    tmp_path: Path, captured: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """Too large, rate limited, no such path, wrong method: answered before any route reads."""
    settings = settings_for(tmp_path).model_copy(
        update={"max_body_bytes": 2048, "rate_limit_per_minute": 1, "rate_limit_burst": 6}
    )
    body = json.dumps(distinctive_bundle()).encode()
    assert len(body) > 2048
    with served(settings) as url:
        too_large = httpx.post(f"{url}/v1/match", content=body, headers=FHIR_JSON)
        assert_clean_error(too_large, 413, "request.too_large")
        chunked = httpx.post(f"{url}/v1/match", content=iter([body]), headers=FHIR_JSON)
        assert_clean_error(chunked, 413, "request.too_large")
        nowhere = httpx.get(f"{url}/{GIVEN}/{MRN}?city={CITY}")
        assert_clean_error(nowhere, 404, "request.not_found")
        method = httpx.delete(f"{url}/v1/patients/{PATIENT_ID}/matches")
        assert_clean_error(method, 405, "request.method_not_allowed")
        statuses = []
        for _ in range(4):
            response = httpx.get(f"{url}/v1/patients/{PATIENT_ID}/matches?city={CITY}")
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert_clean_error(response, 429, "request.rate_limited")
        assert 429 in statuses, statuses
    access = [r.getMessage() for r in captured.records if r.name == "uvicorn.access"]
    assert any("GET (no route)" in line for line in access), access
    assert_nothing_logged(captured, capfd)


@pytest.mark.fhir_server
def test_a_real_ehr_leaks_nothing_on_success_errors_and_internal_failure(
    fhir_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    captured: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    loaded = httpx.post(
        fhir_server, json=as_transaction(distinctive_bundle()), headers=FHIR_JSON, timeout=60
    )
    assert loaded.status_code == 200, loaded.text[:300]
    capfd.readouterr()  # the server loading is not the service under test
    with served(settings_for(tmp_path, fhir_base_url=fhir_server)) as url:
        pulled = httpx.get(
            f"{url}/v1/patients/{PATIENT_ID}/matches?as_of={AS_OF}&include_ineligible=true",
            timeout=60,
        )
        assert pulled.status_code == 200, pulled.text[:300]
        assert pulled.json()["patient"] == f"Patient/{PATIENT_ID}"
        assert not leaks(pulled.text, NAMES)

        # The EHR answers 404 for a patient it does not hold.
        missing = httpx.get(f"{url}/v1/patients/{PATIENT_ID}-gone/matches", timeout=60)
        assert_clean_error(missing, 404, "patient.not_found")

        monkeypatch.setattr("app.matching.service.normalize", quoting_failure)
        failed = httpx.get(f"{url}/v1/patients/{PATIENT_ID}/matches?as_of={AS_OF}", timeout=60)
        assert_clean_error(failed, 500, "internal.error")
    with served(
        settings_for(tmp_path / "wrong", fhir_base_url=f"{fhir_server}/Qxzv-not-fhir")
    ) as url:
        wrong = httpx.get(f"{url}/v1/patients/{PATIENT_ID}/matches", timeout=60)
        assert_clean_error(wrong, 502, "fhir.unavailable")
    assert_nothing_logged(captured, capfd)
