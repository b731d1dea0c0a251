"""Each operator of the rule language, against small hand-built patients."""

from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter

from app.eligibility.language import Rule
from app.eligibility.logic import Finding, Truth
from app.eligibility.operators import compile_rule, months_before, stage_matches
from app.eligibility.units import UnitMismatch
from app.eligibility.view import PatientView
from app.facts.model import (
    AnalVergeDistanceFact,
    BiomarkerFact,
    GradeFact,
    LactationFact,
    MarginFact,
    MetastasisFact,
    PathologyFeatureFact,
    PerformanceFact,
    PregnancyFact,
    SubmucosalInvasionFact,
    TreatmentFact,
    TumorSizeFact,
    UnreadableFact,
)
from tests.eligibility.factories import (
    RECENT as RECENT_RESULT,
)
from tests.eligibility.factories import (
    age,
    cancer,
    condition,
    ecog,
    lab,
    patient,
    sex,
    stage,
)

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
RULE: TypeAdapter[Any] = TypeAdapter(Rule)


def ev(rule: dict[str, Any], *facts: Any, as_of: date = date(2026, 11, 22)) -> Finding:
    return compile_rule(RULE.validate_python(rule))(PatientView(patient(*facts, as_of=as_of)))


# --- age, sex, pregnancy ---------------------------------------------------------------

AGE_18_75 = {"op": "age", "gte": 18, "lte": 75}


def test_age_within_and_outside_the_range() -> None:
    assert ev(AGE_18_75, age(60)).truth is T
    assert ev(AGE_18_75, age(76)).truth is F
    assert ev(AGE_18_75, age(17)).truth is F


def test_age_range_decided_only_when_wholly_on_one_side() -> None:
    assert ev(AGE_18_75, age(60, 61)).truth is T
    assert ev(AGE_18_75, age(76, 77)).truth is F
    straddling = ev(AGE_18_75, age(75, 76))
    assert straddling.truth is U
    assert straddling.missing == ("full birth date",)


def test_missing_age_is_unknown() -> None:
    assert ev(AGE_18_75).truth is U


def test_sex() -> None:
    rule = {"op": "sex", "one_of": ["female"]}
    assert ev(rule, sex("female")).truth is T
    assert ev(rule, sex("male")).truth is F
    assert ev(rule, sex("unknown")).truth is U


def test_pregnancy_male_false_female_unknown_unless_recorded() -> None:
    rule = {"op": "pregnant"}
    assert ev(rule, sex("male")).truth is F
    assert ev(rule, sex("female")).truth is U
    test = PregnancyFact(pregnant=True, sources=["Observation/p"], effective=RECENT_RESULT)
    assert ev(rule, sex("female"), test).truth is T
    negative = ev(rule, sex("female"), test.model_copy(update={"pregnant": False}))
    assert negative.truth is F
    assert negative.evidence == ("Observation/p",)
    # A negative test of a month ago says nothing of today (default window 7 days).
    old = ev(
        rule,
        sex("female"),
        test.model_copy(update={"pregnant": False, "effective": date(2026, 10, 20)}),
    )
    assert old.truth is U and old.missing == ("a current pregnancy test",)
    assert ev(rule, sex("female"), test.model_copy(update={"effective": None})).truth is U


def test_lactation_unrecorded_unknown_or_counted_as_not() -> None:
    assert ev({"op": "lactating"}, sex("female")).truth is U
    counted = ev({"op": "lactating", "if_unrecorded": "false"}, sex("female"))
    assert counted.truth is F
    assert counted.assumptions
    assert (
        ev({"op": "lactating"}, LactationFact(lactating=True, effective=RECENT_RESULT)).truth is T
    )
    old = LactationFact(lactating=False, effective=date(2026, 6, 1))
    assert ev({"op": "lactating"}, old).truth is U


# --- the cancer ------------------------------------------------------------------------

RECTAL_ADENO = {"op": "primary_cancer", "sites": ["rectum"], "histologies": ["adenocarcinoma"]}


def test_primary_cancer_site_and_histology() -> None:
    assert ev(RECTAL_ADENO, cancer("rectum", histology="adenocarcinoma")).truth is T
    wrong_site = ev(RECTAL_ADENO, cancer("esophagus", histology="adenocarcinoma"))
    assert wrong_site.truth is F
    assert "esophagus" in wrong_site.reason
    assert ev(RECTAL_ADENO, cancer("rectum", histology="squamous_cell_carcinoma")).truth is F


def test_primary_cancer_unknown_histology_and_no_cancer() -> None:
    assert ev(RECTAL_ADENO, cancer("rectum")).truth is U
    assert ev(RECTAL_ADENO).truth is U


def test_primary_cancer_any_of_several_cancers() -> None:
    found = ev(RECTAL_ADENO, cancer("colon"), cancer("rectum", histology="adenocarcinoma"))
    assert found.truth is T
    assert found.evidence == ("Condition/rectum",)


def test_confirmation() -> None:
    rule = {"op": "primary_cancer", "sites": ["esophagus"], "confirmed_by": ["biopsy"]}
    assert ev(rule, cancer("esophagus", confirmed_by="biopsy")).truth is T
    assert ev(rule, cancer("esophagus", confirmed_by="imaging")).truth is F
    assert ev(rule, cancer("esophagus")).truth is U


def test_primary_cancer_count() -> None:
    rule = {"op": "primary_cancer_count", "sites": ["rectum", "colon"], "gte": 2}
    assert ev(rule, cancer("rectum"), cancer("colon")).truth is T
    one = ev(rule, cancer("rectum"))
    assert one.truth is F
    assert one.assumptions
    # Two records at one site may be one tumor read twice: unknown, not a guess.
    assert ev(rule, cancer("rectum"), cancer("rectum")).truth is U


def test_other_malignancy_ignores_the_primary_itself_and_excepted_categories() -> None:
    rule = {
        "op": "other_malignancy",
        "index_sites": ["esophagus"],
        "except_categories": ["non_melanoma_skin_cancer"],
    }
    primary = cancer("esophagus")
    same_condition = condition("malignancy").model_copy(update={"sources": ["Condition/esophagus"]})
    none_other = ev(rule, primary, same_condition)
    assert none_other.truth is F
    assert none_other.assumptions == ("no recorded diagnosis counts as absent",)
    skin = ["Condition/bcc"]
    excepted = ev(
        rule,
        primary,
        condition("non_melanoma_skin_cancer").model_copy(update={"sources": skin}),
        condition("malignancy").model_copy(update={"sources": skin}),
    )
    assert excepted.truth is F
    coded_primary = cancer("esophagus", codes=["ICD-10-CM|C15.5"])
    same_code = condition("malignancy", codes=["ICD-10-CM|C15.5"])
    assert ev(rule, coded_primary, same_code).truth is F
    assert ev(rule, primary, condition("malignancy", display="breast cancer")).truth is T
    assert ev(rule, primary, cancer("colon")).truth is T


def test_other_malignancy_window() -> None:
    rule = {"op": "other_malignancy", "index_sites": ["rectum"], "within_months": 12}
    assert ev(rule, condition("malignancy", onset=date(2026, 6, 1))).truth is T
    assert ev(rule, condition("malignancy", onset=date(2019, 6, 1))).truth is F
    assert ev(rule, condition("malignancy")).truth is U


# --- staging ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "allowed", "category", "expected"),
    [
        ("T1", ["T1", "T2"], "T", True),
        ("T2", ["T1", "T2"], "T", True),
        ("T1b", ["T1"], "T", True),
        ("T3", ["T1", "T2"], "T", False),
        ("Tis", ["T1"], "T", False),
        ("cT2", ["T2"], "T", True),
        ("N3b", ["N3"], "N", True),
        ("N1mi", ["N1"], "N", True),
        ("N0", ["N3"], "N", False),
        ("M1c", ["M1"], "M", True),
        ("M0", ["M1"], "M", False),
        ("TX", ["T1"], "T", None),
        ("NX", ["N0"], "N", None),
        ("I", ["I"], "group", True),
        ("IA", ["I"], "group", True),
        ("II", ["I"], "group", False),
        ("IIIC", ["I"], "group", False),
        ("IV", ["I"], "group", False),
        ("IVB", ["IV"], "group", True),
    ],
)
def test_stage_matches_subdivisions_only(
    value: str, allowed: list[str], category: str, expected: bool | None
) -> None:
    assert stage_matches(value, allowed, category) is expected


RECENT = date(2026, 11, 1)


def test_stage_context_never_stands_in() -> None:
    rule = {"op": "stage", "context": "clinical", "category": "T", "one_of": ["T1", "T2"]}
    assert ev(rule, stage("pathological", "T", "T1", RECENT)).truth is U
    assert ev(rule, stage("clinical", "T", "T2", RECENT)).truth is T
    assert ev(rule, stage("clinical", "T", "TX", RECENT)).truth is U


def test_the_latest_stage_decides_only_while_fresh() -> None:
    rule = {"op": "stage", "context": "clinical", "category": "T", "one_of": ["T2"]}
    old = ev(rule, stage("clinical", "T", "T2", date(2026, 3, 1)))
    assert old.truth is U and old.missing == ("a current clinical T stage",)
    assert ev(rule, stage("clinical", "T", "T2")).truth is U  # undated: age unknown
    assert (
        ev({**rule, "within_days": 365}, stage("clinical", "T", "T2", date(2026, 3, 1))).truth is T
    )


def test_same_day_sources_that_disagree_are_unknown_with_both_shown() -> None:
    rule = {"op": "stage", "context": "clinical", "category": "N", "one_of": ["N0"]}
    a = stage("clinical", "N", "N0", RECENT)
    b = stage("clinical", "N", "N2", RECENT)
    found = ev(rule, a, b)
    assert found.truth is U
    assert "cN0" in found.reason and "cN2" in found.reason
    assert set(found.evidence) == {a.sources[0], b.sources[0]}
    # The same value twice is no conflict.
    assert ev(rule, a, stage("clinical", "N", "cN0", RECENT)).truth is T


def test_unrecorded_stage_counts_as_not_only_when_the_rule_says_so() -> None:
    rule = {"op": "stage", "context": "pathological", "category": "N", "one_of": ["N1", "N2"]}
    assert ev(rule).truth is U
    found = ev({**rule, "if_unrecorded": "false"})
    assert found.truth is F and found.assumptions
    assert (
        ev({**rule, "if_unrecorded": "false"}, stage("pathological", "N", "NX", RECENT)).truth is F
    )
    assert (
        ev({**rule, "if_unrecorded": "false"}, stage("pathological", "N", "N1a", RECENT)).truth is T
    )


def test_stage_group_i() -> None:
    rule = {"op": "stage", "context": "clinical", "category": "group", "one_of": ["I"]}
    assert ev(rule, stage("clinical", "group", "I", RECENT)).truth is T
    assert ev(rule, stage("clinical", "group", "IIA", RECENT)).truth is F


def test_stage_at_initial_diagnosis_is_the_work_up_before_the_first_treatment() -> None:
    workup = (
        stage("clinical", "N", "N0", date(2026, 1, 5)),
        stage("clinical", "N", "N1", date(2026, 1, 20)),  # MRI upstages during the work-up
    )
    restaged = stage("clinical", "N", "N0", date(2026, 6, 5))  # after chemoradiotherapy
    crt = TreatmentFact(category="chemoradiotherapy", performed=date(2026, 2, 1))
    initial = {
        "op": "stage",
        "context": "clinical",
        "category": "N",
        "one_of": ["N1"],
        "when": "earliest",
    }
    found = ev(initial, *workup, restaged, crt)
    assert found.truth is T  # the work-up's conclusion, not its first record nor the restaging
    assert any("disagree" in a for a in found.assumptions)
    # With no treatment recorded, every staging is taken as the work-up (and it says so).
    untreated = ev(initial, *workup, restaged)
    assert untreated.truth is F
    assert any("no cancer-directed treatment" in a for a in untreated.assumptions)


def test_stage_after_the_evaluation_date_is_ignored() -> None:
    rule = {"op": "stage", "context": "clinical", "category": "N", "one_of": ["N0"]}
    later = stage("clinical", "N", "N0", date(2027, 1, 1))
    assert ev(rule, later).truth is U


# --- metastasis (stage IV is any M1; liver is the most common site) ---------------------

MET = {"op": "metastasis"}
LIVER = MetastasisFact(present=True, site="liver", sources=["Condition/liver-met"])


def test_metastasis_present_from_a_fact_an_m1_or_stage_iv() -> None:
    assert ev(MET, LIVER).truth is T
    assert ev(MET, stage("pathological", "M", "M1a")).truth is T
    assert ev(MET, cancer("rectum"), stage("clinical", "group", "IVA")).truth is T


def test_a_stage_group_means_m1_only_through_the_sites_ajcc_table() -> None:
    esophagus = cancer("esophagus")
    assert ev(MET, esophagus, stage("clinical", "group", "IVB", RECENT)).truth is T
    assert ev(MET, esophagus, stage("clinical", "group", "IVA", RECENT)).truth is F  # T4b/N3 M0
    assert ev(MET, esophagus, stage("clinical", "group", "IV", RECENT)).truth is U
    assert ev(MET, stage("clinical", "group", "IV", RECENT)).truth is U  # no primary, no table


def test_an_explicit_m_category_wins_over_a_stage_group() -> None:
    rectal = cancer("rectum")
    m0 = stage("clinical", "M", "M0", RECENT)
    assert ev(MET, rectal, m0, stage("clinical", "group", "IV", RECENT)).truth is F


def test_metastasis_absent_from_m0_a_negative_record_or_a_stage_below_iv() -> None:
    assert ev(MET, stage("clinical", "M", "M0", RECENT)).truth is F
    assert ev(MET, MetastasisFact(present=False, effective=RECENT)).truth is F
    assert ev(MET, cancer("rectum"), stage("clinical", "group", "IIIB", RECENT)).truth is F
    assert ev(MET).truth is U


def test_absence_of_metastasis_needs_a_recent_assessment() -> None:
    old = ev(MET, stage("clinical", "M", "M0", date(2026, 2, 1)))
    assert old.truth is U and old.missing == ("a current M stage or metastasis assessment",)
    assert ev(MET, stage("clinical", "M", "M0")).truth is U  # undated
    assert (
        ev({**MET, "within_days": 365}, stage("clinical", "M", "M0", date(2026, 2, 1))).truth is F
    )
    # A metastasis once recorded does not go stale.
    assert (
        ev(MET, MetastasisFact(present=True, site="liver", effective=date(2025, 1, 1))).truth is T
    )


def test_a_recorded_metastasis_outweighs_an_earlier_m0() -> None:
    assert ev(MET, stage("clinical", "M", "M0", RECENT), LIVER).truth is T


def test_metastasis_at_a_site() -> None:
    liver = {"op": "metastasis", "sites": ["liver"]}
    assert ev(liver, LIVER).truth is T
    lung = ev(liver, MetastasisFact(present=True, site="lung"))
    assert lung.truth is F
    assert lung.assumptions
    assert ev(liver, stage("clinical", "M", "M1")).truth is U


# --- tumor facts -----------------------------------------------------------------------


def test_submucosal_invasion_level_and_depth() -> None:
    rule = {"op": "submucosal_invasion", "levels": ["sm3"], "depth_um_gt": 1000}
    assert ev(rule, SubmucosalInvasionFact(level="sm3")).truth is T
    assert ev(rule, SubmucosalInvasionFact(depth_um=1500)).truth is T
    assert ev(rule, SubmucosalInvasionFact(level="sm1", depth_um=400)).truth is F
    assert ev(rule, SubmucosalInvasionFact(level="sm2")).truth is U
    assert (
        ev(
            {"op": "submucosal_invasion", "levels": ["sm3"]}, SubmucosalInvasionFact(level="sm2")
        ).truth
        is F
    )
    assert ev(rule).truth is U


def test_anal_verge_distance_le_and_modality() -> None:
    rule = {"op": "anal_verge_distance", "lte": 10, "modalities": ["mri"]}
    mri = AnalVergeDistanceFact(cm=10, modality="mri", sources=["Observation/mri"])
    assert ev(rule, mri).truth is T
    assert ev(rule, mri.model_copy(update={"cm": 10.5})).truth is F
    # "On MRI" needs an MRI measurement: an endoscopic one is shown but decides nothing.
    endoscopy = ev(rule, AnalVergeDistanceFact(cm=6, modality="endoscopy", sources=["Obs/e"]))
    assert endoscopy.truth is U
    assert "endoscopy" in endoscopy.reason and endoscopy.evidence == ("Obs/e",)
    assert ev(rule).truth is U


def test_tumor_size_range() -> None:
    rule = {"op": "tumor_size", "gte": 3, "lte": 5}
    assert ev(rule, TumorSizeFact(greatest_dimension_cm=3)).truth is T
    assert ev(rule, TumorSizeFact(greatest_dimension_cm=5.1)).truth is F
    assert ev(rule).truth is U


def test_lymphovascular_invasion_from_its_parts() -> None:
    rule = {"op": "pathology_feature", "feature": "lymphovascular_invasion"}
    l1 = PathologyFeatureFact(feature="lymphatic_invasion", present=True, detail="L1")
    l0 = PathologyFeatureFact(feature="lymphatic_invasion", present=False)
    v0 = PathologyFeatureFact(feature="venous_invasion", present=False)
    assert ev(rule, l1).truth is T
    assert ev(rule, l0).truth is U
    assert ev(rule, l0, v0).truth is F
    assert ev(rule).truth is U


def test_grade_and_margin() -> None:
    poor = {"op": "grade", "one_of": ["G3", "G4"]}
    assert ev(poor, GradeFact(value="G3")).truth is T
    assert ev(poor, GradeFact(value="G2")).truth is F
    assert ev(poor, GradeFact(value="GX")).truth is U
    margin = {"op": "margin_involved"}
    assert ev(margin, MarginFact(residual="R1")).truth is T
    assert ev(margin, MarginFact(residual="R0")).truth is F
    assert ev(margin, MarginFact(residual="RX")).truth is U
    assert ev(margin).truth is U


def test_performance_thresholds_and_no_cross_scale() -> None:
    assert ev({"op": "performance", "scale": "ecog", "lte": 1}, ecog(1)).truth is T
    assert ev({"op": "performance", "scale": "ecog", "gt": 2}, ecog(2)).truth is F
    kps = {"op": "performance", "scale": "karnofsky", "lt": 70}
    assert ev(kps, ecog(3)).truth is U
    assert ev(kps, PerformanceFact(scale="karnofsky", value=60, effective=RECENT_RESULT)).truth is T
    derived = ev(
        kps,
        PerformanceFact(scale="karnofsky", value=80, read_from="derived", effective=RECENT_RESULT),
    )
    assert derived.truth is F
    assert derived.assumptions


def test_a_derived_score_decides_only_when_its_whole_crosswalk_range_does() -> None:
    kps_below_70 = {"op": "performance", "scale": "karnofsky", "lt": 70}

    def derived_kps(low: int, high: int) -> PerformanceFact:
        return PerformanceFact(
            scale="karnofsky",
            value=low,
            range_low=low,
            range_high=high,
            read_from="derived",
            effective=RECENT_RESULT,
        )

    straddling = ev(kps_below_70, derived_kps(50, 70))  # from ECOG 2
    assert straddling.truth is U
    assert straddling.missing == ("Karnofsky score",)
    assert ev(kps_below_70, derived_kps(70, 90)).truth is F  # from ECOG 1
    assert ev(kps_below_70, derived_kps(30, 50)).truth is T  # from ECOG 3
    # A recorded score is never treated as a range.
    assert (
        ev(
            kps_below_70, PerformanceFact(scale="karnofsky", value=60, effective=RECENT_RESULT)
        ).truth
        is T
    )


# --- labs ------------------------------------------------------------------------------


def test_lab_threshold_in_the_canonical_unit() -> None:
    rule = {"op": "lab", "analyte": "hemoglobin", "unit": "g/L", "gte": 100}
    assert ev(rule, lab("hemoglobin", 100, "g/L")).truth is T
    below = ev(rule, lab("hemoglobin", 99, "g/L"))
    assert below.truth is F
    assert below.evidence == ("Observation/hemoglobin",)


def test_lab_threshold_in_another_unit_is_converted() -> None:
    rule = {"op": "lab", "analyte": "hemoglobin", "unit": "g/dL", "gte": 10}
    assert ev(rule, lab("hemoglobin", 100, "g/L")).truth is T
    assert ev(rule, lab("hemoglobin", 99, "g/L")).truth is F
    platelets = {"op": "lab", "analyte": "platelets", "unit": "10*3/uL", "gte": 90}
    assert ev(platelets, lab("platelets", 90, "10*9/L")).truth is T


def test_lab_rule_with_an_unconvertible_unit_fails_at_compile_time() -> None:
    # Creatinine is a concentration: a count per volume is no unit of it.
    rule = RULE.validate_python(
        {"op": "lab", "analyte": "creatinine", "unit": "10*9/L", "lte": 1.5}
    )
    with pytest.raises(UnitMismatch):
        compile_rule(rule)


def test_creatinine_rule_in_mg_per_dl_decides_a_result_in_umol_per_l() -> None:
    # 1.5 mg/dL is 132.6 umol/L (molar mass 113.12 g/mol): the rule compiles and compares.
    rule = {"op": "lab", "analyte": "creatinine", "unit": "mg/dL", "lte": 1.5}
    assert ev(rule, lab("creatinine", 120, "umol/L")).truth is T
    assert ev(rule, lab("creatinine", 140, "umol/L")).truth is F


def test_hba1c_rule_in_mmol_per_mol_does_not_compile() -> None:
    # IFCC mmol/mol and NGSP % differ by an offset, not a factor: never converted.
    rule = RULE.validate_python({"op": "lab", "analyte": "hba1c", "unit": "mmol/mol", "lt": 53})
    with pytest.raises(UnitMismatch):
        compile_rule(rule)


def test_missing_lab_is_unknown_never_a_pass() -> None:
    for rule in (
        {"op": "lab", "analyte": "hemoglobin", "unit": "g/L", "gte": 100},
        {"op": "lab", "analyte": "hemoglobin", "unit": "g/L", "lt": 100},
        {"op": "not", "rule": {"op": "lab", "analyte": "hemoglobin", "unit": "g/L", "lt": 80}},
    ):
        result = ev(rule, lab("platelets", 200, "10*9/L"))
        assert result.truth is U
        assert result.missing == ("hemoglobin result",)


def test_lab_within_days() -> None:
    rule = {"op": "lab", "analyte": "hemoglobin", "unit": "g/L", "gte": 100, "within_days": 14}
    fresh = lab("hemoglobin", 120, "g/L", effective=date(2026, 11, 15))
    stale = lab("hemoglobin", 120, "g/L", effective=date(2026, 10, 1))
    assert ev(rule, fresh).truth is T
    assert ev(rule, stale).truth is U
    assert ev(rule, lab("hemoglobin", 120, "g/L", effective=None)).truth is U


def test_a_result_older_than_its_freshness_window_is_unknown_and_shown() -> None:
    rule = {"op": "lab", "analyte": "hemoglobin", "unit": "g/L", "gte": 100}
    old = ev(rule, lab("hemoglobin", 120, "g/L", effective=date(2026, 9, 1)))
    assert old.truth is U
    assert "2026-09-01" in old.reason and old.evidence == ("Observation/hemoglobin",)
    assert old.missing == ("a current hemoglobin result",)
    recent = ev(rule, lab("hemoglobin", 120, "g/L", effective=date(2026, 11, 1)))
    assert recent.truth is T and "2026-11-01" in recent.reason
    assert ev(rule, lab("hemoglobin", 120, "g/L", effective=None)).truth is U  # undated
    # A criterion's own window overrides the default.
    wide = {**rule, "within_days": 120}
    assert ev(wide, lab("hemoglobin", 120, "g/L", effective=date(2026, 9, 1))).truth is T


def test_a_newer_result_that_could_not_be_read_never_yields_to_an_older_one() -> None:
    rule = {"op": "lab", "analyte": "hemoglobin", "unit": "g/L", "gte": 100}
    older = lab("hemoglobin", 130, "g/L", effective=date(2026, 11, 10))
    unread = UnreadableFact(
        family="lab", key="hemoglobin", effective=date(2026, 11, 20), sources=["Observation/x"]
    )
    found = ev(rule, older, unread)
    assert found.truth is U
    assert found.evidence == ("Observation/x", "Observation/hemoglobin")
    # An unreadable result older than the readable one changes nothing.
    stale_unread = unread.model_copy(update={"effective": date(2026, 11, 1)})
    assert ev(rule, older, stale_unread).truth is T
    # The same holds for performance status.
    ecog_rule = {"op": "performance", "scale": "ecog", "lte": 1}
    bad_ecog = UnreadableFact(
        family="performance", key="ecog", effective=date(2026, 11, 20), sources=["Observation/e"]
    )
    assert ev(ecog_rule, ecog(0), bad_ecog).truth is U


def test_lab_uln_multiple() -> None:
    rule = {"op": "lab_uln", "analyte": "alt", "lt": 1.5}
    assert ev(rule, lab("alt", 59, "U/L", reference_high=40)).truth is T
    assert ev(rule, lab("alt", 60, "U/L", reference_high=40)).truth is F
    no_uln = ev(rule, lab("alt", 20, "U/L"))
    assert no_uln.truth is U
    assert "upper limit of normal" in no_uln.reason


def test_biomarker() -> None:
    msi = {"op": "biomarker", "marker": "msi", "statuses": ["msi_high"]}
    assert ev(msi, BiomarkerFact(marker="msi", status="msi_high")).truth is T
    assert ev(msi, BiomarkerFact(marker="msi", status="mss")).truth is F
    assert ev(msi).truth is U
    cps = {"op": "biomarker", "marker": "pd_l1", "value": {"gte": 1}}
    assert ev(cps, BiomarkerFact(marker="pd_l1", value=5, detail="CPS")).truth is T


# --- history ---------------------------------------------------------------------------


def test_condition_absent_counts_as_absent_and_says_so() -> None:
    result = ev({"op": "condition", "categories": ["hiv"]})
    assert result.truth is F
    assert result.reason == "no record of HIV infection"
    assert result.assumptions == ("no recorded diagnosis counts as absent",)
    assert ev({"op": "condition", "categories": ["hiv"], "if_unrecorded": "unknown"}).truth is U


def test_condition_recorded() -> None:
    result = ev({"op": "condition", "categories": ["hiv"]}, condition("hiv"))
    assert result.truth is T
    assert result.evidence == ("Condition/hiv",)


def test_condition_status() -> None:
    active_hcv = {"op": "condition", "categories": ["hepatitis_c"], "statuses": ["active"]}
    assert ev(active_hcv, condition("hepatitis_c", clinical_status="active")).truth is T
    assert ev(active_hcv, condition("hepatitis_c", clinical_status="resolved")).truth is F
    assert ev(active_hcv, condition("hepatitis_c")).truth is U


def test_condition_within_the_past_6_months() -> None:
    rule = {"op": "condition", "categories": ["myocardial_infarction"], "within_months": 6}
    assert ev(rule, condition("myocardial_infarction", onset=date(2026, 5, 22))).truth is T
    assert ev(rule, condition("myocardial_infarction", onset=date(2026, 5, 21))).truth is F
    assert ev(rule, condition("myocardial_infarction")).truth is U


def test_months_before_clamps_to_the_month_end() -> None:
    assert months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert months_before(date(2026, 3, 15), 15) == date(2024, 12, 15)


def test_treatment_category_region_technique_window() -> None:
    chest_rt = {"op": "treatment", "categories": ["radiotherapy"], "body_regions": ["chest"]}
    assert ev(chest_rt, TreatmentFact(category="radiotherapy", body_region="chest")).truth is T
    assert ev(chest_rt, TreatmentFact(category="radiotherapy", body_region="pelvis")).truth is F
    assert ev(chest_rt, TreatmentFact(category="radiotherapy")).truth is U
    none = ev(chest_rt)
    assert none.truth is F
    assert none.assumptions == ("no recorded treatment counts as none",)
    tem = {"op": "treatment", "categories": ["local_excision"], "techniques": ["TEM", "ESD"],
           "if_unrecorded": "unknown", "within_months": 3}  # fmt: skip
    recent = TreatmentFact(category="local_excision", technique="TEM", performed=date(2026, 10, 1))
    assert ev(tem, recent).truth is T
    assert ev(tem, recent.model_copy(update={"technique": "polypectomy"})).truth is F
    assert ev(tem, recent.model_copy(update={"performed": date(2025, 1, 1)})).truth is F
    assert ev(tem).truth is U


def test_the_conditional_exception_for_hemoglobin() -> None:
    rule = {
        "op": "any",
        "of": [
            {"op": "lab", "analyte": "hemoglobin", "unit": "g/L", "gte": 100},
            {"op": "all", "of": [
                {"op": "lab", "analyte": "hemoglobin", "unit": "g/L", "gte": 80, "lt": 100},
                {"op": "performance", "scale": "ecog", "lte": 1},
                {"op": "condition", "categories": ["chronic_anemia"]},
            ]},
        ],
    }  # fmt: skip
    anemia = condition("chronic_anemia")
    assert ev(rule, lab("hemoglobin", 105, "g/L")).truth is T
    assert ev(rule, lab("hemoglobin", 90, "g/L"), ecog(1), anemia).truth is T
    assert ev(rule, lab("hemoglobin", 90, "g/L"), ecog(2), anemia).truth is F
    assert ev(rule, lab("hemoglobin", 90, "g/L"), ecog(0)).truth is F
    assert ev(rule, lab("hemoglobin", 75, "g/L"), ecog(0), anemia).truth is F
    assert ev(rule, lab("hemoglobin", 90, "g/L"), anemia).truth is U
    assert ev(rule, ecog(0), anemia).truth is U


def test_judgement_is_unknown_for_a_person() -> None:
    result = ev({"op": "judgement", "question": "Is it severe?"})
    assert result.truth is U
    assert "Is it severe?" in result.reason


def test_two_scores_of_one_day_that_disagree_are_unknown_with_both_shown() -> None:
    rule = {"op": "performance", "scale": "ecog", "lte": 1}
    one = PerformanceFact(
        scale="ecog", value=1, effective=RECENT_RESULT, sources=["Observation/e1"]
    )
    two = one.model_copy(update={"value": 2, "sources": ["Observation/e2"]})
    found = ev(rule, one, two)
    assert found.truth is U
    assert set(found.evidence) == {"Observation/e1", "Observation/e2"}
    assert ev(rule, one, one.model_copy(update={"sources": ["Observation/e3"]})).truth is T
