"""Demographics: age from full, month-only and year-only birth dates; sex; pregnancy."""

from __future__ import annotations

from datetime import date

import pytest

from app.facts.model import LactationFact, PregnancyFact
from tests.factories import LOINC, SNOMED, condition, facts_of, observation, patient, warning_codes


@pytest.mark.parametrize(
    ("birth", "as_of", "expected"),
    [
        ("1953-04-15", date(2026, 4, 14), (72, 72, "day")),
        ("1953-04-15", date(2026, 4, 15), (73, 73, "day")),
        ("1953-04", date(2026, 4, 10), (72, 73, "month")),
        ("1953", date(2026, 11, 22), (72, 73, "year")),
        ("1953", date(2026, 12, 31), (73, 73, "year")),
    ],
)
def test_age_at_the_evaluation_date(birth: str, as_of: date, expected: tuple) -> None:
    age = facts_of(the_patient=patient(birthDate=birth), as_of=as_of).age()
    assert age is not None
    assert (age.years_min, age.years_max, age.birth_date_precision) == expected
    assert age.sources == ["Patient/p1"]


def test_no_birth_date_is_no_age_and_a_warning() -> None:
    facts = facts_of(the_patient=patient())
    assert facts.age() is None
    assert "patient.no_birth_date" in warning_codes(facts)


def test_invalid_birth_date_is_repaired_away_with_a_warning() -> None:
    facts = facts_of(the_patient=patient(birthDate="19xx"))
    assert facts.age() is None
    assert "resource.invalid_element" in warning_codes(facts, "Patient/p1")
    assert facts.sex().value == "female"  # type: ignore[union-attr]  # the rest is still read


def test_sex_from_gender() -> None:
    assert facts_of(the_patient=patient(gender="male")).sex().value == "male"  # type: ignore[union-attr]


def test_pregnancy_observation_and_condition() -> None:
    observed = facts_of(observation("82810-3", value_code=(SNOMED, "60001007")))
    assert [f.pregnant for f in observed.of_kind(PregnancyFact)] == [False]
    diagnosed = facts_of(condition(SNOMED, "77386006", onsetDateTime="2026-09-01"))
    assert [(f.pregnant, f.effective) for f in diagnosed.of_kind(PregnancyFact)] == [
        (True, date(2026, 9, 1))
    ]


def test_breastfeeding_status_gives_lactation() -> None:
    now = facts_of(observation("63895-7", value_code=(LOINC, "LA29252-6")))
    assert [(f.lactating, f.effective) for f in now.of_kind(LactationFact)] == [
        (True, date(2026, 11, 1))
    ]
    not_now = facts_of(observation("63895-7", value_code=(LOINC, "LA29253-4")))
    assert [f.lactating for f in not_now.of_kind(LactationFact)] == [False]
    as_boolean = facts_of(observation("63895-7", valueBoolean=False))
    assert [f.lactating for f in as_boolean.of_kind(LactationFact)] == [False]


def test_breastfeeding_status_with_an_unknown_answer_is_a_warning_not_a_fact() -> None:
    unknown = facts_of(observation("63895-7", value_code=(LOINC, "LA00000-0")))
    assert unknown.of_kind(LactationFact) == []
    assert "lactation.unknown_value" in warning_codes(unknown)


def test_ended_pregnancy_condition_is_no_longer_pregnant() -> None:
    cond = condition(SNOMED, "77386006", onsetDateTime="2025-09-01", abatementDateTime="2026-05-20")
    facts = facts_of(cond)
    found = sorted((f.effective, f.pregnant) for f in facts.of_kind(PregnancyFact))
    assert found == [(date(2025, 9, 1), True), (date(2026, 5, 20), False)]
    assert facts.of_kind(PregnancyFact)[0].pregnant is False  # newest first
