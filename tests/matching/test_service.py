"""match_facts over the seed library: selection, the condition index, ranking, warnings."""

from datetime import date

import pytest

from app.config import REPO_ROOT
from app.eligibility.examples import load_example_file
from app.eligibility.library import load_library
from app.errors import NotFound
from app.facts.model import PatientFacts
from app.matching.service import match_facts

CRITERIA = REPO_ROOT / "criteria"
LIBRARY = load_library(CRITERIA)


def example(nct: str, name: str) -> PatientFacts:
    file = load_example_file(CRITERIA / f"{nct}.examples.yaml")
    return next(e.patient for e in file.examples if e.name == name)


RECTAL = example("NCT06949098", "eligible_ct2n0m0_rectal_6cm")
ESCC = example("NCT06122493", "eligible_ct3n3m0_escc")


def test_rectal_patient_matches_the_rectal_trial_only() -> None:
    response = match_facts(RECTAL, LIBRARY)
    assert [(m.trial, m.status) for m in response.matches] == [
        ("NCT06949098", "eligible"),
        ("NCT06043999", "possibly_eligible"),
    ]
    assert response.patient == "Patient/ex"
    assert response.facts == RECTAL.facts
    first = response.matches[0]
    assert first.rank == 1
    assert first.unmet == []
    assert "inc-6" in first.review


def test_ineligible_trials_only_when_asked_and_screened_by_the_decisive_criterion() -> None:
    response = match_facts(RECTAL, LIBRARY, include_ineligible=True)
    assert [m.trial for m in response.matches][-1] == "NCT06122493"
    escc_trial = response.matches[-1]
    assert escc_trial.status == "ineligible"
    assert [c.id for c in escc_trial.criteria] == ["inc-1"]
    assert escc_trial.unmet == ["inc-1"]
    assert "esophagus" in escc_trial.criteria[0].reason
    assert any("not for this patient's cancer" in w for w in escc_trial.warnings)


def test_the_escc_trial_after_its_end_date_carries_a_warning() -> None:
    before = match_facts(ESCC.model_copy(update={"as_of": date(2026, 10, 30)}), LIBRARY)
    assert before.matches[0].warnings == []
    after = match_facts(ESCC, LIBRARY)
    assert after.matches[0].trial == "NCT06122493"
    assert "2026-11-01" in after.matches[0].warnings[0]


def test_a_patient_without_a_recorded_cancer_is_evaluated_against_every_trial() -> None:
    bare = PatientFacts(patient="Patient/x", as_of=date(2026, 11, 22))
    response = match_facts(bare, LIBRARY, include_ineligible=True)
    assert {m.trial for m in response.matches} == set(LIBRARY.trials)
    assert all(m.status == "possibly_eligible" for m in response.matches)
    assert all(len(m.criteria) > 1 for m in response.matches)


def test_trial_filter_limit_and_unknown_trial() -> None:
    only = match_facts(RECTAL, LIBRARY, trials=["NCT06043999"])
    assert [m.trial for m in only.matches] == ["NCT06043999"]
    assert len(match_facts(RECTAL, LIBRARY, limit=1).matches) == 1
    with pytest.raises(NotFound) as caught:
        match_facts(RECTAL, LIBRARY, trials=["NCT99999999"])
    assert caught.value.details[0].type == "trial.not_found"


def test_closed_trials_are_left_out_unless_asked() -> None:
    from app.eligibility.library import Library

    closed = LIBRARY.trials["NCT06949098"].trial.model_copy(update={"status": "COMPLETED"})
    others = [t.trial for n, t in LIBRARY.trials.items() if n != "NCT06949098"]
    library = Library.from_trials([closed, *others])
    assert "NCT06949098" not in [m.trial for m in match_facts(RECTAL, library).matches]
    with_closed = match_facts(RECTAL, library, include_closed=True)
    match = next(m for m in with_closed.matches if m.trial == "NCT06949098")
    assert match.recruitment_status == "COMPLETED"
    assert any("not recruiting" in w for w in match.warnings)


def test_a_failing_trial_is_never_reported_eligible() -> None:
    failing = example("NCT06949098", "fails_stage_iv_liver_metastasis")
    response = match_facts(failing, LIBRARY, include_ineligible=True)
    match = next(m for m in response.matches if m.trial == "NCT06949098")
    assert match.status == "ineligible"
    assert match.unmet == ["inc-5"]
    assert match.criteria[4].evidence == ["Condition/liver-met-1"]
    assert "NCT06949098" not in [m.trial for m in match_facts(failing, LIBRARY).matches]


def test_response_serializes() -> None:
    body = match_facts(RECTAL, LIBRARY).model_dump(mode="json")
    assert body["matches"][0]["criteria"][0]["outcome"] == "pass"
    assert 0.0 <= body["matches"][0]["score"] <= 1.0
