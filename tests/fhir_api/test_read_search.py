"""``GET /fhir/metadata``, ``/fhir/ResearchStudy/{nct}``, ``/fhir/ResearchStudy?...`` and
``/fhir/StructureDefinition/{id}``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.fhir_api.conftest import (
    LOOPBACK,
    as_parameters,
    example,
    issue_codes,
    matched,
    output_bundle,
    post_match,
    r4,
)

BUNDLED = ["NCT06043999", "NCT06122493", "NCT06949098"]


def test_the_capability_statement_names_the_operation(client: TestClient) -> None:
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    statement = r4(response.json())
    assert statement["fhirVersion"] == "4.0.1"
    assert "json" in statement["format"]
    [rest] = statement["rest"]
    study = next(r for r in rest["resource"] if r["type"] == "ResearchStudy")
    [operation] = study["operation"]
    assert operation["name"] == "match"
    assert operation["definition"].endswith("/OperationDefinition/ClinicalTrialMatchService")
    for parameter in ("trialMatchClinicalData", "zipCode", "latitude", "travelRadius"):
        assert parameter in operation["documentation"]
    assert {p["name"] for p in study["searchParam"]} == {"condition", "status"}


def test_a_trial_reads_as_a_research_study(client: TestClient) -> None:
    response = client.get("/fhir/ResearchStudy/NCT06122493")
    assert response.status_code == 200
    study = r4(response.json())
    assert study["id"] == "NCT06122493"
    assert study["identifier"][0]["value"] == "NCT06122493"
    assert "extension" not in study  # verdicts belong to a match, not to the trial


def test_an_unknown_trial_is_a_404_outcome(client: TestClient) -> None:
    response = client.get("/fhir/ResearchStudy/NCT00000000")
    assert response.status_code == 404
    outcome = r4(response.json())
    assert issue_codes(outcome) == ["trial.not_found"]
    assert outcome["issue"][0]["code"] == "not-found"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", BUNDLED),
        ("?condition=RECTAL", ["NCT06043999", "NCT06949098"]),
        ("?condition=esophag", ["NCT06122493"]),
        ("?condition=melanoma", []),
        ("?status=active", BUNDLED),
        ("?status=completed,withdrawn", []),
        ("?status=completed&status=active&condition=rectal", ["NCT06043999", "NCT06949098"]),
        ("?_count=1&_offset=1", ["NCT06122493"]),
    ],
)
def test_search_by_condition_text_and_status(
    client: TestClient, query: str, expected: list[str]
) -> None:
    response = client.get(f"/fhir/ResearchStudy{query}")
    assert response.status_code == 200
    bundle = r4(response.json())
    assert bundle["type"] == "searchset"
    assert [e["resource"]["id"] for e in bundle["entry"]] == expected
    if "_count" not in query:
        assert bundle["total"] == len(expected)


def test_a_status_that_is_not_r4_is_a_422_outcome(client: TestClient) -> None:
    response = client.get("/fhir/ResearchStudy?status=RECRUITING")
    assert response.status_code == 422
    assert issue_codes(r4(response.json())) == ["fhir.invalid_parameter"]


@pytest.mark.parametrize("definition_id", ["criterion-verdict", "match-status"])
def test_our_extensions_are_served_at_their_canonical_url(
    client: TestClient, definition_id: str
) -> None:
    entries = matched(
        output_bundle(
            post_match(client, as_parameters(example("rectal_ecog_3")), "&include_ineligible=true")
        )
    )
    used = {e["url"] for entry in entries for e in entry["resource"]["extension"]}
    [url] = [u for u in used if u.endswith(f"/{definition_id}")]
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    definition = r4(response.json())
    assert definition["url"] == url
    assert definition["type"] == "Extension"
    assert definition["context"] == [{"type": "element", "expression": "ResearchStudy"}]


def test_every_verdict_part_we_write_is_defined(client: TestClient) -> None:
    definition = client.get("/fhir/StructureDefinition/criterion-verdict").json()
    defined = {e["sliceName"] for e in definition["differential"]["element"] if "sliceName" in e}
    entries = matched(
        output_bundle(
            post_match(
                client,
                example("rectal_missing_staging_and_performance"),
                "&include_ineligible=true",
            )
        )
    )
    written = {
        part["url"]
        for entry in entries
        for e in entry["resource"]["extension"]
        if e["url"].endswith("/criterion-verdict")
        for part in e["extension"]
    }
    assert written and written <= defined


def test_an_unknown_structure_definition_is_a_404_outcome(client: TestClient) -> None:
    response = client.get("/fhir/StructureDefinition/nothing")
    assert response.status_code == 404
    assert issue_codes(r4(response.json())) == ["fhir.not_found"]


@pytest.fixture
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("proxied") / "store.db"
    settings = Settings(
        database_url=f"sqlite:///{db}",
        rate_limit_per_minute=0,
        public_base_url="https://match.example.org/",
    )
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def test_the_public_base_url_is_the_base_of_every_canonical_url(proxied: TestClient) -> None:
    definition = proxied.get("/fhir/StructureDefinition/criterion-verdict").json()
    assert (
        definition["url"] == "https://match.example.org/fhir/StructureDefinition/criterion-verdict"
    )
    entries = matched(
        output_bundle(
            post_match(proxied, as_parameters(example("rectal_ecog_3")), "&include_ineligible=true")
        )
    )
    assert entries[0]["fullUrl"].startswith("https://match.example.org/fhir/ResearchStudy/")
    assert {e["url"] for e in entries[0]["resource"]["extension"]} == {
        "https://match.example.org/fhir/StructureDefinition/criterion-verdict",
        "https://match.example.org/fhir/StructureDefinition/match-status",
    }
