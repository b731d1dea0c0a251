"""The stage_metastasis family: stages in a named context, distant / brain / CNS /
leptomeningeal metastasis, on texts of the shared registry records, and at the FHIR
level."""

from __future__ import annotations

from typing import Any

import pytest

from app.registry.suggest import suggest
from app.registry.suggest.reading import Context
from tests.factories import ICD10, SNOMED
from tests.registry.suggest.drafted import criterion, match, verdict
from tests.scenarios.charts import ADENO, CLINICAL_GROUP, RECTUM_US, Chart, coding

INCLUSION, EXCLUSION = Context("inclusion"), Context("exclusion")


def stage(context: str, category: str, *values: str) -> dict[str, Any]:
    return {"op": "stage", "context": context, "category": category, "one_of": list(values)}


def sites(*names: str) -> dict[str, Any]:
    return {"op": "metastasis", "sites": list(names)}


def judgement(question: str) -> dict[str, Any]:
    return {"op": "judgement", "question": question}


CNS_ELSEWHERE = judgement(
    "Is the metastasis recorded at another site in the central nervous system (spinal cord, "
    "meninges)?"
)
CNS = {"op": "any", "of": [sites("brain"), {"op": "all", "of": [sites("other"), CNS_ELSEWHERE]}]}
LEPTOMENINGEAL = {
    "op": "all",
    "of": [
        sites("brain", "other"),
        judgement("Is the brain or other metastasis leptomeningeal disease?"),
    ],
}


def asked(rule: dict[str, Any], question: str) -> dict[str, Any]:
    return {"op": "all", "of": [rule, judgement(question)]}


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        # Real texts of the shared records
        ("Clinical stage cT2 or higher.", INCLUSION, stage("clinical", "T", "T2", "T3", "T4")),
        ("Clinical staged T3/4 or any node-positive disease", INCLUSION,
         {"op": "any", "of": [stage("clinical", "T", "T3", "T4"),
                              stage("clinical", "N", "N1", "N2", "N3")]}),
        ("Clinical staged I or IV", EXCLUSION, stage("clinical", "group", "I", "IV")),
        ("No evidence of metastatic disease", INCLUSION,
         {"op": "not", "rule": {"op": "metastasis"}}),
        ("Metastatic Disease", EXCLUSION, {"op": "metastasis"}),
        ("Evidence of metastatic disease.", EXCLUSION, {"op": "metastasis"}),
        ("Brain Metastases", EXCLUSION, sites("brain")),
        ("Untreated brain metastases", EXCLUSION,
         asked(sites("brain"), "Are the metastases untreated?")),
        ("Untreated or symptomatic central nervous system (CNS) metastases", EXCLUSION,
         asked(CNS, "Are the metastases untreated or symptomatic?")),
        ("Symptomatic, untreated, or actively progressing CNS metastases", EXCLUSION,
         asked(CNS, "Are the metastases symptomatic or untreated or actively progressing?")),
        ("Has symptomatic central nervous system (CNS) metastases", EXCLUSION,
         asked(CNS, "Are the metastases symptomatic?")),
        ("Patients with central nervous system metastasis.", EXCLUSION, CNS),
        ("History of leptomeningeal disease", EXCLUSION, LEPTOMENINGEAL),
        ("Participants with leptomeningeal disease are excluded", EXCLUSION, LEPTOMENINGEAL),
        ("Symptomatic or untreated leptomeningeal disease;", EXCLUSION,
         asked(LEPTOMENINGEAL, "Are the metastases symptomatic or untreated?")),
        ("Known history or evidence of brain metastases and/or leptomeningeal spread.",
         EXCLUSION, {"op": "any", "of": [sites("brain"), LEPTOMENINGEAL]}),
        # The brief's
        ("Known brain metastases", EXCLUSION, sites("brain")),
        ("No distant metastases", INCLUSION, {"op": "not", "rule": {"op": "metastasis"}}),
        ("clinical stage II-III", INCLUSION, stage("clinical", "group", "II", "III")),
        ("Pathological stage T1-2 N0", INCLUSION,
         {"op": "all", "of": [stage("pathological", "T", "T1", "T2"),
                              stage("pathological", "N", "N0")]}),
    ],
)  # fmt: skip
def test_real_texts_are_read(text: str, context: Context, expected: dict[str, Any]) -> None:
    found = suggest(text, context)
    assert found is not None and found.family == "stage_metastasis"
    assert found.rule.model_dump(exclude_none=True, exclude_defaults=True) == expected


@pytest.mark.parametrize(
    ("text", "context"),
    [
        # no staging context: clinical or pathological is not said
        ("Stage IV", EXCLUSION),
        ("Patients with stage IV.", EXCLUSION),
        ("Stage I-IV Colorectal Cancer diagnosis", INCLUSION),
        ("cT3-4 or N+", INCLUSION),  # the N has no context of its own
        # a subdivision's neighbours, contexts that disagree, a range the wrong way round
        ("Clinical stage cT1b or lower.", EXCLUSION),
        ("Clinical stage cT2 or ypT0", INCLUSION),
        ("Clinical stage T4-T2", INCLUSION),
        ("Clinical stage T3 and T4", INCLUSION),  # read as all, it would fail everyone
        ("Clinical stage T3, N1", INCLUSION),  # all or any: not said
        # extra conditions
        ("Clinically staged - cT1-4 N0-2 M0 (local or locally advanced, resectable)", INCLUSION),
        ("No stage IV or recurrent disease", INCLUSION),
        ("No distant metastases or supraclavicular lymph node involvement", INCLUSION),
        ("No evidence of metastatic disease on preoperative imaging.", INCLUSION),
        ("Leptomeningeal disease as the only manifestation of malignancy.", EXCLUSION),
        ("Untreated or progressive CNS metastatic disease, any leptomeningeal disease, or cord "
         "compression.", EXCLUSION),
        ("Confirmed liver metastasis of colorectal cancer;", INCLUSION),
        # negation as an exclusion; a tail that only an exclusion may have; a hedge
        ("No brain metastases", EXCLUSION),
        ("Patients with brain metastases are excluded", INCLUSION),
        ("Symptomatic or untreated brain metastases or history of leptomeningeal disease. "
         "Participants with previously treated brain metastases may participate provided that:",
         EXCLUSION),
    ],
)  # fmt: skip
def test_near_misses_stay_text(text: str, context: Context) -> None:
    assert suggest(text, context) is None


# --- FHIR level -----------------------------------------------------------------------

BRAIN_METASTASIS = [coding(SNOMED, "94225005", "Secondary malignant neoplasm of brain")]
LUNG = [coding(ICD10, "C34.90", "Malignant neoplasm of unspecified part of bronchus or lung")]
LIVER_METASTASIS = [coding(ICD10, "C78.7", "Secondary malignant neoplasm of liver")]


def rectal(pid: str, t: str, n: str, m: str = "cM0", when: str = "2026-10-20") -> Chart:
    chart = Chart(pid, gender="male", birth_date="1962-03-14")
    chart.primary_cancer(RECTUM_US, "Rectal adenocarcinoma", onset="2026-10-01", histology=ADENO)
    chart.clinical_tnm(t, n, m, when)
    return chart


def lung(pid: str, m: str) -> Chart:
    chart = Chart(pid, gender="female", birth_date="1958-06-01")
    chart.primary_cancer(LUNG, "Small cell lung cancer", onset="2025-06-01")
    chart.clinical_tnm("cT2", "cN2", m, "2026-10-20")
    return chart


def test_clinical_t3_or_node_positive_rectal_cancer() -> None:
    """NCT05688033 inc-2 "Clinical staged T3/4 or any node-positive disease"."""
    assert criterion("NCT05688033", "inc-2").encoding == "suggested"
    admitted = match("NCT05688033", rectal("ct3", "cT3", "cN0"))
    assert verdict(admitted, "inc-2").outcome == "pass"
    assert admitted.status == "possibly_eligible"
    node_positive = match("NCT05688033", rectal("cn1", "cT2", "cN1"))
    assert verdict(node_positive, "inc-2").outcome == "pass"

    refused = match("NCT05688033", rectal("ct2n0", "cT2", "cN0"))
    assert verdict(refused, "inc-2").outcome == "fail"
    assert refused.status == "ineligible" and "inc-2" in refused.unmet


def test_clinical_stage_i_or_iv_excludes() -> None:
    """NCT05688033 exc-1 "Clinical staged I or IV"."""
    stage_i = rectal("stage-i", "cT2", "cN0")
    stage_i.stage(CLINICAL_GROUP, "I", "2026-10-20")
    refused = match("NCT05688033", stage_i)
    assert verdict(refused, "exc-1").outcome == "fail"
    assert refused.status == "ineligible"

    stage_iii = rectal("stage-iii", "cT3", "cN1")
    stage_iii.stage(CLINICAL_GROUP, "IIIB", "2026-10-20")
    admitted = match("NCT05688033", stage_iii)
    assert verdict(admitted, "exc-1").outcome == "pass"
    assert admitted.status == "possibly_eligible"


def test_brain_metastases_exclude_and_a_current_m0_admits() -> None:
    """NCT05686122 exc-2 "Brain Metastases"."""
    assert criterion("NCT05686122", "exc-2").encoding == "suggested"
    with_brain = rectal("brain", "cT3", "cN1", "cM1")
    with_brain.condition(BRAIN_METASTASIS, "Brain metastasis", onset="2026-10-15")
    refused = match("NCT05686122", with_brain)
    assert verdict(refused, "exc-2").outcome == "fail"
    assert refused.status == "ineligible"

    admitted = match("NCT05686122", rectal("m0", "cT3", "cN1"))
    assert verdict(admitted, "exc-2").outcome == "pass"
    assert admitted.status == "possibly_eligible"

    # A metastasis recorded only elsewhere passes (the assumption stated); an M1 stage names
    # no site, so beside it the brain is unknown.
    liver_only = Chart("liver", gender="male", birth_date="1962-03-14")
    liver_only.primary_cancer(RECTUM_US, "Rectal adenocarcinoma", onset="2026-10-01")
    liver_only.condition(LIVER_METASTASIS, "Liver metastasis", onset="2026-10-15")
    assert verdict(match("NCT05686122", liver_only), "exc-2").outcome == "pass"
    liver_only.clinical_tnm("cT3", "cN1", "cM1", "2026-10-20")
    assert verdict(match("NCT05686122", liver_only), "exc-2").outcome == "unknown"


def test_untreated_or_symptomatic_cns_metastases_fail_nobody_without_a_person() -> None:
    """NCT02481830 exc-1: treated, stable brain metastases are admitted by the protocol, so a
    recorded brain metastasis goes to a person; none recorded (M0, current) passes."""
    assert criterion("NCT02481830", "exc-1").encoding == "suggested"
    with_brain = lung("brain-cns", "cM1")
    with_brain.condition(BRAIN_METASTASIS, "Brain metastasis", onset="2026-10-15")
    found = verdict(match("NCT02481830", with_brain), "exc-1")
    assert (found.outcome, found.needs) == ("unknown", "review")

    admitted = match("NCT02481830", lung("m0-cns", "cM0"))
    assert verdict(admitted, "exc-1").outcome == "pass"
    assert admitted.status == "possibly_eligible"


def test_no_evidence_of_metastatic_disease() -> None:
    """NCT05688033 inc-7: M1 fails, a current M0 passes, an old M0 is missing data."""
    refused = match("NCT05688033", rectal("m1", "cT3", "cN1", "cM1"))
    assert verdict(refused, "inc-7").outcome == "fail"
    assert refused.status == "ineligible"
    assert verdict(match("NCT05688033", rectal("m0-now", "cT3", "cN1")), "inc-7").outcome == "pass"
    stale = verdict(
        match("NCT05688033", rectal("m0-old", "cT3", "cN1", when="2025-01-10")), "inc-7"
    )
    assert (stale.outcome, stale.needs) == ("unknown", "data")
