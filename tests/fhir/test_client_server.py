"""The FHIR client against real FHIR servers over HTTP (sekmet-fhir and Medplum, conftest.py)."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey, RSAKey

from app.errors import ApiError
from app.fhir.client import ClientOptions, FhirClient, SearchTiming
from app.fhir.record import PatientRecord
from app.fhir.smart import AssertionAlg, Auth, BearerAuth, SmartBackendAuth, load_private_key
from tests.fhir.conftest import FIXTURES, SmartServer

pytestmark = pytest.mark.fhir_server

PAGING_PATIENT = "tm-rectal-paging-1"
PAGING_BUNDLE = FIXTURES / "rectal_cancer_serial_cea_many_pages.json"


def ids_in_bundle(path: Path, patient_id: str) -> dict[str, set[str]]:
    """Resource ids of the patient's resources in a fixture, by type."""
    found: dict[str, set[str]] = defaultdict(set)
    for entry in json.loads(path.read_text())["entry"]:
        resource = entry["resource"]
        if resource.get("subject", {}).get("reference") == f"Patient/{patient_id}":
            found[resource["resourceType"]].add(resource["id"])
    return found


def fetch(
    base_url: str,
    patient_id: str,
    *,
    auth: Auth | None = None,
    options: ClientOptions | None = None,
    requests: list[httpx.Request] | None = None,
    **kwargs: Any,
) -> PatientRecord:
    async def record_request(request: httpx.Request) -> None:
        if requests is not None:
            requests.append(request)

    async def run() -> PatientRecord:
        async with httpx.AsyncClient(event_hooks={"request": [record_request]}) as http:
            client = FhirClient(http, base_url, auth=auth, options=options)
            return await client.fetch_record(patient_id, **kwargs)

    return asyncio.run(run())


def error_of(base_url: str, patient_id: str, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        fetch(base_url, patient_id, **kwargs)
    return caught.value


def test_paging_is_followed_to_the_last_page(fhir_server: str) -> None:
    timings: list[SearchTiming] = []
    record = fetch(
        fhir_server, PAGING_PATIENT, options=ClientOptions(page_size=10), timings=timings
    )
    expected = ids_in_bundle(PAGING_BUNDLE, PAGING_PATIENT)
    assert len(expected["Observation"]) == 50
    for rtype in ("Condition", "Observation", "DiagnosticReport", "Procedure"):
        assert {r["id"] for r in record.of_type(rtype)} == expected[rtype], rtype
    assert len(record.of_type("Observation")) == 50  # no page read twice
    observation_search = next(t for t in timings if t.resource_type == "Observation")
    assert observation_search.pages == 5
    assert record.patient["id"] == PAGING_PATIENT
    assert record.warnings == []


def test_no_other_patients_data_is_pulled(fhir_server: str) -> None:
    record = fetch(fhir_server, PAGING_PATIENT)
    other = {"op1-cond-c18", "op1-cea-0"}
    pulled = {r["id"] for rtype in record.resources for r in record.of_type(rtype)}
    assert pulled and not (pulled & other)


def test_observations_by_code_and_category_are_merged_without_duplicates(
    fhir_server: str,
) -> None:
    record = fetch(
        fhir_server,
        PAGING_PATIENT,
        options=ClientOptions(page_size=7),
        observation_codes=["http://loinc.org|89247-1", "http://loinc.org|21905-5"],
        observation_categories=["survey"],
    )
    # ECOG and cT are both codes asked for and in category survey: each comes once.
    assert sorted(o["id"] for o in record.of_type("Observation")) == [
        "rp1-ecog",
        "rp1-stage-0",
        "rp1-stage-1",
        "rp1-stage-2",
        "rp1-stage-3",
    ]


def test_unknown_patient_is_patient_not_found(fhir_server: str) -> None:
    error = error_of(fhir_server, "no-such-patient-42")
    assert (error.status_code, error.details[0].type) == (404, "patient.not_found")


def test_a_wrong_base_url_is_not_an_unknown_patient(fhir_server: str) -> None:
    # Both servers answer 404 here; only the issue code tells a wrong path from a missing id.
    error = error_of(f"{fhir_server}/Qxzv-not-fhir", PAGING_PATIENT)
    assert (error.status_code, error.details[0].type) == (502, "fhir.unavailable")


def test_page_cap_refuses_a_record_longer_than_allowed(fhir_server: str) -> None:
    error = error_of(fhir_server, PAGING_PATIENT, options=ClientOptions(page_size=5, max_pages=8))
    assert error.details[0].type == "fhir.too_many_pages"


def test_smart_backend_services_end_to_end(smart_server: SmartServer) -> None:
    alg: AssertionAlg = "RS384" if smart_server.alg == "RS384" else "ES384"
    auth = SmartBackendAuth(
        client_id=smart_server.client_id,
        private_key=load_private_key(smart_server.private_key, alg),
        alg=alg,
        scope="system/*.read",
        fhir_base_url=smart_server.base_url,  # token endpoint discovered
    )
    requests: list[httpx.Request] = []
    for _ in range(2):
        record = fetch(
            smart_server.base_url,
            PAGING_PATIENT,
            auth=auth,
            options=ClientOptions(page_size=20),
            requests=requests,
        )
        assert len(record.of_type("Observation")) == 50
    token_requests = [r for r in requests if r.url.path == "/auth/token"]
    assert len(token_requests) == 1  # cached across both pulls and all concurrent searches
    fhir_requests = [
        r for r in requests if r.url.path.startswith("/fhir/") and ".well-known" not in r.url.path
    ]
    assert len(fhir_requests) >= 2 * 6
    assert all(r.headers["Authorization"].startswith("Bearer ") for r in fhir_requests)


def test_smart_with_an_unregistered_key_is_fhir_unauthorized(smart_server: SmartServer) -> None:
    # A key of the right type that the server does not know.
    key: RSAKey | ECKey = (
        RSAKey.generate_key(2048) if smart_server.alg == "RS384" else ECKey.generate_key("P-384")
    )
    auth = SmartBackendAuth(
        client_id=smart_server.client_id,
        private_key=key,
        alg="RS384" if smart_server.alg == "RS384" else "ES384",
        scope="system/*.read",
        fhir_base_url=smart_server.base_url,
    )
    error = error_of(smart_server.base_url, PAGING_PATIENT, auth=auth)
    assert (error.status_code, error.details[0].type) == (502, "fhir.unauthorized")


def test_no_credentials_at_a_smart_server_is_fhir_unauthorized(smart_server: SmartServer) -> None:
    error = error_of(smart_server.base_url, PAGING_PATIENT)
    assert (error.status_code, error.details[0].type) == (502, "fhir.unauthorized")


def test_static_bearer_token(smart_server: SmartServer) -> None:
    record = fetch(smart_server.base_url, PAGING_PATIENT, auth=BearerAuth(smart_server.admin_token))
    assert len(record.of_type("Observation")) == 50
    error = error_of(smart_server.base_url, PAGING_PATIENT, auth=BearerAuth("wrong-token"))
    assert error.details[0].type == "fhir.unauthorized"


MEDS_PATIENT = "tm-rectal-meds-1"
MEDS_BUNDLE = FIXTURES / "rectal_cancer_prior_capox_and_pembrolizumab.json"


def test_medications_are_pulled_with_the_medications_they_name(fhir_server: str) -> None:
    requests: list[httpx.Request] = []
    record = fetch(fhir_server, MEDS_PATIENT, requests=requests)
    expected = ids_in_bundle(MEDS_BUNDLE, MEDS_PATIENT)
    for rtype in ("MedicationRequest", "MedicationStatement", "MedicationAdministration"):
        assert {r["id"] for r in record.of_type(rtype)} == expected[rtype], rtype
    assert {m["id"] for m in record.of_type("Medication")} == {
        "meds1-med-oxaliplatin",
        "meds1-med-capecitabine",
    }
    assert not any(r.url.path.endswith("/Medication") for r in requests)  # never searched
    assert record.warnings == []


def test_a_medication_the_server_did_not_include_is_read_by_its_id(fhir_server: str) -> None:
    # As a server that ignores _include answers: the client reads each named Medication.
    async def drop_include(request: httpx.Request) -> None:
        request.url = request.url.copy_remove_param("_include")

    async def run() -> PatientRecord:
        async with httpx.AsyncClient(event_hooks={"request": [drop_include]}) as http:
            return await FhirClient(http, fhir_server).fetch_record(MEDS_PATIENT)

    record = asyncio.run(run())
    assert {m["id"] for m in record.of_type("Medication")} == {
        "meds1-med-oxaliplatin",
        "meds1-med-capecitabine",
    }


def test_pulled_medications_become_drug_class_facts(fhir_server: str) -> None:
    from datetime import date

    from app.facts.model import MedicationFact
    from app.facts.normalize import normalize

    facts = normalize(fetch(fhir_server, MEDS_PATIENT), date(2026, 11, 22))
    found = {
        (f.ingredient, tuple(f.drug_classes), f.resource_type)
        for f in facts.of_kind(MedicationFact)
    }
    assert found == {
        ("oxaliplatin", ("platinum",), "MedicationAdministration"),
        ("capecitabine", ("fluoropyrimidine",), "MedicationRequest"),
        ("pembrolizumab", ("anti_pd1_pdl1",), "MedicationStatement"),
    }  # the nivolumab plan was never given
