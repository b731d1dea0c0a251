"""Criterion outcomes, trial status, and the safety rules of evaluation."""

from datetime import date

import pytest
from pydantic import ValidationError

from app.config import REPO_ROOT
from app.eligibility.evaluate import REGISTRY_AGE_ID, evaluate_trial, trial_status
from app.eligibility.examples import run_examples
from app.eligibility.language import Trial
from app.eligibility.library import Library, load_library
from app.matching.models import CriterionVerdict
from tests.eligibility.factories import age, condition, ecog, lab, patient

CRITERIA = REPO_ROOT / "criteria"


def trial(*criteria: dict[str, object], **extra: object) -> Trial:
    return Trial.model_validate(
        {"nct_id": "NCT00000001", "title": "t", "conditions": [], "status": "RECRUITING",
         "criteria": list(criteria), **extra}
    )  # fmt: skip


def compiled(t: Trial):  # type: ignore[no-untyped-def]
    return Library.from_trials([t]).trials[t.nct_id]


HIV = {"id": "exc-1", "type": "exclusion", "text": "HIV-positive",
       "rule": {"op": "condition", "categories": ["hiv"]}}  # fmt: skip
HB = {"id": "inc-1", "type": "inclusion", "text": "Hb >= 100 g/L",
      "rule": {"op": "lab", "analyte": "hemoglobin", "unit": "g/L", "gte": 100}}  # fmt: skip
CONSENT = {"id": "inc-2", "type": "inclusion", "text": "Consent", "review": True}


def test_exclusion_passes_when_its_condition_is_false_and_fails_when_true() -> None:
    t = compiled(trial(HIV))
    absent = evaluate_trial(t, patient()).verdicts[0]
    assert (absent.outcome, absent.needs) == ("pass", None)
    assert absent.reason == "No record of HIV infection."
    assert absent.assumptions == ["no recorded diagnosis counts as absent"]
    present = evaluate_trial(t, patient(condition("hiv"))).verdicts[0]
    assert present.outcome == "fail"
    assert present.evidence == ["Condition/hiv"]


def test_missing_lab_is_unknown_for_data_and_never_eligible() -> None:
    verdict = evaluate_trial(compiled(trial(HB)), patient(ecog(0)))
    (hb,) = verdict.verdicts
    assert (hb.outcome, hb.needs) == ("unknown", "data")
    assert verdict.status == "possibly_eligible"
    assert verdict.missing == ["inc-1"]
    assert hb.missing_data == ["hemoglobin result"]


def test_review_criteria_are_listed_never_counted() -> None:
    verdict = evaluate_trial(compiled(trial(HB, CONSENT)), patient(lab("hemoglobin", 120, "g/L")))
    assert verdict.status == "eligible"
    assert verdict.review == ["inc-2"]
    consent = verdict.verdicts[1]
    assert (consent.outcome, consent.needs) == ("unknown", "review")


def test_a_review_only_verdict_is_built_once_and_cannot_be_changed() -> None:
    t = compiled(trial(HB, CONSENT))
    first = evaluate_trial(t, patient()).verdicts[1]
    again = evaluate_trial(t, patient(condition("hiv"), ecog(0))).verdicts[1]
    assert first is again  # the one verdict built when the trial was compiled
    assert (first.outcome, first.needs, first.id) == ("unknown", "review", "inc-2")
    assert not (first.evidence or first.assumptions or first.missing_data or first.triggered_by)
    with pytest.raises(ValidationError, match="frozen"):
        first.outcome = "pass"  # type: ignore[misc]
    assert evaluate_trial(t, patient()).verdicts[1].outcome == "unknown"


def test_a_failing_criterion_makes_the_trial_ineligible_whatever_else() -> None:
    verdict = evaluate_trial(compiled(trial(HB, CONSENT, HIV)), patient(condition("hiv")))
    assert verdict.status == "ineligible"
    assert verdict.unmet == ["exc-1"]
    assert verdict.missing == ["inc-1"]


def test_status_rule() -> None:
    def v(outcome: str, needs: str | None = None) -> CriterionVerdict:
        return CriterionVerdict(id="inc-1", type="inclusion", text="x", outcome=outcome,  # type: ignore[arg-type]
                                needs=needs, reason="r")  # type: ignore[arg-type]  # fmt: skip

    assert trial_status([v("pass"), v("unknown", "review")]) == "eligible"
    assert trial_status([v("pass"), v("unknown", "data")]) == "possibly_eligible"
    assert trial_status([v("unknown", "data"), v("fail")]) == "ineligible"
    raised = v("unknown", "review").model_copy(update={"triggered_by": ["Condition/hbv"]})
    assert trial_status([v("pass"), raised]) == "possibly_eligible"
    assert trial_status([raised, v("fail")]) == "ineligible"


def test_registry_age_is_checked_as_its_own_criterion() -> None:
    t = compiled(trial(HB, minimum_age=18, maximum_age=75))
    ids = [c.criterion.id for c in t.criteria]
    assert ids[-1] == REGISTRY_AGE_ID
    old = evaluate_trial(t, patient(age(80), lab("hemoglobin", 120, "g/L")))
    assert old.unmet == [REGISTRY_AGE_ID]
    assert old.verdicts[-1].text == "Registry age limits: 18 to 75 years"


def test_safety_over_every_worked_example() -> None:
    """No example is eligible with a failing or data-missing criterion."""
    for r in run_examples(CRITERIA, load_library(CRITERIA)):
        outcomes = [(v.outcome, v.needs) for v in r.verdict.verdicts]
        if r.verdict.status == "eligible":
            assert all(o == "pass" or n == "review" for o, n in outcomes), r.example.name
        if ("fail", None) in outcomes:
            assert r.verdict.status == "ineligible", r.example.name
        for v in r.verdict.verdicts:
            assert v.reason, (r.example.name, v.id)


def test_removing_a_deciding_lab_never_turns_a_pass_into_a_pass_by_default() -> None:
    """Drop each lab in turn from an eligible patient: the trial stops being eligible."""
    library = load_library(CRITERIA)
    nct = "NCT06122493"
    eligible = next(
        r for r in run_examples(CRITERIA, library)
        if r.trial == nct and r.example.name == "eligible_ct3n3m0_escc"
    )  # fmt: skip
    facts = eligible.example.patient
    from app.facts.model import LabFact

    for dropped in [f for f in facts.facts if isinstance(f, LabFact)]:
        fewer = facts.model_copy(update={"facts": [f for f in facts.facts if f is not dropped]})
        verdict = evaluate_trial(library.trials[nct], fewer)
        assert verdict.status == "possibly_eligible", dropped.analyte
        assert verdict.missing, dropped.analyte
        assert date(2026, 11, 22) == fewer.as_of
