"""``POST /fhir/ResearchStudy/$match``: the example patients in, R4 out, the same trials in
the same order as ``POST /v1/match``, with every criterion's verdict in our extension."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.fhir_api.searchset import search_score
from tests.fhir_api.conftest import (
    AS_OF,
    FHIR_JSON,
    PATIENTS,
    as_parameters,
    audit_rows,
    example,
    issue_codes,
    matched,
    outcome_issues,
    output_bundle,
    post_match,
)

VERDICT_URL = "http://testserver/fhir/StructureDefinition/criterion-verdict"
STATUS_URL = "http://testserver/fhir/StructureDefinition/match-status"


def v1_match(client: TestClient, bundle: dict[str, Any], query: str = "") -> dict[str, Any]:
    response = client.post(
        f"/v1/match?as_of={AS_OF}{query}", content=json.dumps(bundle), headers=FHIR_JSON
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def parts(extension: dict[str, Any], name: str) -> list[Any]:
    values = []
    for part in extension["extension"]:
        if part["url"] == name:
            values += [v for k, v in part.items() if k.startswith("value")]
    return values


@pytest.mark.parametrize("query", ["", "&include_ineligible=true"])
@pytest.mark.parametrize("patient", PATIENTS)
def test_parameters_and_bare_bundle_give_the_trials_and_order_of_v1_match(
    client: TestClient, patient: str, query: str
) -> None:
    bundle = example(patient)
    expected = v1_match(client, bundle, query)["matches"]
    from_parameters = matched(output_bundle(post_match(client, as_parameters(bundle), query)))
    from_bundle = matched(output_bundle(post_match(client, bundle, query)))

    order = [m["trial"] for m in expected]
    assert [e["resource"]["id"] for e in from_parameters] == order
    assert [e["resource"]["id"] for e in from_bundle] == order
    scores = [e["search"]["score"] for e in from_parameters]
    assert scores == [search_score(m["status"], m["score"]) for m in expected]
    assert scores == sorted(scores, reverse=True)  # never rises down the list
    assert all(0 <= s <= 1 for s in scores)


def test_the_example_set_has_every_status_so_the_order_test_means_something(
    client: TestClient,
) -> None:
    statuses = {
        m["status"]
        for patient in PATIENTS
        for m in v1_match(client, example(patient), "&include_ineligible=true")["matches"]
    }
    assert statuses == {"eligible", "possibly_eligible", "ineligible"}


@pytest.mark.parametrize(
    ("status", "score", "band"),
    [
        ("eligible", 1.0, (0.75, 1.0)),
        ("eligible", 0.0, (0.75, 1.0)),
        ("possibly_eligible", 0.9999, (0.01, 0.74)),
        ("possibly_eligible", 0.0, (0.01, 0.74)),
        ("ineligible", 0.99, (0.0, 0.0099)),
    ],
)
def test_each_status_scores_in_the_band_mitres_app_reads_for_it(
    status: Any, score: float, band: tuple[float, float]
) -> None:
    assert band[0] <= search_score(status, score) <= band[1]


def test_each_criterion_verdict_rides_in_the_extension(client: TestClient) -> None:
    bundle = example("rectal_missing_staging_and_performance")
    expected = {
        m["trial"]: m for m in v1_match(client, bundle, "&include_ineligible=true")["matches"]
    }
    entries = matched(output_bundle(post_match(client, bundle, "&include_ineligible=true")))
    assert entries
    for entry in entries:
        study = entry["resource"]
        match = expected[study["id"]]
        [status] = [e["valueCode"] for e in study["extension"] if e["url"] == STATUS_URL]
        assert status == match["status"]
        verdicts = [e for e in study["extension"] if e["url"] == VERDICT_URL]
        assert [parts(v, "criterion") for v in verdicts] == [[c["id"]] for c in match["criteria"]]
        for verdict, criterion in zip(verdicts, match["criteria"], strict=True):
            assert parts(verdict, "outcome") == [criterion["outcome"]]
            assert parts(verdict, "needs") == ([criterion["needs"]] if criterion["needs"] else [])
            assert parts(verdict, "reason") == [criterion["reason"]]
            assert parts(verdict, "encoding") == [criterion["encoding"]]
            assert parts(verdict, "evidence") == [{"reference": r} for r in criterion["evidence"]]
            assert parts(verdict, "missingData") == criterion["missing_data"]


def test_a_study_carries_identifier_title_phase_status_sites_and_eligibility(
    client: TestClient,
) -> None:
    entries = matched(output_bundle(post_match(client, example("rectal_early_low_eligible"))))
    study = next(e["resource"] for e in entries if e["resource"]["id"] == "NCT06949098")
    trial = client.get("/v1/trials/NCT06949098").json()
    assert study["identifier"] == [
        {"use": "official", "system": "https://clinicaltrials.gov", "value": "NCT06949098"}
    ]
    assert study["title"] == trial["title"]
    assert study["description"]
    assert study["status"] == "active"  # RECRUITING
    assert study["phase"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/research-study-phase",
            "code": "phase-2",
            "display": "Phase 2",
        }
    ]
    contained = {r["id"]: r for r in study["contained"]}
    sites = [contained[s["reference"].removeprefix("#")] for s in study["site"]]
    assert [s["name"] for s in sites] == [site["facility"] for site in trial["sites"]]
    # The seed trials' sites have no coordinates (test_research_study.py has one that does).
    assert all("position" not in s for s in sites)
    [enrollment] = study["enrollment"]
    group = contained[enrollment["reference"].removeprefix("#")]
    assert group["resourceType"] == "Group" and group["actual"] is False
    characteristics = {c["id"]: c for c in group["characteristic"]}
    assert list(characteristics) == [c["id"] for c in trial["criteria"]]
    for criterion in trial["criteria"]:
        characteristic = characteristics[criterion["id"]]
        assert characteristic["valueCodeableConcept"]["text"] == criterion["text"]
        assert characteristic["exclude"] is (criterion["type"] == "exclusion")
    assert trial["criteria"][0]["text"] in enrollment["display"]  # where MITRE's app reads it


def test_missing_data_and_data_quality_warnings_go_in_the_outcome_entry(
    client: TestClient,
) -> None:
    bundle = example("rectal_missing_staging_and_performance")
    patient_id = next(
        e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    # A resource of someone else in the Bundle: read, with a data-quality warning.
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Observation",
                "id": "foreign-1",
                "status": "final",
                "subject": {"reference": "Patient/someone-else"},
                "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
            }
        }
    )
    answer = v1_match(client, bundle)
    issues = outcome_issues(output_bundle(post_match(client, as_parameters(bundle))))
    codes = issue_codes({"issue": issues})
    assert "bundle.foreign_subject" in codes
    assert {w["code"] for w in answer["warnings"]} <= set(codes)
    missing = [i for i in issues if i["details"]["coding"][0]["code"] == "data.missing"]
    wanted = {
        item
        for m in answer["matches"]
        for c in m["criteria"]
        if c["needs"] == "data"
        for item in c["missing_data"]
    }
    assert wanted, "the patient should miss data"
    assert len(missing) == len(wanted)
    assert all(i["severity"] == "information" and i["code"] == "incomplete" for i in missing)
    assert patient_id not in json.dumps(missing)


def test_a_complete_eligible_record_has_no_missing_data_issue(client: TestClient) -> None:
    bundle = output_bundle(
        post_match(client, example("rectal_early_low_eligible"), "&trial=NCT06949098")
    )
    assert [e["resource"]["id"] for e in matched(bundle)] == ["NCT06949098"]
    assert "data.missing" not in issue_codes({"issue": outcome_issues(bundle)})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"recruitmentStatus": "active"}, {"NCT06949098", "NCT06043999", "NCT06122493"}),
        ({"recruitmentStatus": "RECRUITING"}, {"NCT06949098", "NCT06043999", "NCT06122493"}),
        ({"recruitmentStatus": "completed"}, set()),
        ({"phase": "phase-2"}, {"NCT06949098", "NCT06043999", "NCT06122493"}),
        ({"phase": "PHASE2"}, {"NCT06949098", "NCT06043999", "NCT06122493"}),
        ({"phase": "phase-3"}, set()),
    ],
)
def test_phase_and_recruitment_status_restrict_the_trials(
    client: TestClient, values: dict[str, str], expected: set[str]
) -> None:
    trials = {
        t["nct_id"]: t for t in client.get("/v1/trials").json()["items"]
    }  # the bundled library: every trial recruiting, phase 2 or none
    assert set(trials) == {"NCT06949098", "NCT06043999", "NCT06122493"}
    if values.get("phase") in ("phase-2", "PHASE2"):
        expected = {t for t in expected if trials[t]["phase"] == "Phase 2"}
    body = as_parameters(example("rectal_missing_staging_and_performance"), **values)
    bundle = output_bundle(post_match(client, body, "&include_ineligible=true"))
    assert {e["resource"]["id"] for e in matched(bundle)} == expected
    assert bundle["total"] == len(expected)


@pytest.mark.parametrize(
    ("name", "value"),
    [("phase", "phase-9"), ("recruitmentStatus", "open-ish"), ("travelRadius", "far")],
)
def test_a_search_parameter_we_cannot_read_is_a_422(
    client: TestClient, name: str, value: str
) -> None:
    body = as_parameters(example("rectal_early_low_eligible"), **{name: value})
    outcome = post_match(client, body, status=422)
    assert issue_codes(outcome) == ["fhir.invalid_parameter"]


def test_bundled_trials_whose_sites_have_no_position_are_kept_and_flagged(
    client: TestClient,
) -> None:
    # The bundled library's registry records give no site positions: a radius cannot drop
    # them, and each is flagged for a person to check.
    body = as_parameters(example("rectal_early_low_eligible"), zipCode="67446", travelRadius="50")
    plain = output_bundle(post_match(client, as_parameters(example("rectal_early_low_eligible"))))
    bundle = output_bundle(post_match(client, body))
    ids = [e["resource"]["id"] for e in matched(bundle)]
    assert ids == [e["resource"]["id"] for e in matched(plain)]
    flagged = [
        i["details"]["text"].split(":")[0]
        for i in outcome_issues(bundle)
        if i["details"]["coding"][0]["code"] == "fhir.site_distance_unknown"
    ]
    assert sorted(flagged) == sorted(ids)


def test_application_json_is_accepted_too(client: TestClient) -> None:
    response = client.post(
        f"/fhir/ResearchStudy/$match?as_of={AS_OF}",
        content=json.dumps(as_parameters(example("rectal_early_low_eligible"))),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert matched(output_bundle(response.json()))


def test_each_match_writes_one_audit_row_with_the_patient(client: TestClient) -> None:
    before = len(audit_rows(client))
    bundle = output_bundle(post_match(client, as_parameters(example("rectal_ecog_3"))))
    rows = audit_rows(client)
    assert len(rows) == before + 1
    row = rows[-1]
    assert row.route == "/fhir/ResearchStudy/$match"
    assert row.patient_ref == "Patient/" + next(
        e["resource"]["id"]
        for e in example("rectal_ecog_3")["entry"]
        if e["resource"]["resourceType"] == "Patient"
    )
    assert (row.status, row.outcome) == (200, "ok")
    assert row.trials_returned == len(matched(bundle))
