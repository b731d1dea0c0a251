"""Lenient reading: a resource that breaks a cardinality rule but whose meaning is clear is
read with a warning; one that cannot be read is reported by reference and reason code."""

from __future__ import annotations

from typing import Any

from app.facts.model import PerformanceFact, PrimaryCancerFact, TreatmentFact
from tests.factories import SNOMED, concept, facts_of, observation, warning_codes


def condition_without_subject() -> dict[str, Any]:
    # As some registry exports send it: the diagnosis, but no subject (R4 requires one).
    return {
        "resourceType": "Condition",
        "id": "diagnose-1",
        "clinicalStatus": concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
        ),
        "code": {
            "coding": [
                {"system": "http://fhir.de/CodeSystem/bfarm/icd-10-gm", "code": "C20"},
            ]
        },
        "recordedDate": "2026-09-30",
    }


def test_condition_without_subject_in_a_one_patient_bundle_is_read_with_a_warning() -> None:
    facts = facts_of(condition_without_subject())
    assert [p.site for p in facts.of_kind(PrimaryCancerFact)] == ["rectum"]
    assert warning_codes(facts, "Condition/diagnose-1") == ["resource.no_subject"]


def test_procedure_without_subject_is_read_with_a_warning() -> None:
    procedure = {
        "resourceType": "Procedure",
        "id": "op-1",
        "status": "completed",
        "code": concept(SNOMED, "82035006"),
        "performedDateTime": "2026-08-01",
    }
    facts = facts_of(procedure)
    assert [t.category for t in facts.of_kind(TreatmentFact)] == ["local_excision"]
    assert "resource.no_subject" in warning_codes(facts, "Procedure/op-1")


def test_observation_without_status_is_read_with_a_warning() -> None:
    obs = observation("89247-1", valueInteger=2)
    del obs["status"]
    facts = facts_of(obs)
    assert [f.value for f in facts.of_kind(PerformanceFact) if f.scale == "ecog"] == [2]
    assert warning_codes(facts, f"Observation/{obs['id']}") == ["resource.no_status"]


def test_observation_without_status_or_subject_is_read_with_both_warnings() -> None:
    obs = observation("89247-1", subject=None, valueInteger=1)
    del obs["status"]
    facts = facts_of(obs)
    assert facts.performance("ecog") is not None
    assert sorted(warning_codes(facts, f"Observation/{obs['id']}")) == [
        "resource.no_status",
        "resource.no_subject",
    ]


def test_the_posted_resource_is_not_changed_by_lenient_reading() -> None:
    condition = condition_without_subject()
    facts_of(condition)
    assert "subject" not in condition


def test_an_unreadable_resource_is_named_with_a_reason_code_and_no_value() -> None:
    obs = observation("89247-1", valueInteger=1, valueString="ECOG eins (Pat. Müller)")
    facts = facts_of(obs)
    unreadable = [w for w in facts.warnings if w.code == "resource.unreadable"]
    assert [w.source for w in unreadable] == [f"Observation/{obs['id']}"]
    assert "invalid_resource" in unreadable[0].message
    assert "Müller" not in unreadable[0].message and "eins" not in unreadable[0].message


def test_a_diagnosis_missing_its_code_element_names_that_element() -> None:
    report = {
        "resourceType": "DiagnosticReport",
        "id": "befund-1",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "conclusion": "ypT1 N0, R0",
    }
    facts = facts_of(report)
    unreadable = [w for w in facts.warnings if w.code == "resource.unreadable"]
    assert [(w.source, w.message) for w in unreadable] == [
        (
            "DiagnosticReport/befund-1",
            "The resource is not valid FHIR R4 (missing_element: code); skipped.",
        )
    ]


def test_icd10_condition_with_a_subject_is_read_without_warnings() -> None:
    facts = facts_of({**condition_without_subject(), "subject": {"reference": "Patient/p1"}})
    assert warning_codes(facts, "Condition/diagnose-1") == []
