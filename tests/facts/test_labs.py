"""Labs: canonical units, ULN from referenceRange, newest value wins, odd data is a warning."""

from __future__ import annotations

from datetime import date

import pytest

from app.facts.model import LabFact
from tests.factories import (
    SNOMED,
    concept,
    facts_of,
    fixture_facts,
    lab,
    patient,
    quantity,
    warning_codes,
)


def test_g_per_dl_to_g_per_l_with_uln_from_reference_range() -> None:
    obs = lab("718-7", 11.2, "g/dL")
    obs["referenceRange"] = [{"low": quantity(12.0, "g/dL"), "high": quantity(16.0, "g/dL")}]
    hb = facts_of(obs).latest_lab("hemoglobin")
    assert hb is not None
    assert (hb.value, hb.unit, hb.reference_low, hb.reference_high) == (112.0, "g/L", 120.0, 160.0)
    assert hb.original == "11.2 g/dL" and hb.loinc == "718-7"
    assert hb.sources == [f"Observation/{obs['id']}"]


def test_mg_per_dl_to_umol_per_l() -> None:
    creatinine = facts_of(lab("2160-0", 1.0, "mg/dL")).latest_lab("creatinine")
    bilirubin = facts_of(lab("1975-2", 1.0, "mg/dL")).latest_lab("bilirubin_total")
    assert creatinine is not None and creatinine.value == pytest.approx(88.4, rel=1e-3)
    assert bilirubin is not None and bilirubin.value == pytest.approx(17.1, rel=1e-3)


def test_thousands_per_microlitre_to_10_9_per_litre() -> None:
    platelets = facts_of(lab("26515-7", 250, "10*3/uL")).latest_lab("platelets")
    assert platelets is not None and (platelets.value, platelets.unit) == (250.0, "10*9/L")


def test_no_reference_range_means_no_uln() -> None:
    alt = facts_of(lab("1742-6", 35, "U/L")).latest_lab("alt")
    assert alt is not None and alt.reference_high is None


def test_range_for_the_other_sex_is_skipped_with_a_warning() -> None:
    obs = lab("718-7", 13.0, "g/dL")
    obs["referenceRange"] = [
        {"high": quantity(17.5, "g/dL"), "appliesTo": [concept(SNOMED, "248153007")]},  # male
        {"high": quantity(16.0, "g/dL"), "appliesTo": [concept(SNOMED, "248152002")]},  # female
    ]
    female = facts_of(obs, the_patient=patient(gender="female"))
    male = facts_of(obs, the_patient=patient(gender="male"))
    assert female.latest_lab("hemoglobin").reference_high == 160.0  # type: ignore[union-attr]
    assert male.latest_lab("hemoglobin").reference_high == 175.0  # type: ignore[union-attr]
    assert "lab.range_not_applicable" in warning_codes(female)


def test_unit_without_ucum_code_is_read_from_its_string_with_a_note() -> None:
    obs = lab("1975-2", 8.6, "mg/dL")
    obs["valueQuantity"] = quantity(8.6, "mg/dL", ucum=False)
    facts = facts_of(obs)
    bilirubin = facts.latest_lab("bilirubin_total")
    assert bilirubin is not None and bilirubin.value == pytest.approx(147.09, rel=1e-3)
    assert bilirubin.note is not None
    assert "lab.unit_not_coded" in warning_codes(facts)


@pytest.mark.parametrize(
    ("value_quantity", "warning"),
    [
        ({"value": 5, "unit": "K/uL"}, "lab.unknown_unit"),
        ({"value": 5}, "lab.no_unit"),
        (
            {
                "value": 5,
                "comparator": "<",
                "unit": "U/L",
                "system": "http://unitsofmeasure.org",
                "code": "U/L",
            },
            "lab.comparator",
        ),
    ],
)
def test_unreadable_values_are_warnings_not_facts(value_quantity: dict, warning: str) -> None:
    obs = lab("1920-8", 5, "U/L")
    obs["valueQuantity"] = value_quantity
    facts = facts_of(obs)
    assert facts.latest_lab("ast") is None
    assert warning in warning_codes(facts, f"Observation/{obs['id']}")


def test_implausible_hemoglobin_is_dropped() -> None:
    facts = facts_of(lab("718-7", 45, "g/dL"))
    assert facts.latest_lab("hemoglobin") is None
    assert "lab.implausible_value" in warning_codes(facts)


def test_most_recent_on_or_before_as_of_wins_and_older_values_stay() -> None:
    facts = facts_of(
        lab("718-7", 10.0, "g/dL", when="2026-01-01"),
        lab("718-7", 12.0, "g/dL", when="2026-10-01"),
        lab("718-7", 14.0, "g/dL", when="2026-12-01"),  # after as_of
        as_of=date(2026, 11, 22),
    )
    assert facts.latest_lab("hemoglobin").value == 120.0  # type: ignore[union-attr]
    assert sorted(f.value for f in facts.labs("hemoglobin")) == [100.0, 120.0, 140.0]


def test_older_labs_beyond_the_validated_few_are_still_facts() -> None:
    labs = [lab("777-3", 100 + day, "10*3/uL", when=f"2025-01-{day:02d}") for day in range(1, 21)]
    facts = facts_of(*labs)
    platelets = facts.labs("platelets")
    assert len(platelets) == 20
    assert facts.latest_lab("platelets").value == 120.0  # type: ignore[union-attr]
    assert all(isinstance(f, LabFact) and f.unit == "10*9/L" for f in platelets)


def test_labs_scenario_fixture() -> None:
    facts = fixture_facts("labs_units_and_reference_ranges")
    hb = facts.latest_lab("hemoglobin")
    assert hb is not None and (hb.value, hb.reference_low, hb.reference_high) == (
        112.0,
        120.0,
        160.0,
    )
    assert [round(f.value, 1) for f in facts.labs("hemoglobin")] == [112.0, 112.8]  # g/dL, mmol/L
    creatinine = facts.latest_lab("creatinine")
    assert creatinine is not None and creatinine.reference_high == pytest.approx(97.24, rel=1e-3)
    assert facts.latest_lab("white_cells").value == 4.1  # type: ignore[union-attr]
    assert facts.latest_lab("cea").unit == "ug/L"  # type: ignore[union-attr]
    assert facts.latest_lab("ast") is None  # "<10" is a bound
    assert facts.latest_lab("ca19_9") is None  # "K/uL" is not a unit of CA 19-9
    codes = warning_codes(facts)
    for expected in (
        "lab.comparator",
        "lab.unknown_unit",
        "lab.implausible_value",
        "lab.range_not_applicable",
    ):
        assert expected in codes
