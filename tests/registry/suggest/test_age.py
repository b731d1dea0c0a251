"""The age family of the suggestion reader, on texts of the shared registry records."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.registry.draft import draft_trial
from app.registry.record import RecordError
from app.registry.sources import read_records
from app.registry.suggest import suggest
from app.registry.suggest.reading import Context
from tests.registry.conftest import short_breast_record

INCLUSION = Context("inclusion")


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("Aged \u226518 years at signing of informed consent.", {"gte": 18}),
        ("18 years of age or older", {"gte": 18}),
        ("Aged > 18 years", {"gt": 18}),
        ("Age of 18-75 years", {"gte": 18, "lte": 75}),
        ("Age: 18-70 years of age.", {"gte": 18, "lte": 70}),
        ("Patients aged between 18 and 75 years", {"gte": 18, "lte": 75}),
        ("45 years of age or older", {"gte": 45}),
        ("Age =< 70 years", {"lte": 70}),
    ],
)
def test_age_texts_are_read(text: str, bounds: dict[str, float]) -> None:
    found = suggest(text, INCLUSION)
    assert found is not None and found.family == "age"
    assert found.rule.model_dump(exclude_none=True) == {"op": "age", **bounds}


@pytest.mark.parametrize(
    "text",
    [
        "Age \u226518 years, regardless of gender",  # a word the reader does not hold
        "Female patients aged >= 18 years",  # narrows who: a sex the rule would drop
        "Age >= 18 years and ECOG 0-1",  # two conditions
        "Age >= 18 years unless approved by the sponsor",  # hedged
        "Age >= 12 years (or >= 18 in Germany)",
        "Age 6 months to 17 years",  # not in years
        "Life expectancy >= 12 weeks",
        "Age 75-18 years",  # not a range
    ],
)
def test_texts_that_are_not_only_an_age_stay_text(text: str) -> None:
    assert suggest(text, INCLUSION) is None


def test_criteria_the_registry_joined_with_or_are_never_read_alone(tmp_path: Path) -> None:
    eligibility = (
        "Inclusion Criteria:\n\n* Age >= 18 years or\n* Age >= 16 years\n* Aged 18-75 years\n"
    )
    (record,) = read_records(short_breast_record(tmp_path, eligibility))
    assert not isinstance(record, RecordError)
    encodings = {c.id: c.encoding for c in draft_trial(record).trial.criteria}
    # Either age admits the patient: neither limit alone may fail one of 16.
    assert (encodings["inc-1"], encodings["inc-2"]) == ("text", "text")
    assert encodings["inc-3"] == "suggested"
