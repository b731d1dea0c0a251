"""normalize(): cost follows the resources that matter; junk never crashes it."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from app.facts import normalize as normalize_module
from app.facts.model import AnalVergeDistanceFact, PerformanceFact, StageFact
from app.facts.normalize import normalize
from tests.factories import (
    AJCC,
    AS_OF,
    facts_of,
    fixture_facts,
    lab,
    observation,
    record_of,
    report,
    warning_codes,
)


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records the reference of every resource validated with a fhir.resources model."""
    seen: list[str] = []
    real = normalize_module.validate

    def counting(model: Any, raw: dict[str, Any], reading: Any) -> Any:
        seen.append(f"{raw.get('resourceType')}/{raw.get('id')}")
        return real(model, raw, reading)

    monkeypatch.setattr(normalize_module, "validate", counting)
    return seen


def test_labs_are_never_validated_with_a_model(validations: list[str]) -> None:
    old_relevant = [
        lab("718-7", 12 + i % 3, "g/dL", when=f"20{10 + i % 10}-01-01") for i in range(1000)
    ]
    # Cholesterol (LOINC 2093-3): a lab trialmatch does not read.
    irrelevant = [lab("2093-3", 5.5, "mmol/L", when="2020-01-01") for _ in range(4000)]
    facts = facts_of(*old_relevant, *irrelevant, observation("89247-1", valueInteger=1))
    # Patient + ECOG only: labs are read from their JSON, strictly typed.
    assert len(validations) == 2
    assert len(facts.labs("hemoglobin")) == 1000  # the whole history, by default
    assert "observation.not_read" in warning_codes(facts)


def test_without_lab_history_older_results_are_only_counted(validations: list[str]) -> None:
    history = [lab("718-7", 12, "g/dL", when=f"2026-0{m}-01") for m in range(1, 10)]
    same_day = lab("718-7", 11, "g/dL", when="2026-09-01")
    facts = normalize(record_of(*history, same_day), AS_OF, lab_history=False)
    # The newest day's two results are read (a same-day disagreement stays visible).
    assert sorted(f.value for f in facts.labs("hemoglobin")) == [110.0, 120.0]
    assert facts.history_not_read == 8
    assert [v for v in validations if v.startswith("Observation/")] == []


JUNK: list[dict[str, Any]] = [
    {"resourceType": "Observation", "id": "j1", "code": ["not", "a", "concept"]},
    {"resourceType": "Observation", "id": "j2", "status": "final", "code": {"coding": "x"}},
    {
        "resourceType": "Observation",
        "id": "j3",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        "valueQuantity": "12 g/dL",
    },
    {
        "resourceType": "Observation",
        "id": "j4",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "21905-5"}]},
        "valueCodeableConcept": {"coding": [{"code": 3}]},
    },
    {
        "resourceType": "Observation",
        "id": "j5",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "89247-1"}]},
        "valueInteger": "two",
        "effectiveDateTime": 2020,
    },
    {
        "resourceType": "Observation",
        "id": "j6",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        "valueQuantity": {"value": 12, "unit": "g/dL"},
        "referenceRange": "normal",
    },
    {
        "resourceType": "Condition",
        "id": "j7",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C20"}]},
        "onsetDateTime": "yesterday",
        "stage": "III",
    },
    {"resourceType": "Procedure", "id": "j8", "code": {"text": "Total mesorectal excision"}},
    {
        "resourceType": "DiagnosticReport",
        "id": "j9",
        "conclusion": "pT1 sm3",
        "presentedForm": [{"contentType": "text/plain", "data": "%%%not-base64"}],
    },
    {
        "resourceType": "DiagnosticReport",
        "id": "j10",
        "status": "final",
        "code": {"text": "x"},
        "presentedForm": [{"contentType": "text/plain", "data": "//79/w=="}],
    },
]


@pytest.mark.parametrize("junk", JUNK, ids=[j["id"] for j in JUNK])
def test_junk_never_crashes_and_is_reported(junk: dict[str, Any]) -> None:
    facts = facts_of(junk)
    assert facts.patient == "Patient/p1"
    mine = [w for w in facts.warnings if w.source == f"{junk['resourceType']}/{junk['id']}"]
    assert mine or facts.facts  # either read (repaired) or a warning names it
    for warning in facts.warnings:
        assert "g/dL" not in warning.message and "yesterday" not in warning.message


def test_broken_scenario_keeps_what_it_can() -> None:
    facts = fixture_facts("broken_resources_unknown_codes_foreign_subject")
    ecogs = {(f.value, f.sources[0]) for f in facts.of_kind(PerformanceFact) if f.scale == "ecog"}
    assert ecogs == {(1, "Observation/ecog-bad-date"), (2, "Observation/someone-elses-ecog")}
    assert facts.of_kind(StageFact) == []
    codes = warning_codes(facts)
    for expected in (
        "bundle.foreign_subject",
        "resource.invalid_element",
        "resource.unreadable",
        "resource.no_code",
        "staging.unknown_value",
        "observation.not_read",
    ):
        assert expected in codes


def test_entered_in_error_results_are_not_facts() -> None:
    wrong = observation("21905-5", value_code=(AJCC, "cT4"), status="entered-in-error")
    assert facts_of(wrong).of_kind(StageFact) == []


def test_the_record_is_not_changed_by_repairs() -> None:
    broken = observation("89247-1", valueInteger=1, effectiveDateTime="YYYY")
    before = repr(broken)
    facts_of(broken)
    assert repr(broken) == before


def test_repair_warnings_name_elements_but_never_echo_the_senders_keys_or_values() -> None:
    obs = observation("89247-1", valueInteger=1, effectiveDateTime="1953-99-99")
    obs["Mustermann"] = "Erika, born 1953-02-11"
    obs["code"]["coding"][0]["note 4711"] = "x"
    facts = facts_of(obs)
    (warning,) = [w for w in facts.warnings if w.code == "resource.invalid_element"]
    assert "effectiveDateTime" in warning.message
    for secret in ("Mustermann", "Erika", "1953", "4711"):
        assert secret not in warning.message
    assert facts.performance("ecog").value == 1  # type: ignore[union-attr]


def test_a_failing_reader_costs_one_resource_and_logs_no_record_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_reader(observation: Any) -> Any:
        raise ValueError("Erika Mustermann, T3")

    monkeypatch.setitem(normalize_module._OBSERVATION_READERS, "staging", broken_reader)
    stage = observation("21905-5", value_code=(AJCC, "cT3"))
    facts = facts_of(stage, observation("89247-1", valueInteger=1))
    assert facts.performance("ecog").value == 1  # type: ignore[union-attr]
    assert "resource.unreadable" in warning_codes(facts, f"Observation/{stage['id']}")
    assert "ValueError" in caplog.text and "Mustermann" not in caplog.text


def test_patient_facts_round_trip_through_json() -> None:
    from app.facts.model import PatientFacts

    facts = fixture_facts("rectal_cancer_text_only_reports")
    again = PatientFacts.model_validate_json(facts.model_dump_json())
    assert again == facts
    assert again.patient == "Patient/rectal-text-only"


def test_a_report_saying_the_same_in_conclusion_and_attached_text_gives_each_fact_once() -> None:
    text = "Staging MRI: lower edge of the tumour 7 cm from the anal verge. mrT1N0."
    resource = report(text)
    resource["presentedForm"] = [
        {"contentType": "text/plain", "data": base64.b64encode(text.encode()).decode()}
    ]
    facts = facts_of(resource)
    distances = facts.of_kind(AnalVergeDistanceFact)
    assert [d.cm for d in distances] == [7.0]
    assert [s.value for s in facts.of_kind(StageFact) if s.category == "T"] == ["T1"]
