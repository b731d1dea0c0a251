"""Every public FHIR example in tests/fixtures/fhir/shared is read, and holds its facts.

The files are byte-for-byte copies (provenance in shared/SOURCES.md). Bundles are read
as posted; a Bundle without a Patient, or a single resource, is wrapped in a collection
Bundle with a Patient added here (its id taken from the resource's subject). Each file's
expected facts are written below as short lines (see `summarize`); a new file without an
entry fails the test, so nothing in the folder goes unread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.facts.model import (
    AgeFact,
    LabFact,
    MetastasisFact,
    PathologyFeatureFact,
    PatientFacts,
    PerformanceFact,
    PregnancyFact,
    PrimaryCancerFact,
    StageFact,
    TreatmentFact,
)
from app.facts.normalize import normalize
from app.fhir.bundle import read_bundle
from tests.factories import AS_OF, SHARED, load

FILES = sorted(p.relative_to(SHARED).as_posix() for p in SHARED.rglob("*.json"))


def summarize(facts: PatientFacts) -> set[str]:
    """One line per fact (and per warning type), e.g. 'stage clinical T T3'."""
    lines: set[str] = set()
    for fact in facts.facts:
        match fact:
            case StageFact():
                lines.add(f"stage {fact.context} {fact.category} {fact.value}")
            case MetastasisFact():
                lines.add(f"metastasis {'present' if fact.present else 'absent'} {fact.site}")
            case PerformanceFact():
                lines.add(f"{fact.scale} {fact.value} {fact.read_from}")
            case LabFact():
                lines.add(f"lab {fact.analyte} {fact.value:.4g} {fact.unit}")
                lines.add(
                    f"uln {fact.analyte} {fact.reference_high and round(fact.reference_high, 2)}"
                )
            case AgeFact():
                lines.add(f"age {fact.years_min}-{fact.years_max}")
            case PrimaryCancerFact():
                lines.add(f"primary {fact.site} {fact.histology}")
            case PathologyFeatureFact():
                lines.add(f"{fact.feature} {'present' if fact.present else 'absent'}")
            case PregnancyFact():
                lines.add(f"pregnant {fact.pregnant}")
            case TreatmentFact():
                lines.add(f"treatment {fact.category}")
    lines.update(f"warning {w.code}" for w in facts.warnings)
    return lines


EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    # file: (lines that must be there, lines that must not)
    "ctms/eom_patient_1.json": (
        {
            "stage clinical T T3",
            "stage clinical N N3",
            "stage clinical M M0",
            "stage clinical group IV",
            "metastasis present lung",
            "metastasis absent None",
            "ecog 3 code",
            "karnofsky 30 derived",
            "age 39-39",
            "primary breast carcinoma",  # SNOMED 372137005; histology 1187425009 Carcinoma
        },
        {
            "warning bundle.foreign_subject",
            "warning condition.unmapped_site",
            "warning cancer.unknown_histology",
        },
    ),
    "ctms/patient_data.json": (
        {
            "stage clinical group IIIA",
            "stage pathological group IIIA",
            "stage clinical group III",
            "ecog 3 code",
            "karnofsky 90 code",
            "metastasis present other",
            "treatment radiotherapy",
            "treatment surgery",
            "age 60-60",
            "warning bundle.foreign_subject",
            "warning bundle.duplicate_resource",
            "warning resource.unreadable",  # HER2/ER observations with two value[x]
        },
        {"ecog 0 derived", "karnofsky 30 derived"},  # both scales recorded: none derived
    ),
    "ctms/patient_data_missing_birthdate_invalid_ecog_karnofsky.json": (
        {"warning patient.no_birth_date", "warning performance.invalid_value"},
        {"ecog -1 code", "karnofsky -1 code"},
    ),
    "mcode-extraction/csv-cancer-disease-status-bundle.json": (
        {"warning observation.not_read"},
        set(),
    ),
    "mcode-extraction/csv-condition-bundle.json": (
        {"primary tongue None", "warning resource.invalid_element"},  # ICD-10 C02.0
        {"warning condition.unmapped_site"},
    ),
    "mcode-extraction/csv-staging-bundle.json": (
        {
            "stage clinical T T3",
            "stage clinical N N3",
            "stage clinical M M0",
            "stage clinical group IIIC",
        },
        set(),
    ),
    "mcode-stu1/Condition-mCODEPrimaryCancerConditionExample01.json": (
        # SNOMED 254637007 non-small cell lung cancer, ICD-O-3 histology adenocarcinoma
        {"primary lung adenocarcinoma", "warning staging.unknown_context"},
        {"warning condition.unmapped_site"},
    ),
    "mcode-stu1/Condition-mCODESecondaryCancerConditionExample01.json": (
        {"metastasis present brain"},
        set(),
    ),
    "mcode-stu1/Observation-mCODECancerDiseaseStatusExample01.json": (
        {"warning observation.not_read"},
        set(),
    ),
    # STK11 (HGNC:11389) is not a gene trialmatch tracks: read, and nothing to say.
    "mcode-stu1/Observation-mCODECancerGeneticVariantExample01.json": (set(), set()),
    "mcode-stu1/Observation-mCODEECOGPerformanceStatusExample01.json": (
        {"ecog 0 code", "karnofsky 90 derived"},
        set(),
    ),
    "mcode-stu1/Observation-mCODEKarnofskyPerformanceStatusExample01.json": (
        {"karnofsky 90 code", "ecog 0 derived"},
        set(),
    ),
    "mcode-stu1/Observation-mCODETNMClinicalDistantMetastasesCategoryExample01.json": (
        {"stage clinical M M0", "metastasis absent None"},
        set(),
    ),
    "mcode-stu1/Observation-mCODETNMClinicalPrimaryTumorCategoryExample01.json": (
        {"stage clinical T T3"},
        set(),
    ),
    "mcode-stu1/Observation-mCODETNMClinicalRegionalNodesCategoryExample01.json": (
        {"stage clinical N N3"},
        set(),
    ),
    "mcode-stu1/Observation-mCODETNMClinicalStageGroupExample01.json": (
        {"stage clinical group IIIC"},
        set(),
    ),
    "mcode-stu1/Observation-mCODETNMPathologicalDistantMetastasesCategoryExample01.json": (
        {"stage pathological M M0"},
        {"stage clinical M M0"},
    ),
    "mcode-stu1/Observation-mCODETNMPathologicalPrimaryTumorCategoryExample01.json": (
        {"stage pathological T T3"},
        {"stage clinical T T3"},
    ),
    "mcode-stu1/Observation-mCODETNMPathologicalRegionalNodesCategoryExample01.json": (
        {"stage pathological N N3"},
        set(),
    ),
    "mcode-stu1/Observation-mCODETNMPathologicalStageGroupExample01.json": (
        {"stage pathological group IIIC"},
        set(),
    ),
    "mii-onko/Observation-mii-exa-onko-tnm-klassifikation-uT2a2pN0023i-sncM1.json": (
        {"stage pathological group IVC"},
        set(),
    ),
    "mii-onko/Observation-mii-exa-onko-tnm-l-kategorie-L1.json": (
        {"lymphatic_invasion present", "lymphovascular_invasion present"},
        set(),
    ),
    "mii-onko/Observation-mii-exa-onko-tnm-pn-kategorie-Pn1.json": (
        {"perineural_invasion present"},
        {"lymphovascular_invasion present"},
    ),
    "mii-onko/Observation-mii-exa-onko-tnm-t-kategorie-uT2a2.json": (
        {"stage clinical T T2a2"},
        set(),
    ),
    "mii-onko/Observation-mii-exa-onko-tnm-v-kategorie-V1.json": (
        {"venous_invasion present", "lymphovascular_invasion present"},
        set(),
    ),
    "us-core/Observation-serum-total-bilirubin.json": (
        {
            "lab bilirubin_total 147.1 umol/L",
            "uln bilirubin_total 119.73",
            "warning lab.unit_not_coded",
        },
        set(),
    ),
    "us-core/diagnosticreport-cbc.json": (set(), {"warning resource.unreadable"}),
    "us-core/observation-cbc-hemoglobin.json": (
        {"lab hemoglobin 170 g/L", "uln hemoglobin 215.0"},
        set(),
    ),
    "us-core/observation-cbc-leukocytes.json": (
        {"lab white_cells 10 10*9/L", "uln white_cells 11.0"},
        set(),
    ),
    "us-core/observation-cbc-platelets.json": (
        {"lab platelets 200 10*9/L", "uln platelets 450.0"},
        set(),
    ),
    "us-core/observation-pregnancy-status.json": ({"pregnant True"}, set()),
    "us-core/observation-serum-creatinine.json": (
        {"lab creatinine 88.4 umol/L", "uln creatinine 53.04"},
        set(),
    ),
}


def as_bundle(data: dict[str, Any]) -> dict[str, Any]:
    entries = data.get("entry", []) if data["resourceType"] == "Bundle" else [{"resource": data}]
    if any(e["resource"]["resourceType"] == "Patient" for e in entries):
        return data
    subject = next((e["resource"].get("subject", {}).get("reference") for e in entries), None)
    pid = (subject or "Patient/added").rsplit("/", 1)[-1].removeprefix("urn:uuid:")
    added = {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1960"}
    full_url = subject if subject and subject.startswith("urn:") else f"Patient/{pid}"
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": full_url, "resource": added}, *entries],
    }


def test_every_shared_fixture_has_expectations() -> None:
    assert set(FILES) == set(EXPECTED)
    assert (SHARED / "SOURCES.md").is_file()


@pytest.mark.parametrize("name", FILES)
def test_shared_fixture_is_read_and_holds_its_facts(name: str) -> None:
    facts = normalize(read_bundle(as_bundle(load(SHARED / name))), AS_OF)
    lines = summarize(facts)
    present, absent = EXPECTED[name]
    assert present <= lines, sorted(present - lines)
    assert not absent & lines, sorted(absent & lines)


def test_missing_birthdate_and_invalid_scores_give_no_age_and_no_performance() -> None:
    path = SHARED / "ctms/patient_data_missing_birthdate_invalid_ecog_karnofsky.json"
    facts = normalize(read_bundle(Path(path).read_bytes()), AS_OF)
    assert facts.age() is None
    assert facts.performance("ecog") is None
    assert facts.performance("karnofsky") is None
    invalid = [w for w in facts.warnings if w.code == "performance.invalid_value"]
    assert {w.source for w in invalid} == {
        "Observation/mCODEECOGPerformanceStatusExample",
        "Observation/mCODEKarnofskyPerformanceStatusExample",
    }


def test_eom_patient_accessors_pick_the_clinical_stage() -> None:
    facts = normalize(read_bundle((SHARED / "ctms/eom_patient_1.json").read_bytes()), AS_OF)
    assert facts.stage("clinical", "T").value == "T3"  # type: ignore[union-attr]
    assert facts.stage("pathological", "T") is None
    assert facts.performance("ecog").value == 3  # type: ignore[union-attr]
    assert facts.stage("clinical", "T").sources == [  # type: ignore[union-attr]
        "Observation/tnm-clinical-primary-tumor-category-cT3"
    ]
