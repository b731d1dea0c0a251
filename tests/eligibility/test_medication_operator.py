"""The medication operator, from a FHIR Bundle to a criterion's verdict."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from app.eligibility.evaluate import evaluate_trial
from app.eligibility.language import MedicationRule, Trial
from app.eligibility.library import Library
from app.matching.models import CriterionVerdict
from tests.factories import AS_OF, concept, facts_of

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"

NO_PRIOR_PD1 = {"id": "exc-1", "type": "exclusion", "text": "Prior anti-PD-1 or anti-PD-L1 therapy",
                "rule": {"op": "medication", "classes": ["anti_pd1_pdl1"]}}  # fmt: skip
CHEMO_WASHOUT = {"id": "inc-1", "type": "inclusion",
                 "text": "At least 4 weeks since the last chemotherapy",
                 "rule": {"op": "medication", "classes": ["chemotherapy"],
                          "ended_at_least_days_ago": 28}}  # fmt: skip
NO_SYSTEMIC = {"id": "exc-2", "type": "exclusion", "text": "Prior systemic therapy",
               "rule": {"op": "medication", "classes": ["systemic_therapy"]}}  # fmt: skip
RECENT_STEROIDS = {"id": "exc-3", "type": "exclusion",
                   "text": "Systemic corticosteroids within 14 days",
                   "rule": {"op": "medication", "classes": ["systemic_corticosteroid"],
                            "within_days": 14}}  # fmt: skip


def verdict(criterion: dict[str, Any], *resources: dict[str, Any]) -> CriterionVerdict:
    trial = Trial.model_validate(
        {"nct_id": "NCT00000001", "title": "t", "conditions": [], "status": "RECRUITING",
         "criteria": [criterion]}
    )  # fmt: skip
    compiled = Library.from_trials([trial]).trials[trial.nct_id]
    return evaluate_trial(compiled, facts_of(*resources)).verdicts[-1]


def given(rid: str, drug: dict[str, Any], day: date | str, status: str = "completed") -> dict:
    return {"resourceType": "MedicationAdministration", "id": rid, "status": status,
            "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": drug,
            "effectiveDateTime": str(day)}  # fmt: skip


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


OXALIPLATIN = concept(RXNORM, "32592")
PEMBROLIZUMAB = concept(RXNORM, "1547545")


def test_prior_anti_pd1_fails_the_exclusion() -> None:
    v = verdict(NO_PRIOR_PD1, given("a1", PEMBROLIZUMAB, "2025-03-01"))
    assert v.outcome == "fail"
    assert v.evidence == ["MedicationAdministration/a1"]


def test_a_brand_name_in_text_fails_it_too() -> None:
    v = verdict(NO_PRIOR_PD1, given("a1", {"text": "Opdivo 240 mg"}, "2025-03-01"))
    assert v.outcome == "fail"


def test_nothing_recorded_passes_with_the_assumption_stated() -> None:
    v = verdict(NO_PRIOR_PD1)
    assert (v.outcome, v.needs) == ("pass", None)
    assert v.assumptions == ["no recorded medication counts as none"]


def test_only_other_classes_recorded_passes_with_the_assumption() -> None:
    v = verdict(NO_PRIOR_PD1, given("a1", OXALIPLATIN, "2026-01-05"))
    assert v.outcome == "pass"
    assert v.assumptions == ["no recorded medication counts as none"]


def test_an_unclassified_drug_only_is_for_review_raised_by_that_record() -> None:
    v = verdict(NO_PRIOR_PD1, given("a1", {"text": "Drug Q infusion"}, "2026-01-05"))
    assert (v.outcome, v.needs) == ("unknown", "review")
    assert v.triggered_by == ["MedicationAdministration/a1"]
    assert v.missing_data == []


def test_a_recorded_hit_decides_even_beside_an_unclassified_drug() -> None:
    v = verdict(
        NO_PRIOR_PD1,
        given("a1", {"text": "Drug Q infusion"}, "2026-01-05"),
        given("a2", PEMBROLIZUMAB, "2026-02-01"),
    )
    assert v.outcome == "fail"


def test_a_coarse_class_is_for_review_not_a_pass() -> None:
    # ATC L01F: some monoclonal antibody; it may or may not be anti-PD-1.
    v = verdict(NO_PRIOR_PD1, given("a1", concept(ATC, "L01FX99"), "2026-01-05"))
    assert (v.outcome, v.needs) == ("unknown", "review")


def test_a_parent_class_covers_its_children() -> None:
    v = verdict(NO_SYSTEMIC, given("a1", concept(ATC, "L01BC06"), "2024-06-01"))
    assert v.outcome == "fail"


def test_an_order_that_may_have_stopped_before_its_first_dose_is_for_review() -> None:
    stopped = {"resourceType": "MedicationRequest", "id": "r1", "status": "stopped",
               "intent": "order", "subject": {"reference": "Patient/p1"},
               "medicationCodeableConcept": PEMBROLIZUMAB, "authoredOn": "2026-01-05"}  # fmt: skip
    v = verdict(NO_PRIOR_PD1, stopped)
    assert (v.outcome, v.needs) == ("unknown", "review")


@pytest.mark.parametrize(
    ("ago", "outcome"), [(20, "fail"), (40, "pass"), (28, "pass"), (27, "fail")]
)
def test_chemotherapy_washout_of_28_days(ago: int, outcome: str) -> None:
    v = verdict(CHEMO_WASHOUT, given("a1", OXALIPLATIN, days_ago(ago)))
    assert v.outcome == outcome, v.reason
    assert v.evidence == ["MedicationAdministration/a1"]


def test_a_washout_failure_says_which_drug_ended_when() -> None:
    v = verdict(CHEMO_WASHOUT, given("a1", OXALIPLATIN, "2026-11-02"))
    assert v.reason == "Oxaliplatin (platinum compound) ended 2026-11-02, less than 28 days ago."


def test_washout_with_no_chemotherapy_at_all_passes_with_the_assumption() -> None:
    v = verdict(CHEMO_WASHOUT)
    assert v.outcome == "pass"
    assert v.assumptions == ["no recorded medication counts as none"]


def test_washout_fails_while_chemotherapy_is_ongoing() -> None:
    ongoing = {"resourceType": "MedicationStatement", "id": "s1", "status": "active",
               "subject": {"reference": "Patient/p1"},
               "medicationCodeableConcept": {"text": "Xeloda"},
               "effectivePeriod": {"start": "2026-06-01"}}  # fmt: skip
    assert verdict(CHEMO_WASHOUT, ongoing).outcome == "fail"


def test_a_month_only_end_date_is_decided_only_when_the_whole_month_agrees() -> None:
    # As of 2026-11-22 the 28-day limit is 2026-10-25: October straddles it, August does not.
    def ended(month: str) -> dict[str, Any]:
        return {"resourceType": "MedicationStatement", "id": "s1", "status": "completed",
                "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": OXALIPLATIN,
                "effectivePeriod": {"start": "2026-05", "end": month}}  # fmt: skip

    straddles = verdict(CHEMO_WASHOUT, ended("2026-10"))
    assert (straddles.outcome, straddles.needs) == ("unknown", "data")
    assert straddles.missing_data == ["end date of oxaliplatin (platinum compound) to the day"]
    assert verdict(CHEMO_WASHOUT, ended("2026-08")).outcome == "pass"
    assert verdict(CHEMO_WASHOUT, ended("2026-11")).outcome == "fail"


def test_no_end_date_cannot_settle_a_window() -> None:
    started = {"resourceType": "MedicationStatement", "id": "s1", "status": "completed",
               "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": OXALIPLATIN,
               "effectivePeriod": {"start": "2026-01-10"}}  # fmt: skip
    v = verdict(CHEMO_WASHOUT, started)
    assert (v.outcome, v.needs) == ("unknown", "data")


def test_within_days_window_for_steroids() -> None:
    dex = concept(RXNORM, "3264")
    assert verdict(RECENT_STEROIDS, given("a1", dex, days_ago(3))).outcome == "fail"
    assert verdict(RECENT_STEROIDS, given("a1", dex, days_ago(60))).outcome == "pass"


def test_a_drug_given_after_the_evaluation_date_is_not_yet_exposure() -> None:
    v = verdict(NO_PRIOR_PD1, given("a1", PEMBROLIZUMAB, AS_OF + timedelta(days=3)))
    assert v.outcome == "pass"


def test_one_window_at_a_time() -> None:
    with pytest.raises(ValidationError):
        MedicationRule(op="medication", classes=["chemotherapy"], within_days=7, within_months=1)
