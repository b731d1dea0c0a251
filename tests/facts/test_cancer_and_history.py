"""Primary cancer, metastasis Conditions, history diagnoses and treatments."""

from __future__ import annotations

from datetime import date

import pytest

from app.facts.model import ConditionFact, MetastasisFact, PrimaryCancerFact, TreatmentFact
from tests.factories import ICD10, SNOMED, concept, condition, facts_of, fixture_facts

HISTOLOGY_URL = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)


@pytest.mark.parametrize(
    ("system", "code", "site"),
    [
        (ICD10, "C20", "rectum"),
        (ICD10, "C18.7", "colon"),
        (ICD10, "C19", "rectosigmoid"),
        (ICD10, "C15.5", "esophagus"),
        (ICD10, "C50.9", "breast"),
        (SNOMED, "363351006", "rectum"),
        (SNOMED, "363406005", "colon"),
    ],
)
def test_primary_cancer_site(system: str, code: str, site: str) -> None:
    cancers = facts_of(condition(system, code, onsetDateTime="2026-03-01")).primary_cancers()
    assert [(c.site, c.diagnosed) for c in cancers] == [(site, date(2026, 3, 1))]


def test_histology_from_icd_o_3_extension() -> None:
    cond = condition(ICD10, "C20")
    cond["extension"] = [
        {
            "url": HISTOLOGY_URL,
            "valueCodeableConcept": concept(
                "http://terminology.hl7.org/CodeSystem/icd-o-3", "8480/3"
            ),
        }
    ]
    (cancer,) = facts_of(cond).primary_cancers()
    assert cancer.histology == "mucinous_adenocarcinoma"


def test_every_cancer_is_also_a_malignancy_in_the_history() -> None:
    facts = facts_of(condition(ICD10, "C20"), condition(ICD10, "C61"))
    assert sorted(c.codes[0] for c in facts.conditions("malignancy")) == [
        "ICD-10|C20",
        "ICD-10|C61",
    ]
    assert len(facts.of_kind(PrimaryCancerFact)) == 2


@pytest.mark.parametrize(
    ("system", "code", "site"),
    [
        (SNOMED, "94381002", "liver"),
        (SNOMED, "94391008", "lung"),
        (ICD10, "C78.7", "liver"),
        (ICD10, "C78.01", "lung"),
    ],
)
def test_secondary_cancer_conditions_are_metastases(system: str, code: str, site: str) -> None:
    facts = facts_of(condition(system, code))
    assert [(m.present, m.site) for m in facts.of_kind(MetastasisFact)] == [(True, site)]
    assert facts.primary_cancers() == []


def test_generic_secondary_cancer_takes_its_site_from_body_site() -> None:
    cond = condition(SNOMED, "128462008", bodySite=[concept(SNOMED, "10200004")])
    assert [m.site for m in facts_of(cond).of_kind(MetastasisFact)] == ["liver"]


@pytest.mark.parametrize(
    ("system", "code", "category"),
    [
        (ICD10, "K51.9", "inflammatory_bowel_disease"),
        (SNOMED, "34000006", "inflammatory_bowel_disease"),
        (ICD10, "B20", "hiv"),
        (ICD10, "B18.1", "hepatitis_b"),
        (ICD10, "B18.2", "hepatitis_c"),
        (ICD10, "I21.4", "myocardial_infarction"),
        (SNOMED, "84114007", "heart_failure"),
        (SNOMED, "72900001", "familial_adenomatous_polyposis"),
    ],
)
def test_history_categories(system: str, code: str, category: str) -> None:
    cond = condition(system, code, onsetDateTime="2019-05-01")
    cond["clinicalStatus"] = concept(
        "http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"
    )
    (fact,) = facts_of(cond).of_kind(ConditionFact)
    assert (fact.category, fact.onset, fact.clinical_status) == (
        category,
        date(2019, 5, 1),
        "resolved",
    )


def test_unknown_and_refuted_conditions_give_no_facts() -> None:
    refuted = condition(ICD10, "B20")
    refuted["verificationStatus"] = concept(
        "http://terminology.hl7.org/CodeSystem/condition-ver-status", "refuted"
    )
    facts = facts_of(condition(ICD10, "J45.9"), refuted)  # asthma: not a category trials ask
    assert facts.of_kind(ConditionFact) == []


def procedure(
    display: str, *, code: str = "X-1", system: str = "urn:local", **fields: object
) -> dict:
    return {
        "resourceType": "Procedure",
        "id": f"proc-{abs(hash(display)) % 10_000}",
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "code": concept(system, code, display),
        "performedDateTime": "2025-05-01",
        **fields,
    }


@pytest.mark.parametrize(
    ("display", "category", "technique"),
    [
        ("Transanal endoscopic microsurgery", "local_excision", "TEM"),
        ("TAMIS excision of rectal lesion", "local_excision", "TAMIS"),
        ("Endoscopic submucosal dissection", "local_excision", "ESD"),
        ("Endoscopic mucosal resection", "local_excision", "EMR"),
        ("Total mesorectal excision", "total_mesorectal_excision", None),
        ("Pelvic radiotherapy 50.4 Gy", "radiotherapy", None),
        ("FOLFOX chemotherapy", "chemotherapy", None),
    ],
)
def test_treatments_read_from_a_local_procedure_name(
    display: str, category: str, technique: str | None
) -> None:
    (fact,) = facts_of(procedure(display)).of_kind(TreatmentFact)
    assert (fact.category, fact.technique, fact.read_from) == (category, technique, "text")
    assert fact.performed == date(2025, 5, 1)


def test_coded_radiotherapy_with_body_site() -> None:
    proc = procedure("x", code="448385000", system=SNOMED, bodySite=[concept(SNOMED, "12921003")])
    (fact,) = facts_of(proc).treatments("radiotherapy")
    assert (fact.body_region, fact.read_from) == ("pelvis", "code")


def test_not_done_procedure_is_no_treatment() -> None:
    assert (
        facts_of(procedure("Total mesorectal excision", status="not-done")).of_kind(TreatmentFact)
        == []
    )


def test_text_only_fixture_has_the_local_excision() -> None:
    (fact,) = fixture_facts("rectal_cancer_text_only_reports").treatments("local_excision")
    assert fact.technique == "TEM"


def test_a_stem_cell_transplant_is_not_a_transanal_endoscopic_microsurgery() -> None:
    procedure = {
        "resourceType": "Procedure",
        "id": "sct-1",
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "urn:local:op", "code": "HSCT"}], "text": "Stem cell tx"},
    }
    tem = {**procedure, "id": "tem-1", "code": {"text": "TEM of rectal lesion"}}
    facts = facts_of(procedure, tem)
    assert [(t.sources, t.technique) for t in facts.of_kind(TreatmentFact)] == [
        (["Procedure/tem-1"], "TEM")
    ]
