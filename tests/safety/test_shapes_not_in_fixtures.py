"""Record shapes a hospital sends that the other tests do not post (FHIR in, verdict out)."""

from __future__ import annotations

import copy
from typing import Any

from tests.safety.harness import add, criterion, example, match_bundle, resources


def _ecog_observation(bundle: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in resources(bundle, "Observation") if "89247-1" in str(r["code"]))


def test_two_ecog_observations_of_one_day_that_disagree_decide_nothing() -> None:
    # One ECOG recorded by the nurse as an integer, one by the physician as a LOINC answer.
    bundle = example("rectal_early_low_eligible")
    second = copy.deepcopy(_ecog_observation(bundle))
    second["id"] = "ecog-physician"
    del second["valueCodeableConcept"]
    second["valueInteger"] = 2
    bundle["entry"].append({"resource": second})
    match = match_bundle(bundle)["NCT06949098"]
    verdict = criterion(match, "inc-2")  # ECOG 0-1
    assert (verdict.outcome, verdict.needs) == ("unknown", "data")
    assert "Observation/ecog-physician" in verdict.evidence
    assert match.status == "possibly_eligible"


def test_an_infarction_with_only_an_onset_period_is_not_read_as_outside_the_window() -> None:
    # onsetPeriod (not onsetDateTime) carries no date trialmatch reads: the 6-month window
    # cannot be settled, so the exclusion is unknown, never a pass.
    bundle = add(
        example("esophageal_scc_cn3_eligible"),
        {
            "resourceType": "Condition",
            "id": "mi-period",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I21.4"}]},
            "onsetPeriod": {"start": "2026-09-01", "end": "2026-09-05"},
        },
    )
    match = match_bundle(bundle)["NCT06122493"]
    verdict = criterion(match, "exc-7.a")
    assert verdict.outcome == "unknown"
    assert "Condition/mi-period" in verdict.evidence
    assert match.status != "eligible"
