"""The hook with its data in `prefetch`: the cards are `/v1/match`'s eligible and possibly
eligible trials, in its order; a missing or unusable prefetch with no `fhirServer` is 412."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.cds_hooks.conftest import (
    EXAMPLE_NAMES,
    HOOK_URL,
    audit_rows,
    example,
    hook_call,
    patient_of,
    prefetch_of,
    same_cards,
    service,
)

CARD_LIMIT = 20  # high enough that no example's cards are cut: the order is compared whole


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with service(tmp_path_factory.mktemp("cds"), cds_card_limit=CARD_LIMIT) as test_client:
        yield test_client


def expected_trials(client: TestClient, bundle: dict[str, Any]) -> list[str]:
    matched = client.post("/v1/match", json=bundle)
    assert matched.status_code == 200
    return [
        m["trial"]
        for m in matched.json()["matches"]
        if m["status"] in ("eligible", "possibly_eligible")
    ]


def card_trials(cards: list[dict[str, Any]]) -> list[str]:
    found = []
    for card in cards:
        [link] = [k for k in card["links"] if "clinicaltrials.gov" in k["url"]]
        nct = re.fullmatch(r"https://clinicaltrials\.gov/study/(NCT\d{8})", link["url"])
        assert nct is not None, link["url"]
        found.append(nct[1])
    return found


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_full_prefetch_gives_the_cards_of_v1_match_in_its_order(
    client: TestClient, name: str
) -> None:
    bundle = example(name)
    patient_id = patient_of(bundle)["id"]
    response = client.post(HOOK_URL, json=hook_call(patient_id, prefetch_of(bundle)))
    assert response.status_code == 200, response.text[:500]
    cards = response.json()["cards"]
    assert card_trials(cards) == expected_trials(client, bundle)
    for card in cards:
        assert len(card["summary"]) < 140
        assert card["indicator"] == "info"
        assert card["source"]["label"] == "trialmatch"
        assert card["detail"].startswith(("**Eligible**", "**Possibly eligible**"))
        if card["summary"].startswith("Possibly"):
            # What stands between the patient and the trial is named.
            assert "**For a person to confirm:**" in card["detail"] or (
                "**Data missing:**" in card["detail"]
            )


def test_at_least_one_example_gives_cards(client: TestClient) -> None:
    # Guards the parity test above against passing on empty lists only.
    counts = []
    for name in EXAMPLE_NAMES:
        bundle = example(name)
        call = hook_call(patient_of(bundle)["id"], prefetch_of(bundle))
        counts.append(len(client.post(HOOK_URL, json=call).json()["cards"]))
    assert sum(counts) > 0 and 0 in counts


def test_cards_are_capped_by_the_setting(tmp_path: Path) -> None:
    bundle = example("rectal_missing_staging_and_performance")
    with service(tmp_path, cds_card_limit=1) as capped:
        expected = expected_trials(capped, bundle)
        response = capped.post(
            HOOK_URL, json=hook_call(patient_of(bundle)["id"], prefetch_of(bundle))
        )
    assert len(expected) > 1, "the example should fit several trials"
    assert card_trials(response.json()["cards"]) == expected[:1]


def test_a_patient_no_trial_fits_gets_no_card(client: TestClient) -> None:
    breast = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": "breast-only",
                    "birthDate": "1970-01-01",
                }
            },
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c1",
                    "subject": {"reference": "Patient/breast-only"},
                    "code": {
                        "coding": [
                            {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C50.911"}
                        ]
                    },
                }
            },
        ],
    }
    assert expected_trials(client, breast) == []
    response = client.post(HOOK_URL, json=hook_call("breast-only", prefetch_of(breast)))
    assert response.status_code == 200
    assert response.json() == {"cards": []}


def test_null_search_prefetch_means_no_such_data(client: TestClient) -> None:
    # CDS Hooks 2.0: null is how an EHR says it holds none. Same as an empty Bundle.
    bundle = example("rectal_missing_staging_and_performance")
    prefetch = prefetch_of(bundle)
    assert prefetch["procedures"]["entry"] == []
    empty = client.post(HOOK_URL, json=hook_call(patient_of(bundle)["id"], prefetch))
    prefetch["procedures"] = None
    null = client.post(HOOK_URL, json=hook_call(patient_of(bundle)["id"], prefetch))
    assert null.status_code == empty.status_code == 200
    assert same_cards(null.json()) == same_cards(empty.json())


def test_null_patient_prefetch_without_fhir_server_is_412(client: TestClient) -> None:
    bundle = example("rectal_early_low_eligible")
    prefetch = {**prefetch_of(bundle), "patient": None}
    response = client.post(HOOK_URL, json=hook_call("rectal-early-low", prefetch))
    assert response.status_code == 412
    [error] = response.json()["detail"]
    assert error["type"] == "cds.prefetch_unavailable"
    assert "patient" in error["msg"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: p.pop("conditions"), id="key-missing"),
        pytest.param(lambda p: p.clear(), id="no-prefetch"),
        pytest.param(
            lambda p: p.__setitem__(
                "observations",
                {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "timeout"}],
                },
            ),
            id="query-error",
        ),
    ],
)
def test_data_that_must_be_fetched_with_no_fhir_server_is_412(
    client: TestClient, change: Any
) -> None:
    bundle = example("rectal_early_low_eligible")
    prefetch = prefetch_of(bundle)
    change(prefetch)
    response = client.post(HOOK_URL, json=hook_call("rectal-early-low", prefetch))
    assert response.status_code == 412
    assert response.json()["detail"][0]["type"] == "cds.prefetch_unavailable"


def test_a_prefetched_patient_other_than_the_context_is_refused(client: TestClient) -> None:
    bundle = example("rectal_early_low_eligible")
    response = client.post(HOOK_URL, json=hook_call("someone-else", prefetch_of(bundle)))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "cds.prefetch_invalid"
    assert "rectal-early-low" not in response.text  # the patient data is not echoed


def test_prefetched_resources_of_another_patient_are_left_out(client: TestClient) -> None:
    bundle = example("esophageal_scc_cn3_eligible")
    patient_id = patient_of(bundle)["id"]
    prefetch = prefetch_of(bundle)
    alone = same_cards(client.post(HOOK_URL, json=hook_call(patient_id, prefetch)).json())
    # Another patient's stage IV rectal cancer, slipped into the conditions search.
    foreign = example("rectal_stage_iv_liver_metastases")
    prefetch["conditions"]["entry"] += prefetch_of(foreign)["conditions"]["entry"]
    mixed = same_cards(client.post(HOOK_URL, json=hook_call(patient_id, prefetch)).json())
    assert mixed == alone


def test_another_hook_is_refused(client: TestClient) -> None:
    bundle = example("rectal_early_low_eligible")
    call = {**hook_call("rectal-early-low", prefetch_of(bundle)), "hook": "order-select"}
    response = client.post(HOOK_URL, json=call)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "cds.wrong_hook"


def test_every_call_writes_an_audit_row(tmp_path: Path) -> None:
    bundle = example("rectal_missing_staging_and_performance")
    patient_id = patient_of(bundle)["id"]
    with service(tmp_path) as client:
        ok = client.post(HOOK_URL, json=hook_call(patient_id, prefetch_of(bundle)))
        refused = client.post(HOOK_URL, json=hook_call(patient_id, {}))
        rows = audit_rows(client, f"Patient/{patient_id}")
    assert ok.status_code == 200 and refused.status_code == 412
    assert [(r.status, r.outcome) for r in rows] == [
        (412, "cds.prefetch_unavailable"),
        (200, "ok"),
    ]
    assert {r.route for r in rows} == {HOOK_URL}
    assert rows[1].trials_returned == len(ok.json()["cards"])
    assert rows[1].auth_method == "loopback"
