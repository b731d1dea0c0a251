"""The vocabulary at the FHIR level: Bundles of Conditions and Observations in, facts out,
and the verdicts criteria give on them (sites, histologies, comorbidities, lab units)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from app.eligibility.language import Rule
from app.eligibility.logic import Truth
from app.eligibility.operators import compile_rule
from app.eligibility.view import PatientView
from app.facts.model import ConditionFact, PatientFacts, PrimaryCancerFact
from tests.factories import (
    SNOMED,
    concept,
    condition,
    facts_of,
    lab,
    observation,
    warning_codes,
)

ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10_GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
ICD_O_3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
HISTOLOGY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
RULE: TypeAdapter[Any] = TypeAdapter(Rule)
T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


def verdict(rule: dict[str, Any], facts: PatientFacts) -> Truth:
    return compile_rule(RULE.validate_python(rule))(PatientView(facts)).truth


def cancer_with_morphology(morphology: str, site_code: str = "C18.7") -> dict[str, Any]:
    return condition(
        ICD10_CM,
        site_code,
        onsetDateTime="2026-06-01",
        extension=[{"url": HISTOLOGY, "valueCodeableConcept": concept(ICD_O_3, morphology)}],
    )


def only_primary(facts: PatientFacts) -> PrimaryCancerFact:
    (primary,) = facts.primary_cancers()
    return primary


# --- sites ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "code", "site"),
    [
        (ICD10_CM, "C50.9", "breast"),
        (ICD10_CM, "C34.1", "lung"),
        (SNOMED, "254637007", "lung"),  # non-small cell lung cancer
        (ICD10_CM, "C25.0", "pancreas"),
        (ICD10_CM, "C21.1", "anus"),  # anal canal: not rectum
        (ICD10_CM, "C18.7", "colon"),  # sigmoid colon
        (ICD10_GM, "C18.7", "colon"),
        (ICD10_GM, "C19", "rectosigmoid"),
        (ICD_O_3, "C20.9", "rectum"),  # ICD-O-3 topography
    ],
)
def test_a_cancer_condition_is_placed_at_its_site(system: str, code: str, site: str) -> None:
    facts = facts_of(condition(system, code, onsetDateTime="2026-06-01"))
    primary = only_primary(facts)
    assert primary.site == site
    assert "condition.unmapped_site" not in warning_codes(facts)


def test_anal_canal_cancer_fails_a_rectal_criterion_and_sigmoid_passes_colorectal() -> None:
    anal = facts_of(condition(ICD10_CM, "C21.1"))
    sigmoid = facts_of(condition(ICD10_CM, "C18.7"))
    assert verdict({"op": "primary_cancer", "sites": ["rectum"]}, anal) is F
    assert verdict({"op": "primary_cancer", "sites": ["colorectal"]}, anal) is F
    assert verdict({"op": "primary_cancer", "sites": ["colorectal"]}, sigmoid) is T
    assert verdict({"op": "primary_cancer", "sites": ["colon"]}, sigmoid) is T
    assert verdict({"op": "primary_cancer", "sites": ["rectum"]}, sigmoid) is F


def test_a_cancer_code_that_cannot_be_placed_has_no_site_and_is_never_decided() -> None:
    facts = facts_of(condition(ICD10_CM, "C97"))  # multiple independent primaries
    primary = only_primary(facts)
    assert primary.site is None
    assert "condition.unmapped_site" in warning_codes(facts, primary.sources[0])
    for sites in (["rectum"], ["esophagus", "colon"]):
        assert verdict({"op": "primary_cancer", "sites": sites}, facts) is U
    other = {"op": "other_malignancy", "index_sites": ["rectum"]}
    assert verdict(other, facts) is U


def test_history_of_cancer_is_a_prior_malignancy_not_the_primary() -> None:
    facts = facts_of(condition(ICD10_CM, "Z85.038", onsetDateTime="2015-01-01"))
    assert facts.primary_cancers() == []
    (prior,) = facts.conditions("malignancy")
    assert prior.codes == ["ICD-10|Z85.038"]
    assert verdict({"op": "primary_cancer", "sites": ["colon"]}, facts) is U
    assert verdict({"op": "other_malignancy", "index_sites": ["rectum"]}, facts) is T


def test_carcinoma_in_situ_is_read_at_its_site_with_behaviour_in_situ() -> None:
    facts = facts_of(condition(ICD10_CM, "D01.2"))
    primary = only_primary(facts)
    assert (primary.site, primary.behavior) == ("rectum", "in_situ")
    assert facts.conditions("malignancy") == []
    (cis,) = facts.conditions("carcinoma_in_situ")
    assert cis.sources == primary.sources


def test_an_in_situ_cancer_excepted_by_the_criterion_is_not_another_malignancy() -> None:
    facts = facts_of(condition(ICD10_CM, "C20"), condition(ICD10_CM, "D05.1"))
    plain = {"op": "other_malignancy", "index_sites": ["rectum"]}
    excepting = {**plain, "except_categories": ["carcinoma_in_situ"]}
    assert verdict(plain, facts) is T
    assert verdict(excepting, facts) is F


def test_a_skin_carcinoma_is_non_melanoma_skin_cancer_and_excepted_by_that_name() -> None:
    facts = facts_of(condition(ICD10_CM, "C20"), condition(ICD10_CM, "C44.91"))
    skin = next(p for p in facts.primary_cancers() if p.site == "skin")
    (history,) = facts.conditions("non_melanoma_skin_cancer")
    assert history.sources == skin.sources
    plain = {"op": "other_malignancy", "index_sites": ["rectum"]}
    excepting = {**plain, "except_categories": ["non_melanoma_skin_cancer"]}
    assert verdict(plain, facts) is T
    assert verdict(excepting, facts) is F
    # ... and it is still a malignancy for a criterion on any cancer.
    assert verdict({"op": "condition", "categories": ["malignancy"]}, facts) is T


# --- histology -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("morphology", "histology", "behavior"),
    [
        ("8140/3", "adenocarcinoma", "malignant"),
        ("8480/3", "mucinous_adenocarcinoma", "malignant"),
        ("8041/3", "small_cell_carcinoma", "malignant"),
        ("8070/3", "squamous_cell_carcinoma", "malignant"),
        ("8170/3", "hepatocellular_carcinoma", "malignant"),
    ],
)
def test_histology_from_the_mcode_extension(morphology: str, histology: str, behavior: str) -> None:
    primary = only_primary(facts_of(cancer_with_morphology(morphology)))
    assert (primary.histology, primary.behavior) == (histology, behavior)


def test_a_criterion_on_adenocarcinoma_accepts_a_mucinous_adenocarcinoma() -> None:
    facts = facts_of(cancer_with_morphology("8480/3"))
    assert verdict({"op": "primary_cancer", "histologies": ["adenocarcinoma"]}, facts) is T
    rule = {"op": "primary_cancer", "histologies": ["squamous_cell_carcinoma"]}
    assert verdict(rule, facts) is F
    # A criterion on the subtype, against the parent family only: not decided.
    parent = facts_of(cancer_with_morphology("8140/3"))
    rule = {"op": "primary_cancer", "histologies": ["mucinous_adenocarcinoma"]}
    assert verdict(rule, parent) is U


def test_lung_adenocarcinoma_is_non_small_cell_and_small_cell_is_not() -> None:
    nsclc = {"op": "primary_cancer", "histologies": ["non_small_cell_carcinoma"]}
    assert verdict(nsclc, facts_of(cancer_with_morphology("8140/3", "C34.1"))) is T
    assert verdict(nsclc, facts_of(cancer_with_morphology("8041/3", "C34.1"))) is F
    # Outside the lung an adenocarcinoma is not called non-small cell.
    assert verdict(nsclc, facts_of(cancer_with_morphology("8140/3", "C18.7"))) is F


def test_an_unknown_morphology_is_no_histology_and_a_warning_never_other() -> None:
    facts = facts_of(cancer_with_morphology("9999/3"))
    primary = only_primary(facts)
    assert primary.histology is None
    assert "cancer.unknown_histology" in warning_codes(facts)
    assert verdict({"op": "primary_cancer", "histologies": ["adenocarcinoma"]}, facts) is U


def test_histology_from_a_loinc_59847_4_observation_about_the_condition() -> None:
    cancer = condition(ICD10_CM, "C20", onsetDateTime="2026-06-01")
    histology = observation(
        "59847-4",
        value_code=(ICD_O_3, "8480/3"),
        focus=[{"reference": f"Condition/{cancer['id']}"}],
    )
    facts = facts_of(cancer, histology)
    primary = only_primary(facts)
    assert (primary.histology, primary.behavior) == ("mucinous_adenocarcinoma", "malignant")
    assert f"Observation/{histology['id']}" in primary.sources


def test_a_histology_observation_about_another_condition_is_not_attached() -> None:
    rectal = condition(ICD10_CM, "C20")
    breast = condition(ICD10_CM, "C50.9")
    histology = observation(
        "59847-4",
        value_code=(ICD_O_3, "8500/3"),
        focus=[{"reference": f"Condition/{breast['id']}"}],
    )
    facts = facts_of(rectal, breast, histology)
    by_site = {p.site: p.histology for p in facts.primary_cancers()}
    assert by_site == {"rectum": None, "breast": "ductal_carcinoma"}


# --- comorbidities -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "code", "category"),
    [
        (ICD10_CM, "I21.4", "myocardial_infarction"),
        (ICD10_CM, "I48.91", "arrhythmia"),
        (ICD10_GM, "I63.9", "cerebrovascular_disease"),
        (SNOMED, "266257000", "cerebrovascular_disease"),  # TIA
        (ICD10_CM, "I10", "hypertension"),
    ],
)
def test_a_cardiovascular_diagnosis_counts_as_cardiovascular_disease(
    system: str, code: str, category: str
) -> None:
    facts = facts_of(condition(system, code, onsetDateTime="2025-01-01"))
    (found,) = facts.of_kind(ConditionFact)
    assert found.category == category
    assert verdict({"op": "condition", "categories": ["cardiovascular_disease"]}, facts) is T
    assert verdict({"op": "condition", "categories": ["infection"]}, facts) is F


@pytest.mark.parametrize(
    ("code", "category"),
    [("A41.9", "bacterial_infection"), ("B44.1", "fungal_infection"), ("A15.0", "tuberculosis")],
)
def test_infections_count_as_infection(code: str, category: str) -> None:
    facts = facts_of(condition(ICD10_CM, code))
    assert [c.category for c in facts.of_kind(ConditionFact)] == [category]
    assert verdict({"op": "condition", "categories": ["infection"]}, facts) is T


# --- labs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value", "unit", "analyte", "canonical", "canonical_unit"),
    [
        ("751-8", 1.8, "10*3/uL", "neutrophils", 1.8, "10*9/L"),
        ("26499-4", 1.8, "/nL", "neutrophils", 1.8, "10*9/L"),
        ("751-8", 1.8, "K/uL", "neutrophils", 1.8, "10*9/L"),  # a US spelling of counts
        ("731-0", 1.1, "10*3/uL", "lymphocytes", 1.1, "10*9/L"),
        ("2160-0", 1.0, "mg/dL", "creatinine", 88.4017, "umol/L"),
        ("14682-9", 88.4, "umol/L", "creatinine", 88.4, "umol/L"),
        ("1751-7", 3.5, "g/dL", "albumin", 35.0, "g/L"),
        ("2345-7", 90, "mg/dL", "glucose", 4.9957, "mmol/L"),
        ("1968-7", 0.3, "mg/dL", "bilirubin_direct", 5.1312, "umol/L"),
        ("17861-6", 10.0, "mg/dL", "calcium", 2.4951, "mmol/L"),
        ("2823-3", 4.1, "mEq/L", "potassium", 4.1, "mmol/L"),
        ("3016-3", 2.5, "u[IU]/mL", "tsh", 2.5, "m[IU]/L"),
        ("6301-6", 1.1, "{INR}", "inr", 1.1, "1"),
        ("10230-1", 55, "%", "lvef", 55, "%"),
        ("2857-1", 4.2, "ng/mL", "psa", 4.2, "ug/L"),
    ],
)
def test_labs_are_read_in_their_canonical_unit(
    code: str, value: float, unit: str, analyte: str, canonical: float, canonical_unit: str
) -> None:
    facts = facts_of(lab(code, value, unit))
    found = facts.latest_lab(analyte)  # type: ignore[arg-type]
    assert found is not None, warning_codes(facts)
    assert found.value == pytest.approx(canonical, rel=1e-4)
    assert (found.unit, found.loinc) == (canonical_unit, code)


def test_hba1c_in_mmol_per_mol_is_not_converted_to_percent() -> None:
    facts = facts_of(lab("4548-4", 48, "mmol/mol"))
    assert facts.latest_lab("hba1c") is None
    assert "lab.unknown_unit" in warning_codes(facts)


def test_a_creatinine_criterion_in_mg_per_dl_decides_results_in_either_unit() -> None:
    rule = {"op": "lab", "analyte": "creatinine", "unit": "mg/dL", "lte": 1.5}
    assert verdict(rule, facts_of(lab("2160-0", 1.2, "mg/dL"))) is T
    assert verdict(rule, facts_of(lab("14682-9", 120, "umol/L"))) is T
    assert verdict(rule, facts_of(lab("14682-9", 150, "umol/L"))) is F
    assert verdict(rule, facts_of(lab("718-7", 12, "g/dL"))) is U


def test_an_anc_criterion_decides_a_neutrophil_count_in_per_nanolitre() -> None:
    rule = {"op": "lab", "analyte": "neutrophils", "unit": "10*9/L", "gte": 1.5}
    assert verdict(rule, facts_of(lab("26499-4", 1.8, "/nL"))) is T
    assert verdict(rule, facts_of(lab("751-8", 1.2, "10*3/uL"))) is F
    assert verdict(rule, facts_of()) is U
