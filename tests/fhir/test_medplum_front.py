"""Our HTTP front on Medplum's FHIR engine (scripts/medplum-server/server.mjs), over HTTP.

The engine returns searchsets without paging links and matches nothing on a search parameter
it does not know; the front adds absolute next links and ignores unknown parameters as
FHIR's lenient default says (a 400 under ``Prefer: handling=strict``). These tests hold the
front to that, so the client tests that run against it test the client, not a quirk.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.config import REPO_ROOT
from app.eligibility.library import load_library
from app.fhir.client import ClientOptions, FhirClient
from app.matching.data_needs import observation_codes

pytestmark = pytest.mark.fhir_server

PATIENT = "tm-rectal-paging-1"


def search(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers={"Accept": "application/fhir+json", **headers}, timeout=30)


def links(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle.get("link", [])}


def test_searchsets_page_with_absolute_next_links_on_the_servers_origin(
    medplum_server: str,
) -> None:
    origin = urlsplit(medplum_server)
    url: str | None = f"{medplum_server}/Observation?patient={PATIENT}&_count=15"
    ids: list[str] = []
    pages = 0
    while url is not None:
        response = search(url)
        assert response.status_code == 200
        bundle = response.json()
        assert (bundle["type"], bundle["total"]) == ("searchset", 50)
        ids += [e["resource"]["id"] for e in bundle.get("entry", [])]
        pages += 1
        url = links(bundle).get("next")
        if url is not None:
            parts = urlsplit(url)
            assert (parts.scheme, parts.netloc) == (origin.scheme, origin.netloc)
            assert parse_qs(parts.query)["_count"] == ["15"]
    assert pages == 4
    assert len(ids) == len(set(ids)) == 50


def test_unknown_search_parameters_are_ignored_or_refused_when_strict(medplum_server: str) -> None:
    plain = search(f"{medplum_server}/Observation?patient={PATIENT}&_count=100")
    lenient = search(f"{medplum_server}/Observation?patient={PATIENT}&_count=100&no-such-param=1")
    assert lenient.status_code == 200
    assert lenient.json()["total"] == plain.json()["total"] == 50
    assert "no-such-param" not in links(lenient.json())["self"]  # what the server used
    strict = search(
        f"{medplum_server}/Observation?patient={PATIENT}&no-such-param=1",
        Prefer="handling=strict",
    )
    assert strict.status_code == 400
    assert strict.json()["resourceType"] == "OperationOutcome"


def test_every_search_our_client_makes_is_understood_whole(medplum_server: str) -> None:
    # The client's own searches, with the Observation codes the bundled library needs (as
    # the route asks) and a category: replayed strictly, no parameter may be unknown, since
    # the bare engine would silently match nothing on one (a patient without data).
    requests: list[httpx.Request] = []

    async def pull() -> None:
        async def record(request: httpx.Request) -> None:
            requests.append(request)

        async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
            client = FhirClient(http, medplum_server, options=ClientOptions(page_size=10))
            await client.fetch_record(
                PATIENT,
                observation_codes=observation_codes(load_library(REPO_ROOT / "criteria")),
                observation_categories=["laboratory", "survey"],
            )

    asyncio.run(pull())
    searches = [r for r in requests if r.url.params]
    assert {r.url.path.rsplit("/", 1)[-1] for r in searches} == {
        "Condition",
        "Observation",
        "DiagnosticReport",
        "Procedure",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
    }
    assert any("code" in r.url.params for r in searches)
    assert any("category" in r.url.params for r in searches)
    for request in searches:
        strict = search(str(request.url), Prefer="handling=strict")
        assert strict.status_code == 200, (request.url.path, strict.text[:300])
        assert strict.json()["type"] == "searchset"


def test_an_unknown_patient_is_a_404_operation_outcome(medplum_server: str) -> None:
    response = search(f"{medplum_server}/Patient/no-such-patient")
    assert response.status_code == 404
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "not-found"


def test_the_medication_searches_include_what_they_name(medplum_server: str) -> None:
    # _include is a result parameter the front passes on; strictly replayed it is understood.
    for rtype in ("MedicationRequest", "MedicationStatement", "MedicationAdministration"):
        response = httpx.get(
            f"{medplum_server}/{rtype}",
            params={"patient": "tm-rectal-meds-1", "_include": f"{rtype}:medication"},
            headers={"Prefer": "handling=strict"},
        )
        assert response.status_code == 200, rtype
        kinds = {e["resource"]["resourceType"] for e in response.json().get("entry", [])}
        assert rtype in kinds
        if rtype != "MedicationStatement":  # the statement codes its drug inline
            assert "Medication" in kinds, rtype
