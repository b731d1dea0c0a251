"""Every worked example of every trial in criteria/, and what the examples must cover."""

from collections import Counter

import pytest

from app.config import REPO_ROOT
from app.eligibility.examples import ExampleResult, example_files, load_example_file, run_examples
from app.eligibility.library import load_library

CRITERIA = REPO_ROOT / "criteria"
LIBRARY = load_library(CRITERIA)
RESULTS = run_examples(CRITERIA, LIBRARY)


@pytest.mark.parametrize("result", RESULTS, ids=[f"{r.trial}:{r.example.name}" for r in RESULTS])
def test_worked_example(result: ExampleResult) -> None:
    assert result.mismatches == []


def test_every_trial_has_examples_of_each_status() -> None:
    assert {f.name.split(".")[0] for f in example_files(CRITERIA)} == set(LIBRARY.trials)
    for nct in LIBRARY.trials:
        statuses = Counter(r.verdict.status for r in RESULTS if r.trial == nct)
        assert statuses["eligible"] >= 1, nct
        assert statuses["possibly_eligible"] >= 1, nct
        assert statuses["ineligible"] >= 2, nct


def test_failing_examples_fail_on_different_criteria() -> None:
    for nct in LIBRARY.trials:
        failed = {tuple(r.verdict.unmet) for r in RESULTS if r.trial == nct and r.verdict.unmet}
        assert len(failed) >= 3, nct


def test_examples_list_every_criterion() -> None:
    for path in example_files(CRITERIA):
        file = load_example_file(path)
        ids = {c.criterion.id for c in LIBRARY.trials[file.trial].criteria}
        for example in file.examples:
            assert set(example.criteria) == ids, example.name


def test_a_wrong_expectation_is_caught() -> None:
    result = RESULTS[0]
    wrong = result.example.model_copy(
        update={"criteria": {**result.example.criteria, "inc-1": "fail"}, "status": "ineligible"}
    )
    from app.eligibility.examples import run_example

    rerun = run_example(LIBRARY.trials[result.trial], wrong)
    assert "inc-1: expected fail, got pass" in rerun.mismatches
    assert any(m.startswith("status:") for m in rerun.mismatches)
