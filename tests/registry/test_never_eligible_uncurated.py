"""The rule that keeps imports safe: a trial with any criterion that is not curated is never
`eligible`, at the FHIR level (a Bundle in, the match out) and in `trial_status` itself."""

from __future__ import annotations

from app.eligibility.evaluate import trial_status
from app.eligibility.language import Trial
from app.eligibility.library import Library
from app.eligibility.verdict import CriterionVerdict
from app.fhir.bundle import read_bundle
from app.matching.models import TrialMatch
from app.matching.service import MatchOptions, match_record
from app.registry.draft import draft_trial
from app.registry.record import RecordError
from app.registry.sources import read_records
from tests.factories import LOINC, SNOMED
from tests.registry.conftest import CTGOV
from tests.scenarios.charts import BREAST, Chart, coding
from tests.scenarios.patients import AS_OF


def imported_breast_trial() -> Trial:
    """NCT03377387 (female, metastatic HER2+ breast cancer) as `trials import` drafts it."""
    (record,) = read_records(CTGOV / "NCT03377387.json")
    assert not isinstance(record, RecordError)
    return draft_trial(record).trial


def woman_with_breast_cancer(gender: str = "female") -> Chart:
    chart = Chart("breast-cancer-adult", gender=gender, birth_date="1970-04-02")
    chart.primary_cancer(BREAST, "Breast cancer", onset="2026-03-10")
    return chart


def match(trial: Trial, chart: Chart) -> TrialMatch:
    options = MatchOptions(as_of=AS_OF, include_ineligible=True, include_closed=True)
    response = match_record(read_bundle(chart.bundle()), Library.from_trials([trial]), options)
    (found,) = response.matches
    return found


def test_an_imported_trial_is_at_most_possibly_eligible_for_a_patient_it_fits() -> None:
    found = match(imported_breast_trial(), woman_with_breast_cancer())

    assert found.status == "possibly_eligible"
    by_id = {c.id: c for c in found.criteria}
    # The suggested criteria read from the registry's fields pass, and say how they are encoded.
    assert by_id["inc-0.a"].outcome == "pass" and by_id["inc-0.a"].encoding == "suggested"
    assert by_id["inc-0.b"].outcome == "pass" and by_id["inc-0.b"].encoding == "suggested"
    assert "A suggested reading, not yet accepted by a person." in by_id["inc-0.b"].reason
    # Text criteria are review-only, never decided.
    text = [c for c in found.criteria if c.encoding == "text"]
    assert text and all(c.outcome == "unknown" and c.needs == "review" for c in text)
    assert by_id["registry-age"].encoding == "curated"


def fit_woman_with_breast_cancer() -> Chart:
    """One whose record settles every suggested criterion of NCT03377387: ECOG 0, a blood
    count within its limits, not pregnant and not breastfeeding (LOINC 82810-3 with SNOMED
    60001007; LOINC 63895-7 with LA29253-4), all recorded days before AS_OF."""
    chart = woman_with_breast_cancer()
    when = "2026-11-20"
    chart.ecog(0, when)
    chart.normal_labs(when)
    chart.lab("751-8", 4.1, "10*3/uL", when)  # neutrophils
    chart.observation(
        coding(LOINC, "82810-3"),
        when,
        category="social-history",
        valueCodeableConcept={"coding": [coding(SNOMED, "60001007")]},
    )
    chart.observation(
        coding(LOINC, "63895-7"),
        when,
        category="social-history",
        valueCodeableConcept={"coding": [coding(LOINC, "LA29253-4")]},
    )
    return chart


def test_only_suggested_criteria_still_not_eligible_and_all_curated_is() -> None:
    trial = imported_breast_trial()
    suggested_only = trial.model_copy(
        update={"criteria": [c for c in trial.criteria if c.encoding == "suggested"]}
    )
    assert match(suggested_only, fit_woman_with_breast_cancer()).status == "possibly_eligible"

    accepted = suggested_only.model_copy(
        update={
            "criteria": [
                c.model_copy(update={"encoding": "curated"}) for c in suggested_only.criteria
            ]
        }
    )
    assert match(accepted, fit_woman_with_breast_cancer()).status == "eligible"


def test_a_suggested_rule_that_fails_makes_the_trial_ineligible() -> None:
    found = match(imported_breast_trial(), woman_with_breast_cancer(gender="male"))
    assert found.status == "ineligible"
    assert "inc-0.b" in found.unmet


def verdict(outcome: str, encoding: str, needs: str | None = None) -> CriterionVerdict:
    return CriterionVerdict.model_validate(
        {
            "id": "inc-1",
            "type": "inclusion",
            "text": "t",
            "outcome": outcome,
            "needs": needs,
            "reason": "r",
            "encoding": encoding,
        }
    )


def test_trial_status_rule() -> None:
    assert trial_status([verdict("pass", "curated")]) == "eligible"
    assert trial_status([verdict("pass", "curated"), verdict("pass", "suggested")]) == (
        "possibly_eligible"
    )
    assert trial_status([verdict("pass", "curated"), verdict("unknown", "text", "review")]) == (
        "possibly_eligible"
    )
    assert trial_status([verdict("fail", "suggested"), verdict("unknown", "text", "review")]) == (
        "ineligible"
    )
