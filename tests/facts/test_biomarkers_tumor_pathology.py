"""Biomarkers, tumor distance and size, coded pathology features."""

from __future__ import annotations

import pytest

from app.facts.model import (
    AnalVergeDistanceFact,
    BiomarkerFact,
    MarginFact,
    PathologyFeatureFact,
    TumorSizeFact,
)
from tests.factories import LOINC, SNOMED, UICC, concept, facts_of, observation, quantity


@pytest.mark.parametrize(("answer", "status"), [("LA14122-8", "mss"), ("LA14124-4", "msi_high")])
def test_msi_by_answer_code(answer: str, status: str) -> None:
    (fact,) = facts_of(observation("43368-0", value_code=(LOINC, answer))).of_kind(BiomarkerFact)
    assert (fact.marker, fact.status) == ("msi", status)


def test_kras_variant_by_hgnc_component_is_mutated() -> None:
    obs = observation("69548-6", value_code=(LOINC, "LA9633-4"))
    obs["component"] = [
        {
            "code": concept(LOINC, "48018-6"),
            "valueCodeableConcept": concept("http://www.genenames.org/geneId", "HGNC:6407"),
        }
    ]
    (fact,) = facts_of(obs).of_kind(BiomarkerFact)
    assert (fact.marker, fact.status) == ("kras", "mutated")


def test_braf_v600e_negative_is_wild_type() -> None:
    (fact,) = facts_of(observation("85299-6", value_code=(SNOMED, "260385009"))).of_kind(
        BiomarkerFact
    )
    assert (fact.marker, fact.status, fact.detail) == ("braf", "wild_type", "V600E")


def test_pd_l1_percent() -> None:
    obs = observation("85147-7", valueQuantity=quantity(5, "%"))
    (fact,) = facts_of(obs).of_kind(BiomarkerFact)
    assert (fact.marker, fact.value) == ("pd_l1", 5.0)


@pytest.mark.parametrize(("value", "unit", "cm"), [(6, "cm", 6.0), (45, "mm", 4.5)])
def test_anal_verge_distance_coded(value: float, unit: str, cm: float) -> None:
    (fact,) = facts_of(observation("33748-5", valueQuantity=quantity(value, unit))).of_kind(
        AnalVergeDistanceFact
    )
    assert (fact.cm, fact.read_from) == (cm, "code")


def test_tumor_size_greatest_dimension_component() -> None:
    obs = observation("21889-1")
    obs["component"] = [{"code": concept(LOINC, "33728-7"), "valueQuantity": quantity(32, "mm")}]
    (fact,) = facts_of(obs).of_kind(TumorSizeFact)
    assert fact.greatest_dimension_cm == 3.2


def test_residual_tumor_r1_is_an_involved_margin() -> None:
    (fact,) = facts_of(observation("84892-9", value_code=(UICC, "R1"))).of_kind(MarginFact)
    assert (fact.residual, fact.involved) == ("R1", True)


def test_l0_is_recorded_absence_and_not_lymphovascular_invasion() -> None:
    facts = facts_of(observation("395715009", system=SNOMED, value_code=(UICC, "L0")))
    assert [(f.feature, f.present) for f in facts.of_kind(PathologyFeatureFact)] == [
        ("lymphatic_invasion", False)
    ]


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        ({"valueCodeableConcept": concept(UICC, "G3")}, "G3"),
        ({"valueString": "Moderately differentiated"}, "G2"),
    ],
)
def test_coded_grade(value: dict, grade: str) -> None:
    from app.facts.model import GradeFact

    (fact,) = facts_of(observation("33732-9", **value)).of_kind(GradeFact)
    assert (fact.value, fact.read_from) == (grade, "code")
