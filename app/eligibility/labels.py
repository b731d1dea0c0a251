"""Plain-word names of fact values, for the reasons a clinician reads.

Example::

    >>> CONDITION_LABELS["hiv"]
    'HIV infection'
"""

from __future__ import annotations

from typing import Final

from app.facts.units import CANONICAL_UNIT

CONDITION_LABELS: Final[dict[str, str]] = {
    "inflammatory_bowel_disease": "inflammatory bowel disease",
    "familial_adenomatous_polyposis": "familial adenomatous polyposis",
    "hiv": "HIV infection",
    "hepatitis_b": "hepatitis B",
    "hepatitis_c": "hepatitis C",
    "syphilis": "syphilis",
    "malignancy": "malignancy",
    "non_melanoma_skin_cancer": "non-melanoma skin cancer",
    "myocardial_infarction": "myocardial infarction",
    "heart_failure": "heart failure",
    "unstable_angina": "unstable angina",
    "cardiovascular_disease": "cardiovascular disease",
    "peripheral_vascular_disease": "peripheral vascular disease",
    "pulmonary_hypertension": "pulmonary hypertension",
    "copd": "chronic obstructive pulmonary disease",
    "respiratory_failure": "respiratory failure",
    "hepatic_insufficiency": "hepatic insufficiency",
    "renal_insufficiency": "renal insufficiency",
    "coagulopathy": "coagulation disorder",
    "chronic_anemia": "chronic anemia",
    "leukopenia": "leukopenia",
    "thrombocytopenia": "thrombocytopenia",
    "immunodeficiency": "immune deficiency",
    "connective_tissue_disease": "connective tissue disease",
    "bacterial_infection": "bacterial infection",
    "fungal_infection": "fungal infection",
    "mental_illness": "mental illness",
    "cognitive_impairment": "cognitive impairment",
    "drug_abuse": "drug abuse",
    "alcohol_dependence": "alcohol dependence",
}

ANALYTE_LABELS: Final[dict[str, str]] = {
    "hemoglobin": "hemoglobin",
    "platelets": "platelets",
    "white_cells": "white cells",
    "alt": "ALT",
    "ast": "AST",
    "bilirubin_total": "total bilirubin",
    "creatinine": "creatinine",
    "cea": "CEA",
    "ca19_9": "CA 19-9",
}

# The unit each analyte's LabFact carries: declared once, by the facts.
CANONICAL_UNITS: Final = CANONICAL_UNIT

TREATMENT_LABELS: Final[dict[str, str]] = {
    "local_excision": "local excision",
    "total_mesorectal_excision": "total mesorectal excision",
    "surgery": "surgery",
    "radiotherapy": "radiotherapy",
    "chemotherapy": "chemotherapy",
    "immunotherapy": "immunotherapy",
    "chemoradiotherapy": "chemoradiotherapy",
}

FEATURE_LABELS: Final[dict[str, str]] = {
    "lymphovascular_invasion": "lymphovascular invasion",
    "lymphatic_invasion": "lymphatic invasion",
    "venous_invasion": "venous invasion",
    "perineural_invasion": "perineural invasion",
}

SCALE_LABELS: Final[dict[str, str]] = {"ecog": "ECOG", "karnofsky": "Karnofsky"}

CONTEXT_PREFIX: Final[dict[str, str]] = {
    "clinical": "c",
    "pathological": "p",
    "post_neoadjuvant": "yp",
}


def label_list(values: list[str], labels: dict[str, str] | None = None, joiner: str = "or") -> str:
    """'a', 'a or b', 'a, b or c' with each value named by `labels` when given."""
    named = [labels.get(v, v) if labels else v.replace("_", " ") for v in values]
    if len(named) <= 1:
        return "".join(named)
    return f"{', '.join(named[:-1])} {joiner} {named[-1]}"
