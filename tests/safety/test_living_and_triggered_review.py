"""The living only; a review raised by a recorded fact caps the trial (FHIR in, verdict out)."""

from __future__ import annotations

import pytest

from app.eligibility.logic import Finding, Truth, all_of, any_of, negate
from tests.safety.harness import add, criterion, example, match_bundle, the_patient

ELIGIBLE = "rectal_early_low_eligible"  # eligible for NCT06949098


@pytest.mark.parametrize(
    "death",
    [{"deceasedBoolean": True}, {"deceasedDateTime": "2026-10-02"}],
    ids=["deceasedBoolean", "deceasedDateTime"],
)
def test_a_deceased_patient_is_ineligible_for_every_trial(death: dict[str, object]) -> None:
    bundle = example(ELIGIBLE)
    the_patient(bundle).update(death)
    matches = match_bundle(bundle)
    assert matches, "the library has trials"
    for match in matches.values():
        assert match.status == "ineligible"
        assert [c.id for c in match.criteria] == ["patient-alive"]
        assert match.criteria[0].outcome == "fail"
        assert match.criteria[0].evidence == [f"Patient/{the_patient(bundle)['id']}"]


def test_deceased_false_or_death_after_the_evaluation_date_changes_nothing() -> None:
    alive = match_bundle(example(ELIGIBLE))
    for death in ({"deceasedBoolean": False}, {"deceasedDateTime": "2027-03-01"}):
        bundle = example(ELIGIBLE)
        the_patient(bundle).update(death)
        assert {k: m.status for k, m in match_bundle(bundle).items()} == {
            k: m.status for k, m in alive.items()
        }


def test_the_example_is_eligible_before_the_change() -> None:
    # Guards the tests below: they start from an eligible patient.
    assert match_bundle(example(ELIGIBLE))["NCT06949098"].status == "eligible"


def test_a_judgement_standing_alone_is_a_routine_review() -> None:
    found = Finding.review("Has the patient consented?")
    assert found.review_only and found.triggered_by == ()


def test_a_judgement_raised_by_a_recorded_fact_is_triggered() -> None:
    hbv = Finding.true("hepatitis B recorded", evidence=["Condition/hbv"])
    question = Finding.review("Is it replicating?")
    found = all_of([hbv, question])
    assert found.truth is Truth.UNKNOWN
    assert found.triggered_by == ("Condition/hbv",)
    assert "hepatitis B recorded" in found.reason
    # Negation (an exclusion) and a disjunction keep the trigger.
    assert negate(found).triggered_by == ("Condition/hbv",)
    assert any_of([Finding.false("no"), found]).triggered_by == ("Condition/hbv",)


def test_a_judgement_beside_missing_data_is_not_triggered() -> None:
    hbv = Finding.true("hepatitis B recorded", evidence=["Condition/hbv"])
    no_lab = Finding.unknown("no HBV DNA", missing=["HBV DNA"])
    found = all_of([hbv, no_lab, Finding.review("Is it replicating?")])
    assert found.triggered_by == ()
    assert not found.review_only


def test_a_true_part_without_recorded_evidence_triggers_nothing() -> None:
    # "No other malignancy recorded" is true by assumption, not by a recorded fact.
    assumed = Finding.true("no record", assumptions=["no recorded diagnosis counts as absent"])
    assert all_of([assumed, Finding.review("Is it cured?")]).triggered_by == ()


ESOPHAGEAL = "esophageal_scc_cn3_eligible"  # eligible for NCT06122493


def _condition(cid: str, system: str, code: str, display: str) -> dict[str, object]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": system, "code": code, "display": display}]},
        "onsetDateTime": "2019-03-14",
    }


@pytest.mark.parametrize(
    ("condition", "criterion_id"),
    [
        (
            _condition("hbv", "http://hl7.org/fhir/sid/icd-10-cm", "B18.1", "Chronic hepatitis B"),
            "exc-5.d",
        ),
        (
            _condition("breast", "http://hl7.org/fhir/sid/icd-10-cm", "C50.911", "Breast cancer"),
            "exc-1",
        ),
    ],
    ids=["hepatitis-b-replication-unknown", "second-cancer-control-unknown"],
)
def test_a_recorded_fact_that_raises_a_review_caps_the_trial(
    condition: dict[str, object], criterion_id: str
) -> None:
    assert match_bundle(example(ESOPHAGEAL))["NCT06122493"].status == "eligible"
    match = match_bundle(add(example(ESOPHAGEAL), condition))["NCT06122493"]
    verdict = criterion(match, criterion_id)
    assert (verdict.outcome, verdict.needs) == ("unknown", "review")
    assert verdict.triggered_by == [f"Condition/{condition['id']}"]
    assert match.status == "possibly_eligible"
    assert criterion_id in match.review and criterion_id not in match.missing


def test_routine_reviews_alone_leave_the_trial_eligible() -> None:
    match = match_bundle(example(ESOPHAGEAL))["NCT06122493"]
    assert match.review  # consent, life expectancy, ...
    assert all(criterion(match, r).triggered_by == [] for r in match.review)
