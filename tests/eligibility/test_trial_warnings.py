"""A trial with no cancer-site criterion and no applies_to matches every patient: a warning."""

from __future__ import annotations

from typing import Any

import pytest

from app.config import REPO_ROOT
from app.eligibility.language import Trial
from app.eligibility.library import load_library
from app.eligibility.trial_warnings import NO_CANCER_SITE, trial_warnings


def trial(*rules: dict[str, Any], applies_to: dict[str, Any] | None = None) -> Trial:
    criteria = [
        {"id": f"inc-{i}", "type": "inclusion", "text": "t", "rule": rule}
        for i, rule in enumerate(rules, start=1)
    ]
    data = {"nct_id": "NCT00000001", "title": "t", "conditions": [], "status": "RECRUITING",
            "criteria": criteria, "applies_to": applies_to}  # fmt: skip
    return Trial.model_validate(data)


SITE = {"op": "primary_cancer", "sites": ["rectum"]}
AGE = {"op": "age", "gte": 18}


@pytest.mark.parametrize(
    "rules",
    [
        [SITE],
        [AGE, {"op": "any", "of": [AGE, {"op": "all", "of": [SITE, AGE]}]}],
        [{"op": "not", "rule": SITE}],  # a site named anywhere, even excluded
    ],
)
def test_a_site_rule_at_any_depth_means_no_warning(rules: list[dict[str, Any]]) -> None:
    assert trial_warnings(trial(*rules)) == []


@pytest.mark.parametrize(
    "rules",
    [
        [AGE],
        [{"op": "primary_cancer", "histologies": ["adenocarcinoma"]}],  # no sites named
        [{"op": "other_malignancy", "index_sites": ["rectum"]}],
    ],
)
def test_no_site_rule_and_no_applies_to_is_a_warning(rules: list[dict[str, Any]]) -> None:
    [warning] = trial_warnings(trial(*rules))
    assert warning.type == NO_CANCER_SITE
    assert str(warning).endswith("matches every patient")


def test_applies_to_is_enough() -> None:
    indexed = trial(AGE, applies_to={"cancer_sites": ["rectum"], "criterion": "inc-1"})
    assert trial_warnings(indexed) == []


def test_the_seed_library_has_no_warning() -> None:
    library = load_library(REPO_ROOT / "criteria")
    assert [w for t in library.trials.values() for w in trial_warnings(t.trial)] == []
