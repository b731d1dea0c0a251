"""Performance status: ECOG and Karnofsky, invalid values, the documented crosswalk."""

from __future__ import annotations

import pytest

from app.facts.model import PerformanceFact
from app.facts.performance import ECOG_TO_KARNOFSKY, karnofsky_to_ecog
from tests.factories import (
    LOINC,
    SNOMED,
    UCUM,
    facts_of,
    fixture_facts,
    observation,
    warning_codes,
)


def test_ecog_as_integer() -> None:
    ecog = facts_of(observation("89247-1", valueInteger=1)).performance("ecog")
    assert ecog is not None and (ecog.value, ecog.read_from) == (1, "code")


@pytest.mark.parametrize(("answer", "value"), [("LA9622-7", 0), ("LA9624-3", 2), ("LA9627-6", 5)])
def test_ecog_as_loinc_answer_code(answer: str, value: int) -> None:
    ecog = facts_of(observation("89247-1", value_code=(LOINC, answer))).performance("ecog")
    assert ecog is not None and ecog.value == value


def test_ecog_by_snomed_code() -> None:
    ecog = facts_of(observation("423740007", system=SNOMED, valueInteger=2)).performance("ecog")
    assert ecog is not None and ecog.value == 2


@pytest.mark.parametrize(
    "value", [{"valueInteger": -1}, {"valueInteger": 6}, {"valueString": ""}, {}]
)
def test_invalid_ecog_is_dropped_with_a_warning(value: dict) -> None:
    facts = facts_of(observation("89247-1", **value))
    assert facts.performance("ecog") is None
    assert facts.performance("karnofsky") is None  # nothing to derive from
    assert {"performance.invalid_value", "performance.no_value"} & set(warning_codes(facts))


@pytest.mark.parametrize("value", [-10, 105, 85])
def test_invalid_karnofsky_is_dropped(value: int) -> None:
    facts = facts_of(observation("89243-0", valueInteger=value))
    assert facts.performance("karnofsky") is None
    assert "performance.invalid_value" in warning_codes(facts)


def test_karnofsky_answer_code() -> None:
    kps = facts_of(observation("89243-0", value_code=(LOINC, "LA29177-5"))).performance("karnofsky")
    assert kps is not None and kps.value == 80


@pytest.mark.parametrize(
    ("kps", "ecog"),
    [
        (100, 0),
        (90, 0),
        (80, 1),
        (70, 1),
        (60, 2),
        (50, 2),
        (40, 3),
        (30, 3),
        (20, 4),
        (10, 4),
        (0, 5),
    ],
)
def test_karnofsky_to_ecog_crosswalk(kps: int, ecog: int) -> None:
    assert karnofsky_to_ecog(kps) == ecog


def test_ecog_to_karnofsky_takes_the_low_end_and_round_trips() -> None:
    assert ECOG_TO_KARNOFSKY == {0: 90, 1: 70, 2: 50, 3: 30, 4: 10, 5: 0}
    assert all(karnofsky_to_ecog(kps) == ecog for ecog, kps in ECOG_TO_KARNOFSKY.items())


def test_missing_scale_is_derived_with_a_note() -> None:
    facts = facts_of(observation("89243-0", valueInteger=70))
    ecog = facts.performance("ecog")
    assert ecog is not None and (ecog.value, ecog.read_from) == (1, "derived")
    assert ecog.note and "Karnofsky 70" in ecog.note
    assert ecog.sources == facts.performance("karnofsky").sources  # type: ignore[union-attr]


def test_a_derived_score_carries_the_range_the_crosswalks_allow() -> None:
    from_ecog_2 = facts_of(observation("89247-1", valueInteger=2)).performance("karnofsky")
    assert from_ecog_2 is not None
    assert (from_ecog_2.value, from_ecog_2.range_low, from_ecog_2.range_high) == (50, 50, 70)
    from_kps_70 = facts_of(observation("89243-0", valueInteger=70)).performance("ecog")
    assert from_kps_70 is not None
    assert (from_kps_70.range_low, from_kps_70.range_high) == (1, 2)
    recorded = facts_of(observation("89247-1", valueInteger=2)).performance("ecog")
    assert recorded is not None and recorded.range_low is None


def test_nothing_is_derived_when_both_scales_are_recorded() -> None:
    facts = facts_of(
        observation("89243-0", valueInteger=70), observation("89247-1", valueInteger=2)
    )
    assert all(f.read_from == "code" for f in facts.of_kind(PerformanceFact))
    assert facts.performance("ecog").value == 2  # type: ignore[union-attr]


def test_ecog_scenario_fixture() -> None:
    facts = fixture_facts("performance_ecog_answer_code_invalid_values")
    assert facts.performance("ecog").value == 2  # type: ignore[union-attr]  # answer code, newest valid
    assert facts.performance("karnofsky").value == 50  # type: ignore[union-attr]
    assert facts.performance("karnofsky").read_from == "derived"  # type: ignore[union-attr]
    assert warning_codes(facts).count("performance.invalid_value") == 2  # 7 and -1


MII_ECOG_SYSTEM = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
    "mii-cs-onko-allgemeiner-leistungszustand-ecog"
)
MII_KARNOFSKY_SYSTEM = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
    "mii-cs-onko-allgemeiner-leistungszustand-karnofsky"
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"valueString": "80%"}, 80),
        ({"valueString": "KPS 80"}, 80),
        ({"valueString": "Karnofsky-Index: 70 %"}, 70),
        ({"valueQuantity": {"value": 80, "unit": "%", "system": UCUM, "code": "%"}}, 80),
        ({"value_code": (MII_KARNOFSKY_SYSTEM, "60%")}, 60),
    ],
)
def test_karnofsky_as_sent_by_real_systems(value: dict, expected: int) -> None:
    facts = facts_of(observation("89243-0", **value))
    kps = facts.performance("karnofsky")
    assert kps is not None and (kps.value, kps.read_from) == (expected, "code")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"valueString": "2"}, 2),
        ({"valueString": "ECOG 1"}, 1),
        ({"valueQuantity": {"value": 2, "unit": "{score}", "system": UCUM, "code": "{score}"}}, 2),
    ],
)
def test_ecog_as_sent_by_real_systems(value: dict, expected: int) -> None:
    ecog = facts_of(observation("89247-1", **value)).performance("ecog")
    assert ecog is not None and ecog.value == expected


def test_mii_ecog_observation_with_the_obds_code_and_loinc_beside_snomed() -> None:
    # The MII profile mii-pr-onko-allgemeiner-leistungszustand-ecog (one Observation per scale).
    obs = observation("423740007", system=SNOMED, value_code=(MII_ECOG_SYSTEM, "2"))
    obs["code"]["coding"].append({"system": LOINC, "code": "89262-0"})
    ecog = facts_of(obs).performance("ecog")
    assert ecog is not None and ecog.value == 2


def test_mii_unknown_ecog_is_no_value() -> None:
    facts = facts_of(observation("423740007", system=SNOMED, value_code=(MII_ECOG_SYSTEM, "U")))
    assert facts.performance("ecog") is None
    assert "performance.no_value" in warning_codes(facts)


def test_codings_of_one_value_that_disagree_drop_it() -> None:
    # MII "30%" beside LOINC LA29179-1, which is Karnofsky 60: which one is meant is unknown.
    obs = observation("761869008", system=SNOMED, value_code=(MII_KARNOFSKY_SYSTEM, "30%"))
    obs["valueCodeableConcept"]["coding"].append({"system": LOINC, "code": "LA29179-1"})
    facts = facts_of(obs)
    assert facts.performance("karnofsky") is None
    assert "performance.conflicting_value" in warning_codes(facts)


@pytest.mark.parametrize(
    ("code", "text", "warning"),
    [
        ("89247-1", "7", "performance.invalid_value"),
        ("89243-0", "85%", "performance.invalid_value"),
        ("89243-0", "120 %", "performance.invalid_value"),
        ("89247-1", "0-1", "performance.no_value"),
        ("89247-1", "gut", "performance.no_value"),
    ],
)
def test_strings_that_are_no_valid_score_are_dropped(code: str, text: str, warning: str) -> None:
    facts = facts_of(observation(code, valueString=text))
    assert facts.of_kind(PerformanceFact) == []
    assert warning in warning_codes(facts)
