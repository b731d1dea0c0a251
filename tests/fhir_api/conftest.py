"""The FHIR interface's tests: a started service on the bundled library, and R4 checks.

fhir.resources 8.3.0 ships R5 (its default), R4B and STU3 models, no R4: responses are
validated with the R4B models (ResearchStudy, Location, Group, Parameters, Bundle,
OperationOutcome, CapabilityStatement and StructureDefinition are the same in R4 and R4B
for what we write), and the R4 required bindings we use (ResearchStudy.status) are checked
against the R4 value set itself, below.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class

from app.config import REPO_ROOT, Settings
from app.main import create_app
from app.store.audit import list_events

EXAMPLES = REPO_ROOT / "examples" / "patients"
PATIENTS = sorted(p.stem for p in EXAMPLES.glob("*.json"))
AS_OF = "2026-11-23"
FHIR_JSON = {"content-type": "application/fhir+json"}
LOOPBACK = ("127.0.0.1", 50000)
ISSUE_SYSTEM = "urn:trialmatch:issue-type"
# hl7.org/fhir/R4/valueset-research-study-status.html (a required binding).
R4_STUDY_STATUSES = {
    "active",
    "administratively-completed",
    "approved",
    "closed-to-accrual",
    "closed-to-accrual-and-intervention",
    "completed",
    "disapproved",
    "in-review",
    "temporarily-closed-to-accrual",
    "temporarily-closed-to-accrual-and-intervention",
    "withdrawn",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("fhir") / "store.db"
    settings = Settings(database_url=f"sqlite:///{db}", rate_limit_per_minute=0)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def example(name: str) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return bundle


def as_parameters(bundle: dict[str, Any], **values: str) -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "trialMatchClinicalData", "resource": bundle},
            *({"name": name, "valueString": value} for name, value in values.items()),
        ],
    }


def r4(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate as FHIR (R4B models, see above), and every ResearchStudy's status against
    the R4 value set; returns the resource."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for study in research_studies(resource):
        assert study["status"] in R4_STUDY_STATUSES
    return resource


def research_studies(resource: dict[str, Any]) -> list[dict[str, Any]]:
    if resource["resourceType"] == "ResearchStudy":
        return [resource]
    if resource["resourceType"] == "Parameters":
        return [s for p in resource["parameter"] for s in research_studies(p["resource"])]
    if resource["resourceType"] == "Bundle":
        return [s for e in resource["entry"] for s in research_studies(e["resource"])]
    return []


def post_match(
    client: TestClient, body: dict[str, Any], query: str = "", status: int = 200
) -> dict[str, Any]:
    response = client.post(
        f"/fhir/ResearchStudy/$match?as_of={AS_OF}{query}",
        content=json.dumps(body),
        headers=FHIR_JSON,
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    return r4(response.json())


def output_bundle(parameters: dict[str, Any]) -> dict[str, Any]:
    assert parameters["resourceType"] == "Parameters"
    [output] = parameters["parameter"]
    assert output["name"] == "trialMatchOutput"
    bundle: dict[str, Any] = output["resource"]
    assert bundle["type"] == "searchset"
    return bundle


def matched(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in bundle["entry"] if e["search"]["mode"] == "match"]


def outcome_issues(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    outcomes = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert len(outcomes) <= 1
    return outcomes[0]["resource"]["issue"] if outcomes else []


def issue_codes(resource: dict[str, Any]) -> list[str]:
    codes = []
    for issue in resource["issue"]:
        [coding] = issue["details"]["coding"]
        assert coding["system"] == ISSUE_SYSTEM
        codes.append(coding["code"])
    return codes


def audit_rows(client: TestClient) -> list[Any]:
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        return list(reversed(list_events(session, limit=1000)))
