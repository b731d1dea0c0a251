"""Loading, validating and indexing the trial library."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import REPO_ROOT
from app.eligibility.language import Criterion, LabRule, Trial
from app.eligibility.library import Library, load_library, load_trial_file
from app.eligibility.trial_file import TrialFileError

CRITERIA = REPO_ROOT / "criteria"

GOOD = """\
nct_id: NCT00000001
title: A test trial
conditions: [Rectal Cancer]
status: RECRUITING
applies_to: {cancer_sites: [rectum], criterion: inc-1}
criteria:
  - id: inc-1
    type: inclusion
    text: Rectal cancer
    rule: {op: primary_cancer, sites: [rectum]}
  - id: inc-2
    type: inclusion
    text: Hemoglobin at least 10 g/dL
    rule:
      op: lab
      analyte: hemoglobin
      unit: g/dL
      gte: 10
"""


def write(tmp_path: Path, text: str, name: str = "NCT00000001.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_seed_library_loads_and_is_indexed_by_cancer_site() -> None:
    library = load_library(CRITERIA)
    assert sorted(library.trials) == ["NCT06043999", "NCT06122493", "NCT06949098"]
    assert library.applicable_ids({"rectum"}) == {"NCT06043999", "NCT06949098"}
    assert library.applicable_ids({"esophagus"}) == {"NCT06122493"}
    assert library.applicable_ids({"colon"}) == set()
    assert library.applicable_ids(None) == set(library.trials)


def test_seed_metadata_from_the_registry() -> None:
    library = load_library(CRITERIA)
    nct06949098 = library.trials["NCT06949098"].trial
    assert (nct06949098.minimum_age, nct06949098.maximum_age) == (18, 75)
    assert str(library.trials["NCT06122493"].trial.end_date) == "2026-11-01"
    assert library.trials["NCT06122493"].trial.sponsor == "Ruijin Hospital"


def test_every_seed_criterion_keeps_its_text_and_a_rule_or_review() -> None:
    for compiled in load_library(CRITERIA).trials.values():
        for c in compiled.trial.criteria:
            assert c.text.strip()
            assert (c.rule is None) == c.review


def test_a_good_file_loads(tmp_path: Path) -> None:
    trial = load_trial_file(write(tmp_path, GOOD))
    assert trial.criteria[1].rule is not None


def test_a_wrong_value_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("gte: 10", "gte: lots"))
    with pytest.raises(TrialFileError) as caught:
        load_trial_file(path)
    (problem,) = caught.value.problems
    assert problem.path == path
    assert problem.line == 18
    assert problem.where.startswith("criteria.1.rule")
    assert str(problem).startswith(f"{path}:18: ")


def test_an_unknown_operator_is_reported_at_its_rule(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("op: primary_cancer", "op: cancer_ish"))
    with pytest.raises(TrialFileError) as caught:
        load_trial_file(path)
    assert [p.line for p in caught.value.problems] == [10]


def test_a_unit_that_cannot_be_converted_is_a_validation_error(tmp_path: Path) -> None:
    # U/L is an enzyme activity: no factor takes hemoglobin there (mmol/L would: molar mass).
    path = write(tmp_path, GOOD.replace("unit: g/dL", "unit: U/L"))
    with pytest.raises(TrialFileError) as caught:
        load_trial_file(path)
    (problem,) = caught.value.problems
    assert problem.line == 11
    assert "U/L" in problem.message


def test_ids_must_be_unique_and_in_protocol_order(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("id: inc-2", "id: inc-1"))
    with pytest.raises(TrialFileError) as caught:
        load_trial_file(path)
    messages = [p.message for p in caught.value.problems]
    assert "Criterion id inc-1 is used twice in this trial." in messages


def test_applies_to_must_name_a_criterion(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("criterion: inc-1}", "criterion: inc-9}"))
    with pytest.raises(TrialFileError) as caught:
        load_trial_file(path)
    assert caught.value.problems[0].where == "applies_to.criterion"


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("title: A test trial", "title: [unclosed"))
    with pytest.raises(TrialFileError) as caught:
        load_trial_file(path)
    assert caught.value.problems[0].line is not None


def test_the_file_name_must_match_the_nct_id(tmp_path: Path) -> None:
    with pytest.raises(TrialFileError):
        load_trial_file(write(tmp_path, GOOD, name="NCT00000002.yaml"))


def test_all_problems_of_all_files_are_raised_together(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("gte: 10", "gte: x"))
    write(tmp_path, GOOD.replace("NCT00000001", "NCT00000002").replace("op: lab", "op: lob"),
          name="NCT00000002.yaml")  # fmt: skip
    with pytest.raises(TrialFileError) as caught:
        load_library(tmp_path)
    assert {Path(p.path).name for p in caught.value.problems} == {
        "NCT00000001.yaml",
        "NCT00000002.yaml",
    }


@pytest.mark.parametrize(
    "data",
    [
        {"id": "inc-1", "type": "inclusion", "text": "x", "review": True,
         "rule": {"op": "pregnant"}},
        {"id": "inc-1", "type": "inclusion", "text": "x"},
        {"id": "exc-1", "type": "inclusion", "text": "x", "rule": {"op": "pregnant"}},
        {"id": "inc-1", "type": "inclusion", "text": "x", "rule": {"op": "age"}},
        {"id": "inc-1", "type": "inclusion", "text": "x",
         "rule": {"op": "age", "gte": 18, "gt": 17}},
        {"id": "inc-1", "type": "inclusion", "text": "x", "rule": {"op": "all", "of": []}},
        {"id": "inc-1", "type": "inclusion", "text": "x", "rule": {"op": "pregnant", "x": 1}},
        {"id": "inc-1x", "type": "inclusion", "text": "x", "rule": {"op": "pregnant"}},
    ],
)  # fmt: skip
def test_malformed_criteria_are_rejected(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Criterion.model_validate(data)


def test_a_library_refuses_the_same_trial_twice() -> None:
    trial = Trial.model_validate(
        {"nct_id": "NCT00000001", "title": "t", "conditions": [], "status": "RECRUITING",
         "criteria": []}
    )  # fmt: skip
    with pytest.raises(ValueError, match="twice"):
        Library.from_trials([trial, trial])


def test_a_trial_that_does_not_compile_is_quarantined_alone() -> None:
    # A trial stored before the validator refused its unit must not stop the others.
    good = load_library(REPO_ROOT / "criteria").trials["NCT06949098"].trial
    bad = good.model_copy(
        update={
            "nct_id": "NCT00000009",
            "criteria": [
                c.model_copy(
                    update={"rule": LabRule(op="lab", analyte="hemoglobin", unit="U/L", gte=1)}
                )
                if c.id == "inc-2"
                else c
                for c in good.criteria
            ],
        }
    )
    library = Library.from_trials([good, bad])
    assert list(library.trials) == ["NCT06949098"]
    assert set(library.quarantined) == {"NCT00000009"}
