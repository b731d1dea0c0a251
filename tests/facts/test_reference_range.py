"""Reference ranges printed as text (referenceRange.text) when no high is coded."""

from __future__ import annotations

import pytest

from app.facts.reference_range import TextRange, parse
from tests.factories import SNOMED, concept, facts_of, lab, patient, quantity, warning_codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("< 35 U/L", TextRange(None, 35.0, "U/L")),
        ("<35U/L", TextRange(None, 35.0, "U/L")),
        ("0.3-1.2 mg/dL", TextRange(0.3, 1.2, "mg/dL")),
        ("bis 50 U/l", TextRange(None, 50.0, "U/l")),
        ("<= 1,2 mg/dl", TextRange(None, 1.2, "mg/dl")),
        ("≤ 40", TextRange(None, 40.0, None)),
        ("up to 40 U/L", TextRange(None, 40.0, "U/L")),
        ("3.5 - 5.0", TextRange(3.5, 5.0, None)),
        ("12,0 \u2013 16,0 g/dl", TextRange(12.0, 16.0, "g/dl")),
        ("4 to 10 10*9/L", TextRange(4.0, 10.0, "10*9/L")),
        ("> 60", TextRange(60.0, None, None)),
    ],
)
def test_printed_range_forms(text: str, expected: TextRange) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text", ["negative", "see comment", "5-3", "1-2-3", "3.5-5.0 g/dL; 3.0-4.0", "< 35 (women)", ""]
)
def test_text_that_states_no_single_range_is_none(text: str) -> None:
    assert parse(text) is None


def test_german_lab_with_only_a_printed_range_gets_its_uln_in_canonical_units() -> None:
    creatinine = lab("2160-0", 1.4, "mg/dL")
    creatinine["referenceRange"] = [{"text": "<= 1,2 mg/dl"}]
    fact = facts_of(creatinine).latest_lab("creatinine")
    assert fact is not None and fact.reference_high == pytest.approx(106.08, abs=0.1)


def test_printed_range_without_a_unit_is_in_the_result_unit() -> None:
    hb = lab("718-7", 11.0, "g/dL")
    hb["referenceRange"] = [{"text": "12.0 - 16.0"}]
    fact = facts_of(hb).latest_lab("hemoglobin")
    assert fact is not None and (fact.reference_low, fact.reference_high) == (120.0, 160.0)


def test_a_coded_high_wins_over_the_printed_text() -> None:
    alt = lab("1742-6", 30, "U/L")
    alt["referenceRange"] = [{"high": quantity(41, "U/L"), "text": "< 35 U/L"}]
    fact = facts_of(alt).latest_lab("alt")
    assert fact is not None and fact.reference_high == 41.0


def test_a_printed_unit_that_does_not_convert_is_no_uln() -> None:
    alt = lab("1742-6", 30, "U/L")
    alt["referenceRange"] = [{"text": "< 35 mmHg"}]
    facts = facts_of(alt)
    assert facts.latest_lab("alt").reference_high is None  # type: ignore[union-attr]
    assert "lab.range_unknown_unit" in warning_codes(facts)


def test_unreadable_text_is_no_uln() -> None:
    alt = lab("1742-6", 30, "U/L")
    alt["referenceRange"] = [{"text": "siehe Befundkommentar"}]
    assert facts_of(alt).latest_lab("alt").reference_high is None  # type: ignore[union-attr]


def test_printed_ranges_by_sex_pick_the_patients() -> None:
    hb = lab("718-7", 13.0, "g/dL")
    hb["referenceRange"] = [
        {"text": "13,5 - 17,5 g/dl", "appliesTo": [concept(SNOMED, "248153007")]},  # male
        {"text": "12,0 - 16,0 g/dl", "appliesTo": [concept(SNOMED, "248152002")]},  # female
    ]
    female = facts_of(hb, the_patient=patient(gender="female")).latest_lab("hemoglobin")
    male = facts_of(hb, the_patient=patient(gender="male")).latest_lab("hemoglobin")
    assert female is not None and female.reference_high == 160.0
    assert male is not None and male.reference_high == 175.0


def test_an_older_result_read_without_validation_uses_its_printed_range_too() -> None:
    results = [lab("1742-6", 20 + i, "U/L", when=f"2026-0{i + 1}-01") for i in range(5)]
    for result in results:
        result["referenceRange"] = [{"text": "< 35 U/L"}]
    labs = facts_of(*results).labs("alt")
    assert len(labs) == 5 and {f.reference_high for f in labs} == {35.0}
