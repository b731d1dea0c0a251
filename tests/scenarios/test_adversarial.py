"""The ways issue 10 found a patient the protocol excludes coming back eligible, as Bundles.

Each test posts a realistic record through the pipeline of ``POST /v1/match`` and holds
the verdict to the safety rule it is about.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.matching.models import CriterionVerdict, TrialMatch
from tests.factories import ICD10, SNOMED
from tests.scenarios import patients as p
from tests.scenarios.charts import BIOPSY_REPORT, MRI_PELVIS, Chart, coding
from tests.scenarios.pipeline import criterion, match, trial

RECTAL_TE, RECTAL_EARLY, ESOPHAGEAL = "NCT06043999", "NCT06949098", "NCT06122493"
BASES: dict[str, Callable[[], Chart]] = {
    RECTAL_TE: p.rectal_after_tem,
    RECTAL_EARLY: p.rectal_early_low,
    ESOPHAGEAL: p.esophageal_cn3,
}
RADIOTHERAPY = coding(SNOMED, "108290001", "Radiation oncology AND/OR radiotherapy")


def verdict_of(chart: Chart, nct_id: str, criterion_id: str) -> tuple[TrialMatch, CriterionVerdict]:
    found = trial(match(chart), nct_id)
    return found, criterion(found, criterion_id)


# --- Absence needs a complete reading -------------------------------------------------
# Every criterion whose pass rests on "no recorded X counts as absent" (a diagnosis).
ABSENCE_BASED = [
    (RECTAL_TE, "inc-5"),
    (RECTAL_TE, "exc-1"),
    (RECTAL_TE, "exc-3"),
    (RECTAL_TE, "exc-4"),
    (RECTAL_TE, "exc-7"),
    (RECTAL_EARLY, "exc-3"),
    (ESOPHAGEAL, "inc-5.b"),
    (ESOPHAGEAL, "exc-1"),
    (ESOPHAGEAL, "exc-4"),
    (ESOPHAGEAL, "exc-5.b"),
    (ESOPHAGEAL, "exc-5.c"),
    (ESOPHAGEAL, "exc-5.d"),
    (ESOPHAGEAL, "exc-5.e"),
    (ESOPHAGEAL, "exc-7.a"),
    (ESOPHAGEAL, "exc-7.b"),
    (ESOPHAGEAL, "exc-7.c"),
    (ESOPHAGEAL, "exc-7.d"),
    (ESOPHAGEAL, "exc-7.e"),
    (ESOPHAGEAL, "exc-7.f"),
]
UNCLASSIFIED = {"snomed_only": p.with_unclassified_snomed, "text_only": p.with_unclassified_text}


@pytest.mark.parametrize("style", sorted(UNCLASSIFIED))
@pytest.mark.parametrize(("nct_id", "criterion_id"), ABSENCE_BASED)
def test_an_unclassifiable_active_condition_leaves_absence_based_criteria_for_review(
    nct_id: str, criterion_id: str, style: str
) -> None:
    chart = UNCLASSIFIED[style](BASES[nct_id]())
    unclassified = f"Condition/{chart.resources[-1]['id']}"
    found, verdict = verdict_of(chart, nct_id, criterion_id)
    assert (verdict.outcome, verdict.needs) == ("unknown", "review")
    assert unclassified in verdict.evidence, "the review names the unclassified condition"
    assert found.status == "possibly_eligible"


@pytest.mark.parametrize("style", sorted(UNCLASSIFIED))
def test_an_unclassifiable_condition_is_not_dropped_without_a_warning(style: str) -> None:
    chart = UNCLASSIFIED[style](p.esophageal_cn3())
    unclassified = f"Condition/{chart.resources[-1]['id']}"
    response = match(chart)
    assert unclassified in {w.source for w in response.warnings}
    assert not any(
        "no readable code" in w.message for w in response.warnings if w.source == unclassified
    )


# --- A review raised by a recorded fact caps the trial ----------------------------------
def test_an_active_second_cancer_excludes_from_the_rectal_trial() -> None:
    chart = p.rectal_after_tem()
    chart.condition(
        [coding(ICD10, "C61", "Malignant neoplasm of prostate")],
        "Prostate cancer",
        onset="2025-06-01",
    )
    found, verdict = verdict_of(chart, RECTAL_TE, "exc-1")
    assert verdict.outcome == "fail"
    assert found.status == "ineligible"


def test_an_active_second_cancer_is_a_triggered_review_for_the_esophageal_trial() -> None:
    chart = p.esophageal_cn3()
    chart.condition(
        [coding(ICD10, "C61", "Malignant neoplasm of prostate")],
        "Prostate cancer",
        onset="2025-06-01",
    )
    found, verdict = verdict_of(chart, ESOPHAGEAL, "exc-1")
    assert (verdict.outcome, verdict.needs) == ("unknown", "review")
    assert f"Condition/{chart.resources[-1]['id']}" in verdict.evidence
    assert found.status == "possibly_eligible"


def test_hepatitis_b_is_a_triggered_review() -> None:
    chart = p.esophageal_cn3()
    chart.condition(
        [coding(SNOMED, "61977001", "Chronic type B viral hepatitis")],
        "Chronic hepatitis B",
        onset="2010-01-01",
    )
    found, verdict = verdict_of(chart, ESOPHAGEAL, "exc-5.d")
    assert (verdict.outcome, verdict.needs) == ("unknown", "review")
    assert found.status == "possibly_eligible"
    assert "exc-5.d" in found.review


def test_chronic_anemia_under_exceptions_may_be_considered_is_a_judgement() -> None:
    chart = p.esophageal_cn3().drop_codes("718-7")
    chart.lab("718-7", 9.0, "g/dL", "2026-11-10", low=12.0, high=16.0)
    chart.condition(
        [coding(SNOMED, "234347009", "Anemia of chronic disease")],
        "Anaemia of chronic disease",
        onset="2016-01-01",
    )
    found, verdict = verdict_of(chart, ESOPHAGEAL, "inc-6.a")
    assert (verdict.outcome, verdict.needs) == ("unknown", "review")
    assert found.status == "possibly_eligible"


def test_routine_reviews_alone_leave_the_trial_eligible() -> None:
    found = trial(match(p.esophageal_cn3()), ESOPHAGEAL)
    assert found.review and found.status == "eligible"


# --- Fresh enough to decide --------------------------------------------------------------
def _stale_labs() -> Chart:
    chart = p.esophageal_cn3().drop(lambda r: "laboratory" not in str(r.get("category")))
    chart.normal_labs("2026-03-20")
    return chart


def _stale_ecog() -> Chart:
    chart = p.esophageal_cn3().drop_codes("89247-1", "89243-0")
    chart.ecog(1, "2026-03-20")
    return chart


def _stale_staging() -> Chart:
    chart = p.rectal_early_low().drop_codes("21905-5", "21906-3", "21907-1")
    chart.drop(lambda r: r["code"].get("coding") != [MRI_PELVIS])
    chart.clinical_tnm("cT1", "cN0", "cM0", "2026-03-20")
    return chart


@pytest.mark.parametrize(
    ("build", "nct_id", "criterion_id"),
    [
        pytest.param(_stale_labs, ESOPHAGEAL, "inc-6.a", id="hemoglobin_8_months_old"),
        pytest.param(_stale_labs, ESOPHAGEAL, "inc-6.f", id="creatinine_8_months_old"),
        pytest.param(_stale_ecog, ESOPHAGEAL, "inc-5.a", id="ecog_8_months_old"),
        pytest.param(_stale_staging, RECTAL_EARLY, "inc-5", id="clinical_stage_8_months_old"),
    ],
)
def test_a_fact_8_months_old_is_shown_but_does_not_decide(
    build: Callable[[], Chart], nct_id: str, criterion_id: str
) -> None:
    found, verdict = verdict_of(build(), nct_id, criterion_id)
    assert (verdict.outcome, verdict.needs) == ("unknown", "data")
    assert verdict.evidence, "the old fact is shown"
    assert any("current" in m.lower() for m in verdict.missing_data)
    assert found.status == "possibly_eligible"


def test_a_newer_unreadable_result_never_yields_to_an_older_readable_one() -> None:
    chart = p.esophageal_cn3()  # hemoglobin 13.2 g/dL on 2026-11-01
    chart.lab("718-7", None, "g/dL", "2026-11-10", valueString="haemolysed sample, see comment")
    found, verdict = verdict_of(chart, ESOPHAGEAL, "inc-6.a")
    assert (verdict.outcome, verdict.needs) == ("unknown", "data")
    assert found.status == "possibly_eligible"


# --- Partial dates are ranges -------------------------------------------------------------
# exc-7.a: a myocardial infarction within the past 6 months (before 2026-11-23: 2026-05-23).
def _infarction(onset: str) -> Chart:
    chart = p.esophageal_cn3()
    chart.condition(
        [coding(ICD10, "I21.4", "Non-ST elevation myocardial infarction")],
        "NSTEMI",
        onset=onset,
        status="resolved",
    )
    return chart


@pytest.mark.parametrize(
    ("onset", "outcome", "needs"),
    [
        pytest.param(
            "2026-05",
            "unknown",
            "data",
            id="may_2026_straddles_the_window",
        ),
        pytest.param("2026-06", "fail", None, id="june_2026_wholly_inside"),
        pytest.param("2025-11", "pass", None, id="november_2025_wholly_outside"),
        pytest.param(
            "2026",
            "unknown",
            "data",
            id="year_2026_straddles_the_window",
        ),
    ],
)
def test_a_partial_onset_decides_a_window_only_when_the_whole_range_agrees(
    onset: str, outcome: str, needs: str | None
) -> None:
    _, verdict = verdict_of(_infarction(onset), ESOPHAGEAL, "exc-7.a")
    assert (verdict.outcome, verdict.needs) == (outcome, needs)


# --- Done means done ---------------------------------------------------------------------
def _tem_with_status(status: str) -> Chart:
    chart = p.rectal_after_tem()
    proc = next(r for r in chart.resources if r["resourceType"] == "Procedure")
    proc["status"] = status
    return chart


@pytest.mark.parametrize("status", ["preparation", "entered-in-error", "not-done"])
def test_a_local_excision_that_was_not_done_is_not_history(status: str) -> None:
    found, verdict = verdict_of(_tem_with_status(status), RECTAL_TE, "inc-2.a")
    assert (verdict.outcome, verdict.needs) == ("unknown", "data")
    assert found.status == "possibly_eligible"


@pytest.mark.parametrize("status", ["in-progress", "stopped", "on-hold"])
def test_a_local_excision_begun_but_not_completed_goes_to_a_person(status: str) -> None:
    # Chosen: begun is not history, but it may have been partly done (a stopped
    # radiotherapy was partly given), so a person decides, and the trial is capped.
    chart = _tem_with_status(status)
    proc = next(r for r in chart.resources if r["resourceType"] == "Procedure")
    found, verdict = verdict_of(chart, RECTAL_TE, "inc-2.a")
    assert (verdict.outcome, verdict.needs) == ("unknown", "review")
    assert f"Procedure/{proc['id']}" in verdict.triggered_by
    assert found.status == "possibly_eligible"


@pytest.mark.parametrize(
    "status",
    ["preparation", "not-done"],
)
def test_a_planned_chest_radiotherapy_is_not_previous_chest_radiotherapy(status: str) -> None:
    chart = p.esophageal_cn3()
    chart.procedure(
        [RADIOTHERAPY],
        "Radiotherapy to the thorax",
        None,
        status=status,
        body_site=coding(SNOMED, "51185008", "Thoracic structure"),
    )
    _, verdict = verdict_of(chart, ESOPHAGEAL, "exc-3")
    assert verdict.outcome == "pass"


def test_a_stem_cell_transplant_is_not_a_tem_excision() -> None:
    chart = p.rectal_after_tem().drop_type("Procedure")
    chart.procedure(None, "Autologous stem cell transplant", "2019-03-01")
    found, verdict = verdict_of(chart, RECTAL_TE, "inc-2.a")
    assert (verdict.outcome, verdict.needs) == ("unknown", "data")
    assert found.status == "possibly_eligible"


def test_a_2012_colonic_polypectomy_is_not_the_rectal_local_excision() -> None:
    chart = p.rectal_after_tem().drop_type("Procedure")
    chart.procedure(
        [coding(SNOMED, "82035006", "Polypectomy")],
        "Colonoscopic polypectomy",
        "2012-03-01",
        body_site=coding(SNOMED, "71854001", "Colon structure"),
    )
    found, verdict = verdict_of(chart, RECTAL_TE, "inc-2.a")
    assert (verdict.outcome, verdict.needs) == ("unknown", "data")
    assert found.status == "possibly_eligible"


# --- Unmapped is unknown, not "other" ----------------------------------------------------
@pytest.mark.parametrize(
    "site",
    [
        pytest.param(
            coding(SNOMED, "39607008", "Lung structure"),
            id="snomed_lung_unmapped",
        ),
        pytest.param(
            coding("urn:oid:1.2.276.0.76.99.1", "THX-L", "Hemithorax links"),
            id="local_code_left_hemithorax",
        ),
    ],
)
def test_radiotherapy_to_an_unmapped_site_is_unknown_for_previous_chest_radiotherapy(
    site: dict[str, str],
) -> None:
    chart = p.esophageal_cn3()
    chart.procedure([RADIOTHERAPY], "Radiotherapy", "2015-02-01", body_site=site)
    found, verdict = verdict_of(chart, ESOPHAGEAL, "exc-3")
    assert verdict.outcome == "unknown"
    assert found.status == "possibly_eligible"


# --- Stage groups are site-specific ------------------------------------------------------
def _esophageal_group(group: str, *, explicit_m: str | None) -> Chart:
    chart = p.esophageal_cn3().drop_codes("21907-1")
    if explicit_m:
        chart.stage("21907-1", explicit_m, "2026-09-20")
    chart.stage("21908-9", group, "2026-09-20")
    return chart


def test_esophageal_scc_stage_iva_is_m0() -> None:
    found, verdict = verdict_of(_esophageal_group("IVA", explicit_m=None), ESOPHAGEAL, "inc-2")
    assert verdict.outcome == "pass"
    assert found.status == "eligible"


def test_esophageal_scc_stage_ivb_is_m1() -> None:
    found, verdict = verdict_of(_esophageal_group("IVB", explicit_m=None), ESOPHAGEAL, "inc-2")
    assert verdict.outcome == "fail"
    assert found.status == "ineligible"


def test_an_explicit_m0_wins_over_a_derived_stage_group() -> None:
    found, verdict = verdict_of(_esophageal_group("IVA", explicit_m="cM0"), ESOPHAGEAL, "inc-3")
    assert verdict.outcome == "pass"
    assert found.status == "eligible"


def test_two_same_day_clinical_sources_that_disagree_are_unknown_with_both_shown() -> None:
    chart = p.esophageal_cn3()  # cN3 (AJCC, LOINC-coded) on 2026-09-20
    mii = chart.uicc_tnm("c", "T3", "N2", "M0", "2026-09-20")
    ajcc_n = next(
        r["id"]
        for r in chart.resources
        if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == "21906-3"
    )
    found, verdict = verdict_of(chart, ESOPHAGEAL, "inc-3")
    assert verdict.outcome == "unknown"
    assert {f"Observation/{ajcc_n}", f"Observation/{mii[1]}"} <= set(verdict.evidence)
    assert found.status == "possibly_eligible"


# --- Initial clinical stage is the pre-treatment work-up ---------------------------------
def test_upstaging_during_work_up_stands_for_initial_clinical_stage() -> None:
    chart = p.rectal_after_tem()  # CT-era cN0 on 2026-08-28, TEM on 2026-09-15
    chart.report(
        MRI_PELVIS,
        "2026-09-05",
        "Restaging MRI pelvis: two suspicious mesorectal nodes, mrT1N1. Lower edge "
        "7 cm from the anal verge.",
        category="RAD",
    )
    chart.stage("21906-3", "cN1", "2026-09-05")
    found, verdict = verdict_of(chart, RECTAL_TE, "inc-4")
    assert verdict.outcome == "fail"
    assert found.status == "ineligible"


def test_on_mri_needs_an_mri_measurement() -> None:
    chart = p.rectal_after_tem().drop_codes("33748-5")
    chart.drop(lambda r: r["code"].get("coding") != [MRI_PELVIS])
    chart.report(
        coding("http://loinc.org", "18746-8", "Colonoscopy study"),
        "2026-08-20",
        "Colonoscopy: ulcerated tumour, lower edge 6 cm from the anal verge.",
        category="GE",
    )
    found, verdict = verdict_of(chart, RECTAL_TE, "inc-3")
    assert (verdict.outcome, verdict.needs) == ("unknown", "data")
    assert found.status == "possibly_eligible"


# --- Proof belongs to its cancer ---------------------------------------------------------
def test_a_pathology_report_of_another_site_and_date_does_not_prove_the_rectal_cancer() -> None:
    chart = p.rectal_early_low().drop(lambda r: r["code"].get("coding") != [BIOPSY_REPORT])
    chart.report(
        BIOPSY_REPORT, "2018-04-10", "Gastric biopsy (antrum): adenocarcinoma, intestinal type."
    )
    found, verdict = verdict_of(chart, RECTAL_EARLY, "inc-3")
    assert (verdict.outcome, verdict.needs) == ("unknown", "data")
    assert found.status == "possibly_eligible"


# --- The living only -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "deceased",
    [{"deceasedBoolean": True}, {"deceasedDateTime": "2026-11-10"}],
    ids=["deceased_boolean", "deceased_date_time"],
)
@pytest.mark.parametrize("nct_id", sorted(BASES))
def test_a_deceased_patient_is_ineligible_for_every_trial_with_a_reason(
    nct_id: str, deceased: dict[str, object]
) -> None:
    chart = BASES[nct_id]()
    chart.patient.update(deceased)
    response = match(chart)
    assert {m.status for m in response.matches} == {"ineligible"}
    found = trial(response, nct_id)
    assert any("deceas" in c.reason.lower() for c in found.criteria if c.outcome == "fail")
