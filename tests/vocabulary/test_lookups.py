"""Lookups by code: ICD-10 by prefix and range on the normalized code, ICD-O-3, SNOMED."""

from __future__ import annotations

import pytest

from app.vocabulary import conditions, histology, labs, sites
from app.vocabulary.icd10 import Selector, normalize


def test_icd10_codes_are_normalized_before_matching() -> None:
    assert normalize(" c18.7 ") == normalize("C187") == "C187"
    assert Selector.parse("I20-I25").matches("I214")
    assert not Selector.parse("I20-I25").matches("I26")
    assert Selector.parse("C18.7").matches(normalize("C18.7"))
    assert not Selector.parse("C18.7").matches("C18")  # a shorter code is not inside it


@pytest.mark.parametrize(
    ("code", "site", "behavior"),
    [
        ("C18.7", "colon", "malignant"),  # sigmoid colon
        ("C187", "colon", "malignant"),
        ("C18.1", "appendix", "malignant"),
        ("C19", "rectosigmoid", "malignant"),
        ("C20", "rectum", "malignant"),
        ("C21.1", "anus", "malignant"),  # anal canal: not rectum
        ("C34.1", "lung", "malignant"),
        ("C50.912", "breast", "malignant"),  # ICD-10-CM subcode
        ("C25.0", "pancreas", "malignant"),
        ("C61", "prostate", "malignant"),
        ("C92.0", "leukemia", "malignant"),
        ("C80.1", "unknown_primary", "malignant"),
        ("D01.2", "rectum", "in_situ"),
        ("D05.1", "breast", "in_situ"),
        ("C97", None, "malignant"),  # multiple independent primaries: not placed
        ("D01.4", None, "in_situ"),
    ],
)
def test_icd10_primary_sites(code: str, site: str | None, behavior: str) -> None:
    assert sites.for_icd10(code) == sites.Placement(site, behavior)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["C78.7", "C79.51", "C77.2", "Z85.038", "K51.9", "D12.6"])
def test_codes_that_are_no_primary_site(code: str) -> None:
    assert sites.for_icd10(code) is None


def test_history_of_malignancy_is_a_prior_cancer() -> None:
    assert sites.is_history_code("Z85.038")
    assert conditions.for_icd10("Z85.038") == "malignancy"


def test_icdo3_topography_and_snomed_sites() -> None:
    assert sites.for_topography("C20.9") == "rectum"
    assert sites.for_topography("C18.7") == "colon"
    assert sites.for_topography("C77.2") is None  # lymph nodes: a secondary site
    assert sites.for_topography("8140/3") is None
    assert sites.for_snomed("254637007") == "lung"
    assert sites.for_snomed("254837009") == "breast"


@pytest.mark.parametrize(
    ("code", "family", "behavior"),
    [
        ("8140/3", "adenocarcinoma", "malignant"),
        ("8480/3", "mucinous_adenocarcinoma", "malignant"),
        ("8490/3", "signet_ring_cell_carcinoma", "malignant"),
        ("8041/3", "small_cell_carcinoma", "malignant"),
        ("8070/3", "squamous_cell_carcinoma", "malignant"),
        ("8170/3", "hepatocellular_carcinoma", "malignant"),
        ("8500/3", "ductal_carcinoma", "malignant"),
        ("8936/3", "gist", "malignant"),
        ("9680/3", "lymphoma", "malignant"),
        ("8140/2", "adenocarcinoma", "in_situ"),
        ("8140/6", "adenocarcinoma", "metastatic"),
        ("9999/3", None, "malignant"),
    ],
)
def test_morphology_families(code: str, family: str | None, behavior: str) -> None:
    assert histology.for_morphology(code) == histology.Morphology(family, behavior)


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("I21.4", "myocardial_infarction"),
        ("I25.2", "myocardial_infarction"),
        ("I25.10", "ischemic_heart_disease"),
        ("I20.0", "unstable_angina"),
        ("I48.91", "arrhythmia"),
        ("I10", "hypertension"),
        ("I63.9", "cerebrovascular_disease"),
        ("G45.9", "cerebrovascular_disease"),
        ("I34.0", "cardiovascular_disease"),  # mitral valve disease: only the parent
        ("J84.10", "interstitial_lung_disease"),
        ("M05.79", "autoimmune_disease"),
        ("M32.9", "connective_tissue_disease"),
        ("A41.9", "bacterial_infection"),
        ("A15.0", "tuberculosis"),
        ("B37.0", "fungal_infection"),
        ("U07.1", "viral_infection"),
        ("B20", "hiv"),
        ("Z94.0", "organ_transplant"),
        ("Z94.5", None),  # skin graft: not an organ
        ("F41.1", "psychiatric_illness"),
        ("F32.9", "mental_illness"),
        ("D09.0", "carcinoma_in_situ"),
    ],
)
def test_condition_categories_by_icd10(code: str, category: str | None) -> None:
    assert conditions.for_icd10(code) == category


def test_condition_categories_by_snomed_and_words() -> None:
    assert conditions.for_snomed("49436004") == "arrhythmia"
    assert conditions.for_snomed("266257000") == "cerebrovascular_disease"
    assert conditions.for_text("Transient ischemic attack in 2019") == "cerebrovascular_disease"
    assert conditions.for_text("heart failure with reduced EF") == "heart_failure"
    assert conditions.for_text("appendectomy") is None


def test_lab_catalogue() -> None:
    assert labs.analyte_for_loinc("751-8") == labs.analyte_for_loinc("26499-4") == "neutrophils"
    assert labs.analyte("creatinine").molar_mass == pytest.approx(113.12)
    assert labs.spelling("neutrophils", "K/uL") == "10*3/uL"
    assert labs.spelling("albumin", "K/uL") == "K/uL"
    required = {
        "neutrophils", "white_cells", "lymphocytes", "hemoglobin", "platelets", "creatinine",
        "creatinine_clearance", "egfr", "bilirubin_total", "bilirubin_direct", "alt", "ast",
        "alkaline_phosphatase", "albumin", "inr", "prothrombin_time", "aptt", "ldh", "cea",
        "ca19_9", "afp", "psa", "potassium", "sodium", "calcium", "magnesium", "glucose",
        "hba1c", "tsh", "lipase", "urine_protein", "lvef",
    }  # fmt: skip
    assert required <= set(labs.names())
