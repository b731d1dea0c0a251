"""NCT06043999 (salvage CRT vs TME after local excision): every criterion, FHIR in.

For each computable criterion a Bundle that makes it fail (an exclusion: trigger it) and
one that leaves it unknown, each a change of one fact to the trial's eligible patient
(`patients.rectal_after_tem`), posted through the pipeline of ``POST /v1/match``.
"""

from __future__ import annotations

import pytest

from tests.factories import ICD10
from tests.scenarios import patients as p
from tests.scenarios.charts import MRI_PELVIS, PATHOLOGY_REPORT, SIGMOID_COLON, Chart, coding
from tests.scenarios.scenario import Scenario, check, params

TRIAL = "NCT06043999"
TNM = ("21905-5", "21906-3", "21907-1")


def base() -> Chart:
    return p.rectal_after_tem()


def aged_81() -> Chart:
    chart = base()
    chart.patient["birthDate"] = "1945-01-10"
    return chart


def no_birth_date() -> Chart:
    chart = base()
    del chart.patient["birthDate"]
    return chart


def tme_without_local_excision() -> Chart:
    chart = base().drop_type("Procedure")
    chart.procedure(
        None, "Laparoscopic low anterior resection with total mesorectal excision", "2026-09-15"
    )
    return chart


def no_procedure_recorded() -> Chart:
    return base().drop_type("Procedure")


def rectal_squamous_cell_carcinoma() -> Chart:
    chart = base().drop(lambda r: r["resourceType"] not in ("Condition", "DiagnosticReport"))
    chart.primary_cancer(
        p.RECTUM_US, "Squamous cell carcinoma of the rectum", onset="2026-08-20", histology=p.SCC
    )
    chart.report(
        PATHOLOGY_REPORT,
        "2026-09-22",
        "TEM specimen: squamous cell carcinoma, poorly differentiated, greatest "
        "dimension 2.5 cm. pT1 sm3, lymphovascular invasion present. Margins clear (R0).",
    )
    return chart


def _pathology(text: str) -> Chart:
    chart = base().drop_type("DiagnosticReport")
    chart.report(
        MRI_PELVIS,
        "2026-08-25",
        "Staging MRI: lower edge of the tumour 7 cm from the anal verge. mrT1N0.",
        category="RAD",
    )
    chart.report(PATHOLOGY_REPORT, "2026-09-22", text)
    return chart


def histology_unrecorded() -> Chart:
    chart = base().drop(lambda r: r["resourceType"] not in ("Condition", "DiagnosticReport"))
    chart.primary_cancer(p.RECTUM_US, "Rectal cancer", onset="2026-08-20")
    return chart


def pt2_after_tem() -> Chart:
    return _pathology(
        "TEM specimen: adenocarcinoma, poorly differentiated, greatest dimension "
        "2.5 cm. pT2, lymphovascular invasion present. Margins clear (R0)."
    )


def size_unrecorded() -> Chart:
    return _pathology(
        "TEM specimen: adenocarcinoma, poorly differentiated. pT1 sm3, "
        "lymphovascular invasion present. Margins clear (R0)."
    )


def small_low_risk_pt1() -> Chart:
    return _pathology(
        "TEM specimen: adenocarcinoma, well differentiated, greatest dimension "
        "2.0 cm. pT1 sm1, no lymphovascular invasion, no perineural invasion. "
        "Margins clear (R0)."
    )


def risk_features_unreported() -> Chart:
    return _pathology(
        "TEM specimen: adenocarcinoma, moderately differentiated, greatest "
        "dimension 2.0 cm. pT1. Margins clear (R0)."
    )


def _verge(cm: float | None) -> Chart:
    chart = base().drop_codes("33748-5").drop(lambda r: r["code"].get("coding") != [MRI_PELVIS])
    if cm is not None:
        chart.anal_verge(cm, "2026-08-25")
        chart.report(
            MRI_PELVIS,
            "2026-08-25",
            f"Staging MRI: lower edge of the tumour {cm:g} cm from the anal verge. mrT1N0.",
            category="RAD",
        )
    return chart


def node_positive_at_diagnosis() -> Chart:
    chart = base().drop_codes(*TNM).drop(lambda r: r["code"].get("coding") != [MRI_PELVIS])
    chart.clinical_tnm("cT1", "cN1", "cM0", "2026-08-28")
    return chart


def staging_unrecorded() -> Chart:
    return base().drop_codes(*TNM).drop(lambda r: r["code"].get("coding") != [MRI_PELVIS])


def synchronous_sigmoid_cancer() -> Chart:
    chart = base()
    chart.primary_cancer(
        SIGMOID_COLON, "Sigmoid adenocarcinoma", onset="2026-08-22", histology=p.ADENO
    )
    return chart


def second_colon_tumour_in_text_only() -> Chart:
    chart = base()
    chart.condition(None, "Second tumour in the sigmoid colon, biopsy taken", onset="2026-08-22")
    return chart


def breast_cancer_history() -> Chart:
    chart = base()
    chart.condition(
        [coding(ICD10, "C50.9", "Malignant neoplasm of breast, unspecified")],
        "Breast cancer 2015, treated",
        onset="2015-03-01",
        status="resolved",
    )
    return chart


def breast_cancer_text_only() -> Chart:
    chart = base()
    chart.condition(
        None,
        "History of carcinoma of the left breast, treated 2015",
        onset="2015-03-01",
        status="resolved",
    )
    return chart


def breast_cancer_this_year() -> Chart:
    chart = base()
    chart.condition(
        [coding(ICD10, "C50.9", "Malignant neoplasm of breast, unspecified")],
        "Breast cancer",
        onset="2026-06-01",
    )
    return chart


def ulcerative_colitis() -> Chart:
    chart = base()
    chart.condition(
        [coding(ICD10, "K51.90", "Ulcerative colitis, unspecified")],
        "Ulcerative colitis",
        onset="2009-05-01",
    )
    return chart


def crohns_in_text_only() -> Chart:
    chart = base()
    chart.condition(None, "Crohn's disease (outside records)", onset="2011-01-01")
    return chart


def ecog_3() -> Chart:
    chart = base().drop_codes("89247-1")
    chart.ecog(3, "2026-11-02")
    return chart


def ecog_unrecorded() -> Chart:
    return base().drop_codes("89247-1")


def schizophrenia() -> Chart:
    chart = base()
    chart.condition(
        [coding(ICD10, "F20.9", "Schizophrenia, unspecified")], "Schizophrenia", onset="2001-01-01"
    )
    return chart


def woman_with_no_pregnancy_record() -> Chart:
    return p.as_woman(base())


def pregnant_woman() -> Chart:
    return p.pregnant(base())


SCENARIOS = [
    Scenario("rectal_aged_81", TRIAL, "inc-1", aged_81, "fail", None, "ineligible"),
    Scenario(
        "rectal_no_birth_date",
        TRIAL,
        "inc-1",
        no_birth_date,
        "unknown",
        "data",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_tme_without_local_excision",
        TRIAL,
        "inc-2.a",
        tme_without_local_excision,
        "fail",
        None,
        "ineligible",
    ),
    Scenario(
        "rectal_no_procedure_recorded",
        TRIAL,
        "inc-2.a",
        no_procedure_recorded,
        "unknown",
        "data",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_squamous_cell_carcinoma",
        TRIAL,
        "inc-2.b",
        rectal_squamous_cell_carcinoma,
        "fail",
        None,
        "ineligible",
    ),
    Scenario(
        "rectal_histology_unrecorded",
        TRIAL,
        "inc-2.b",
        histology_unrecorded,
        "unknown",
        "data",
        "possibly_eligible",
    ),
    Scenario("rectal_pt2_after_tem", TRIAL, "inc-2.c", pt2_after_tem, "fail", None, "ineligible"),
    Scenario(
        "rectal_tumour_size_unrecorded",
        TRIAL,
        "inc-2.c",
        size_unrecorded,
        "unknown",
        "data",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_small_low_risk_pt1",
        TRIAL,
        "inc-2.d",
        small_low_risk_pt1,
        "fail",
        None,
        "ineligible",
    ),
    Scenario(
        "rectal_risk_features_unreported",
        TRIAL,
        "inc-2.d",
        risk_features_unreported,
        "unknown",
        "data",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_12_cm_from_verge_on_mri",
        TRIAL,
        "inc-3",
        lambda: _verge(12.0),
        "fail",
        None,
        "ineligible",
    ),
    Scenario(
        "rectal_verge_distance_unrecorded",
        TRIAL,
        "inc-3",
        lambda: _verge(None),
        "unknown",
        "data",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_node_positive_at_diagnosis",
        TRIAL,
        "inc-4",
        node_positive_at_diagnosis,
        "fail",
        None,
        "ineligible",
    ),
    Scenario(
        "rectal_clinical_staging_unrecorded",
        TRIAL,
        "inc-4",
        staging_unrecorded,
        "unknown",
        "data",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_synchronous_sigmoid_cancer",
        TRIAL,
        "inc-5",
        synchronous_sigmoid_cancer,
        "fail",
        None,
        "ineligible",
    ),
    Scenario(
        "rectal_second_colon_tumour_in_text_only",
        TRIAL,
        "inc-5",
        second_colon_tumour_in_text_only,
        "unknown",
        "review",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_breast_cancer_history",
        TRIAL,
        "exc-1",
        breast_cancer_history,
        "fail",
        None,
        "ineligible",
    ),
    Scenario(
        "rectal_breast_cancer_text_only",
        TRIAL,
        "exc-1",
        breast_cancer_text_only,
        "unknown",
        "review",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_ulcerative_colitis", TRIAL, "exc-3", ulcerative_colitis, "fail", None, "ineligible"
    ),
    Scenario(
        "rectal_crohns_in_text_only",
        TRIAL,
        "exc-3",
        crohns_in_text_only,
        "unknown",
        "review",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_breast_cancer_this_year",
        TRIAL,
        "exc-4",
        breast_cancer_this_year,
        "unknown",
        "review",
        "ineligible",
    ),
    Scenario(
        "rectal_unclassified_snomed_condition",
        TRIAL,
        "exc-4",
        lambda: p.with_unclassified_snomed(base()),
        "unknown",
        "review",
        "possibly_eligible",
    ),
    Scenario("rectal_ecog_3", TRIAL, "exc-5.b", ecog_3, "fail", None, "ineligible"),
    Scenario(
        "rectal_ecog_unrecorded",
        TRIAL,
        "exc-5.b",
        ecog_unrecorded,
        "unknown",
        "data",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_schizophrenia",
        TRIAL,
        "exc-7",
        schizophrenia,
        "unknown",
        "review",
        "possibly_eligible",
    ),
    Scenario(
        "rectal_unclassified_text_condition",
        TRIAL,
        "exc-7",
        lambda: p.with_unclassified_text(base()),
        "unknown",
        "review",
        "possibly_eligible",
    ),
    Scenario("rectal_pregnant_woman", TRIAL, "exc-8", pregnant_woman, "fail", None, "ineligible"),
    Scenario(
        "rectal_woman_no_pregnancy_record",
        TRIAL,
        "exc-8",
        woman_with_no_pregnancy_record,
        "unknown",
        "data",
        "possibly_eligible",
    ),
]
REVIEW_ONLY = ["inc-6", "inc-7", "exc-2", "exc-5.a", "exc-6", "exc-9"]


@pytest.mark.parametrize("scenario", params(SCENARIOS))
def test_scenario(scenario: Scenario) -> None:
    check(scenario)


def test_the_eligible_patient_is_eligible_in_both_hospital_styles() -> None:
    for build in (p.rectal_after_tem, p.german_rectal_after_tem):
        check(Scenario("eligible", TRIAL, "inc-4", build, "pass", None, "eligible"))


@pytest.mark.parametrize("criterion_id", REVIEW_ONLY)
def test_review_only_criteria_are_routine_and_never_decided(criterion_id: str) -> None:
    """Consent, fitness for surgery, ASA: for a person, listed, and the trial stays eligible."""
    check(Scenario("eligible", TRIAL, criterion_id, base, "unknown", "review", "eligible"))


def test_every_criterion_has_a_scenario() -> None:
    from tests.scenarios.pipeline import seed_library

    ids = {c.id for c in seed_library().trials[TRIAL].trial.criteria}
    covered = {s.criterion for s in SCENARIOS} | set(REVIEW_ONLY)
    assert ids <= covered, ids - covered
