"""Panels: results sent as components of another Observation, or as its hasMember."""

from __future__ import annotations

from typing import Any

from app.facts.model import LabFact, PerformanceFact
from tests.factories import LOINC, SNOMED, UCUM, facts_of, observation, warning_codes

MII_ECOG = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
    "mii-cs-onko-allgemeiner-leistungszustand-ecog"
)
MII_KARNOFSKY = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
    "mii-cs-onko-allgemeiner-leistungszustand-karnofsky"
)


def mii_performance_panel(**fields: Any) -> dict[str, Any]:
    """The MII Onkologie 2024 'Allgemeiner Leistungszustand': ECOG and KPS as components."""
    return {
        "resourceType": "Observation",
        "id": "mii-leistungszustand-1",
        "meta": {
            "profile": [
                "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/"
                "StructureDefinition/mii-pr-onko-allgemeiner-leistungszustand"
            ]
        },
        "status": "final",
        "code": {"coding": [{"system": SNOMED, "code": "423690003"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-10-14",
        "component": [
            {
                "code": {"coding": [{"system": SNOMED, "code": "423740007"}]},
                # As the IG's own example sends it: the code with no system.
                "valueCodeableConcept": {"coding": [{"code": "3", "display": "Nur begrenzte"}]},
            },
            {
                "code": {"coding": [{"system": SNOMED, "code": "761869008"}]},
                "valueCodeableConcept": {"coding": [{"system": MII_KARNOFSKY, "code": "40%"}]},
            },
        ],
        **fields,
    }


def test_mii_performance_panel_gives_ecog_and_karnofsky_with_the_panel_as_source() -> None:
    facts = facts_of(mii_performance_panel())
    scores = {(f.scale, f.value, f.read_from) for f in facts.of_kind(PerformanceFact)}
    assert scores == {("ecog", 3, "code"), ("karnofsky", 40, "code")}  # nothing derived
    for fact in facts.of_kind(PerformanceFact):
        assert fact.sources == ["Observation/mii-leistungszustand-1"]
        assert str(fact.effective) == "2026-10-14"
    assert "observation.not_read" not in warning_codes(facts)


def test_components_of_a_panel_entered_in_error_are_not_read() -> None:
    facts = facts_of(mii_performance_panel(status="entered-in-error"))
    assert facts.of_kind(PerformanceFact) == []


def test_local_flowsheet_panel_with_loinc_beside_the_local_code_of_each_row() -> None:
    # An Epic-like oncology flowsheet: local codes, LOINC alongside on the ECOG row only.
    flowsheet = {
        "resourceType": "Observation",
        "id": "flowsheet-onc-visit",
        "status": "final",
        "category": [{"coding": [{"code": "vital-signs"}]}],
        "code": {
            "coding": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679", "code": "8716"}],
            "text": "Oncology visit flowsheet",
        },
        "subject": {"reference": "Patient/p1"},
        "effectivePeriod": {"start": "2026-11-03T09:12:00-05:00"},
        "component": [
            {
                "code": {
                    "coding": [
                        {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679", "code": "304"},
                        {"system": LOINC, "code": "89247-1", "display": "ECOG Performance Status"},
                    ]
                },
                "valueInteger": 1,
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "72514-3", "display": "Pain"}]},
                "valueInteger": 4,
            },
        ],
    }
    facts = facts_of(flowsheet)
    ecog = facts.performance("ecog")
    assert ecog is not None and (ecog.value, ecog.read_from) == (1, "code")
    assert ecog.sources == ["Observation/flowsheet-onc-visit"]
    assert str(ecog.effective) == "2026-11-03"


def test_lab_panel_components_are_labs_with_their_own_reference_range() -> None:
    # A LIS liver panel: one Observation, each analyte a component, ranges printed as text.
    panel = {
        "resourceType": "Observation",
        "id": "lis-leberwerte",
        "status": "final",
        "code": {"coding": [{"system": "urn:lis:panel", "code": "LEBER"}], "text": "Leberwerte"},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-10",
        "component": [
            {
                "code": {"coding": [{"system": LOINC, "code": "1742-6"}]},
                "valueQuantity": {"value": 52, "unit": "U/l", "system": UCUM, "code": "U/L"},
                "referenceRange": [{"text": "< 35 U/l"}],
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "1975-2"}]},
                "valueQuantity": {"value": 0.9, "unit": "mg/dl", "system": UCUM, "code": "mg/dL"},
                "referenceRange": [{"text": "0,3 - 1,2 mg/dl"}],
            },
        ],
    }
    facts = facts_of(panel)
    alt, bilirubin = facts.latest_lab("alt"), facts.latest_lab("bilirubin_total")
    assert alt is not None and (alt.value, alt.reference_high) == (52.0, 35.0)
    assert bilirubin is not None and bilirubin.reference_high is not None
    assert round(bilirubin.reference_high, 1) == 20.5  # 1.2 mg/dL in umol/L
    assert {f.sources[0] for f in facts.of_kind(LabFact)} == {"Observation/lis-leberwerte"}


def test_a_panel_with_nothing_readable_is_still_noise() -> None:
    bp = observation(
        "85354-9", component=[{"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}}]
    )
    assert "observation.not_read" in warning_codes(facts_of(bp))


def cbc_panel(*members: str) -> dict[str, Any]:
    return observation(
        "58410-2",
        hasMember=[{"reference": ref} for ref in members],
    )


def test_has_member_panel_is_not_noise_and_its_members_are_read_once() -> None:
    hemoglobin = observation(
        "718-7", valueQuantity={"value": 10.9, "unit": "g/dL", "system": UCUM, "code": "g/dL"}
    )
    panel = cbc_panel(f"Observation/{hemoglobin['id']}")
    facts = facts_of(panel, hemoglobin)
    assert [f.value for f in facts.labs("hemoglobin")] == [109.0]
    assert facts.labs("hemoglobin")[0].sources == [f"Observation/{hemoglobin['id']}"]
    assert "observation.not_read" not in warning_codes(facts)
    assert "panel.member_missing" not in warning_codes(facts)


def test_a_member_named_by_urn_uuid_is_found_by_its_id() -> None:
    platelets = observation("777-3", valueQuantity={"value": 180, "unit": "10*3/uL"})
    platelets["id"] = "5d0b6c1e-6f0e-4d0b-9a43-1f7b8e2d9c11"
    facts = facts_of(cbc_panel(f"urn:uuid:{platelets['id']}"), platelets)
    assert "panel.member_missing" not in warning_codes(facts)


def test_a_member_absent_from_the_record_is_a_warning_on_the_panel() -> None:
    panel = cbc_panel("Observation/not-sent", "https://ehr.example/fhir/Observation/gone")
    facts = facts_of(panel)
    assert warning_codes(facts, f"Observation/{panel['id']}") == ["panel.member_missing"] * 2
    assert "observation.not_read" not in warning_codes(facts)
