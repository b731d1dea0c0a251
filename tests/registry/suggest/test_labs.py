"""The lab family: limits in units and multiples of the ULN, on the shared records' texts,
near misses that stay text, and at the FHIR level with results in other units."""

from __future__ import annotations

from typing import Any

import pytest

from app.registry.suggest import suggest, wording
from app.registry.suggest.reading import Context
from app.vocabulary import files
from tests.registry.suggest.imported import (
    ALBUMIN,
    ALT,
    AST,
    BILIRUBIN,
    CREATININE,
    HEMOGLOBIN,
    LIVER_METASTASIS,
    NEUTROPHILS,
    PLATELETS,
    RECENT,
    criterion_texts,
    imported,
    matched,
    patient,
)
from tests.scenarios.charts import Chart

INCLUSION, EXCLUSION = Context("inclusion"), Context("exclusion")


def lab(analyte: str, unit: str, **bound: float) -> dict[str, Any]:
    return {"op": "lab", "analyte": analyte, "unit": unit, **bound}


def uln(analyte: str, **bound: float) -> dict[str, Any]:
    return {"op": "lab_uln", "analyte": analyte, **bound}


def all_of(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"op": "all", "of": list(rules)}


def any_of(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"op": "any", "of": list(rules)}


LIVER = {"op": "metastasis", "sites": ["liver"]}


@pytest.mark.parametrize(
    ("text", "context", "rule"),
    [
        ("Platelet count at least 100,000/mm^3", INCLUSION, lab("platelets", "/mm3", gte=1e5)),
        ("Bilirubin less than 1.5 mg/dL", INCLUSION, lab("bilirubin_total", "mg/dL", lt=1.5)),
        (
            "Aspartate aminotransferase (AST) less than 2 times upper limit of normal",
            INCLUSION,
            uln("ast", lt=2),
        ),
        ("Creatinine no greater than 2.0 mg/dL", INCLUSION, lab("creatinine", "mg/dL", lte=2)),
        (
            "Absolute neutrophil count \u2265 1,500/\u00b5L",
            INCLUSION,
            lab("neutrophils", "/uL", gte=1500),
        ),
        ("Platelets \u2265 100,000/ mm3", INCLUSION, lab("platelets", "/mm3", gte=1e5)),
        ("Hemoglobin \u2265 10g/dL", INCLUSION, lab("hemoglobin", "g/dL", gte=10)),
        (
            "Aspartate amino transferase (AST or SGOT) and alanine amino transferase (ALT or "
            "SGPT) \u2264 1.5 \u00d7 institutional ULN.",
            INCLUSION,
            all_of(uln("ast", lte=1.5), uln("alt", lte=1.5)),
        ),
        (
            "Absolute neutrophil count (ANC) >= 1500/mm^3",
            INCLUSION,
            lab("neutrophils", "/mm3", gte=1500),
        ),
        (
            "Aspartate aminotransferase (AST)/alanine aminotransferase (ALT) =< 2.5 x upper "
            "limit of normal (ULN)",
            INCLUSION,
            all_of(uln("ast", lte=2.5), uln("alt", lte=2.5)),
        ),
        (
            "Hematologic parameters: white blood cell (WBC) count of > 3000/ul, absolute "
            "neutrophil count (ANC) \u2265 1000/ul, platelets \u2265 50,000/ul, hemoglobin "
            "\u2265 8.0 g/dl",
            INCLUSION,
            all_of(
                lab("white_cells", "/uL", gt=3000),
                lab("neutrophils", "/uL", gte=1000),
                lab("platelets", "/uL", gte=50000),
                lab("hemoglobin", "g/dL", gte=8),
            ),
        ),
        ("Hemoglobin >9.0 g/dL", INCLUSION, lab("hemoglobin", "g/dL", gt=9)),
        (
            "AST and ALT \u22642.5 x ULN, alkaline phosphatase \u22642.5 x ULN",
            INCLUSION,
            all_of(uln("ast", lte=2.5), uln("alt", lte=2.5), uln("alkaline_phosphatase", lte=2.5)),
        ),
        (
            "WBC greater than or equal to 2500/mm^3",
            INCLUSION,
            lab("white_cells", "/mm3", gte=2500),
        ),
        (
            "Serum ALT/AST less than or equal to 5.0 x ULN",
            INCLUSION,
            all_of(uln("alt", lte=5), uln("ast", lte=5)),
        ),
        (
            "Lymphocyte count \u2265 0.5 x 10^9/L (500/uL)",
            INCLUSION,
            lab("lymphocytes", "10*9/L", gte=0.5),
        ),
        ("Absolute neutrophil count >= 1,500/mcL", INCLUSION, lab("neutrophils", "/uL", gte=1500)),
        (
            "Total bilirubin =< 1.5 x institutional upper limit of normal (ULN)",
            INCLUSION,
            uln("bilirubin_total", lte=1.5),
        ),
        (
            "Aspartate aminotransferase (AST) (serum glutamic oxaloacetic transaminase [SGOT])/"
            "alanine aminotransferase (ALT) (serum glutamate pyruvate transaminase [SGPT]) =< 3 "
            "x institutional ULN",
            INCLUSION,
            all_of(uln("ast", lte=3), uln("alt", lte=3)),
        ),
        (
            "Leukocytes > 3,000/microliter (mcL)",
            INCLUSION,
            lab("white_cells", "/uL", gt=3000),
        ),
        (
            "Serum aspartate transferase (AST) (SGOT)/alanine transaminase (ALT) (SGPT) < 2.5 x "
            "upper limit of normal (ULN)",
            INCLUSION,
            all_of(uln("ast", lt=2.5), uln("alt", lt=2.5)),
        ),
        (
            "Absolute neutrophil count (ANC) >= 1.5 x 10^9/L",
            INCLUSION,
            lab("neutrophils", "10*9/L", gte=1.5),
        ),
        ("Platelets >= 100 x 10^9/L", INCLUSION, lab("platelets", "10*9/L", gte=100)),
        (
            "Aspartate aminotransferase (AST) (serum glutamic-oxaloacetic transaminase (AST/"
            "[SGOT]) and alanine aminotransferase (ALT) (serum glutamate pyruvate transaminase "
            "[SGPT]) =< 2.5 X ULN",
            INCLUSION,
            all_of(uln("ast", lte=2.5), uln("alt", lte=2.5)),
        ),
        (
            "Adequate bone marrow function with platelets \u2265 80 X 109/L; neutrophils \u2265 "
            "1.5 X 109/L; haemoglobin \u2265 8g/dL.",
            INCLUSION,
            all_of(
                lab("platelets", "10*9/L", gte=80),
                lab("neutrophils", "10*9/L", gte=1.5),
                lab("hemoglobin", "g/dL", gte=8),
            ),
        ),
        ("ANC of \u22651.5 x 109/L", INCLUSION, lab("neutrophils", "10*9/L", gte=1.5)),
        (
            "Hepatic function as defined by serum bilirubin \u2264 1.5 x ULN, ALAT and ASAT \u2264 "
            "3.0 x ULN, or ALAT and ASAT < 5 x ULN in patients with liver metastases",
            INCLUSION,
            all_of(
                uln("bilirubin_total", lte=1.5),
                any_of(
                    all_of(uln("alt", lte=3), uln("ast", lte=3)),
                    all_of(LIVER, uln("alt", lt=5), uln("ast", lt=5)),
                ),
            ),
        ),
        (
            "Renal function as defined by serum creatinine \u2264 1.5 x ULN",
            INCLUSION,
            uln("creatinine", lte=1.5),
        ),
        (
            "Absolute Neutrophil Count (ANC) < 1.5 x 109/L.",
            EXCLUSION,
            lab("neutrophils", "10*9/L", lt=1.5),
        ),
        ("Platelet count < 75\u00d7109/L", EXCLUSION, lab("platelets", "10*9/L", lt=75)),
        ("Hemoglobin <90 g/L", EXCLUSION, lab("hemoglobin", "g/L", lt=90)),
        (
            "Aspartate aminotransferase/Alanine aminotransferase >2.5 \u00d7 upper limit of normal",
            EXCLUSION,
            any_of(uln("ast", gt=2.5), uln("alt", gt=2.5)),
        ),
        ("Serum creatinine > 1.5 x ULN.", EXCLUSION, uln("creatinine", gt=1.5)),
        ("Serum albumin value < 25 g/L", EXCLUSION, lab("albumin", "g/L", lt=25)),
        # forms the brief names, not all in the records
        ("ANC >= 1.5 x 10^9/L", INCLUSION, lab("neutrophils", "10*9/L", gte=1.5)),
        ("Hemoglobin \u2265 9 g/dL", INCLUSION, lab("hemoglobin", "g/dL", gte=9)),
        ("Total bilirubin \u2264 1.5 \u00d7 ULN", INCLUSION, uln("bilirubin_total", lte=1.5)),
        (
            "AST/ALT <= 3 x ULN (or <= 5 x ULN with liver metastases)",
            INCLUSION,
            any_of(
                all_of(uln("ast", lte=3), uln("alt", lte=3)),
                all_of(LIVER, uln("ast", lte=5), uln("alt", lte=5)),
            ),
        ),
        (
            "Serum creatinine \u2264 1.5 x ULN or creatinine clearance \u2265 50 mL/min",
            INCLUSION,
            any_of(uln("creatinine", lte=1.5), lab("creatinine_clearance", "mL/min", gte=50)),
        ),
        ("ALT > 2.5 x ULN", EXCLUSION, uln("alt", gt=2.5)),
        ("Platelets \u2265 100 x10^3/uL", INCLUSION, lab("platelets", "10*3/uL", gte=100)),
        ("Hemoglobin \u2265 5.6 mmol/L", INCLUSION, lab("hemoglobin", "mmol/L", gte=5.6)),
        ("Total bilirubin \u2264 ULN", INCLUSION, uln("bilirubin_total", lte=1)),
        (
            "eGFR >= 60 mL/min/1.73 m2",
            INCLUSION,
            lab("egfr", "mL/min/{1.73_m2}", gte=60),
        ),
    ],
)
def test_lab_texts_are_read(text: str, context: Context, rule: dict[str, Any]) -> None:
    found = suggest(text, context)
    assert found is not None and found.family == "labs"
    assert found.rule.model_dump(exclude_none=True, exclude_defaults=True) == rule


@pytest.mark.parametrize(
    ("text", "context"),
    [
        # records' texts that hold more than a limit
        ("Granulocyte count at least 1,500/mm^3", INCLUSION),  # granulocytes are not ANC
        ("Creatinine =< 1.5 x upper limit of normal (ULN) or", INCLUSION),  # alternative next
        (
            "Calculated (calc.) creatinine clearance >= 45 mL/min by Cockcroft-Gault equation",
            INCLUSION,
        ),
        (
            "Total bilirubin =< 1.5 x upper limit of normal (ULN) except in the case of Gilbert "
            "disease",
            INCLUSION,
        ),
        (
            "Platelet count >= 100,000/mm^3; platelets >= 75,000 required for patients who "
            "received cycle 1 of mFOLFOX6 prior to registration",
            INCLUSION,
        ),
        ("ANC > 1000/mm^3 without the support of filgrastim", INCLUSION),
        ("Hemoglobin > 8.0 g/dL. Subjects may be transfused to reach this cut-off.", INCLUSION),
        ("Hemoglobin < 6.0 mmol/L (<9.6 g/dL).", EXCLUSION),  # two limits that differ
        (
            "Serum creatinine \u2264 1.5 x ULN or Creatinine clearance \u2265 50 mL/min "
            "(calculated using the Cockcroft-Gault formula)",
            INCLUSION,
        ),
        ("Creatinine clearance > 50 mL/min (according to MDRD formula).", INCLUSION),
        (
            "Adequate renal function, with calculated creatinine clearance \u2265 50 mL/min.",
            INCLUSION,
        ),
        (
            "Adequate hepatic function with serum total bilirubin < x1.5 upper limit of normal "
            "range and ALT or AST < x3 upper limit of normal range.",
            INCLUSION,
        ),
        (
            "Total serum bilirubin \u2264 25 \u03bcmol/L, ALT and/or AST \u2264 2.5 x ULN.",
            INCLUSION,
        ),
        (
            "Glomerular filtration rate (GFR) >= 60 mL/min (based on the calculated Chronic "
            "Kidney Disease Epidemiology Collaboration [CKD-EPI] glomerular filtration rate "
            "estimation)",
            INCLUSION,
        ),
        (
            "Creatine phosphokinase (CPK) elevation at the screening < grade 2 (creatine "
            "phosphokinase [CPK] =< 2.5 ULN)",
            INCLUSION,
        ),
        (
            "Non-hematologic parameters: bilirubin \u2264 1.5 mg/dl, AST/ALT \u2264 3.0 x upper "
            "limit of normal (ULN) (\u2264 5.0 x ULN if liver metastases are involved)",
            INCLUSION,
        ),
        # near misses: other units, alternatives, negations, misread numbers
        ("ANC \u2265 1,5 x 10^9/L", INCLUSION),  # a decimal comma
        ("ANC \u2265 1.500/mm3", INCLUSION),  # 1.5 per mm3: a thousands point misread
        ("Hemoglobin \u2265 9 /mm3", INCLUSION),  # a count unit for a mass concentration
        ("Hemoglobin \u2265 90 g/dL", INCLUSION),  # no protocol sets 900 g/L
        ("Platelets \u2265 100,000", INCLUSION),  # no unit
        ("Hemoglobin \u2265 9 g/dL or platelets \u2265 100,000/mm3", INCLUSION),
        ("Hemoglobin \u2265 9 g/dL (80 g/L)", INCLUSION),  # restated differently
        ("AST and ALT > 2.5 x ULN", EXCLUSION),  # both or either?
        ("Serum creatinine > 1.5 x ULN or creatinine clearance < 50 mL/min", EXCLUSION),
        ("AST/ALT <= 3 x ULN (or <= 5 x ULN with bone metastases)", INCLUSION),
        ("AST/ALT > 3 x ULN (> 5 x ULN with liver metastases)", EXCLUSION),
        ("Creatinine kinase < 2.5 x ULN", INCLUSION),  # not creatinine
        ("ANC \u2265 1500/mm3 within 14 days of surgery", INCLUSION),
        ("Not creatinine > 1.5 x ULN", INCLUSION),
        ("GFR >= 60 mL/min", INCLUSION),
        ("eGFR >= 60 mL/min", INCLUSION),  # a clearance unit for a GFR per body surface
        ("Platelets \u2265 100 x 10^9/L and ECOG 0-1", INCLUSION),
        ("ALT \u2264 2.5 x ULN, or \u2264 5 x ULN", INCLUSION),
        ("Neutrophils \u2265 1.5 x 10^9/mL", INCLUSION),  # no such spelling
        ("Hemoglobin \u2265 9 g/dL at the discretion of the investigator", INCLUSION),
    ],
)
def test_texts_that_are_not_only_lab_limits_stay_text(text: str, context: Context) -> None:
    assert suggest(text, context) is None


def test_no_lab_suggestion_on_a_hedged_text() -> None:
    hedged = [t for t in criterion_texts() if wording.hedged(wording.normalize(t["text"]))]
    assert len(hedged) > 100
    for t in hedged:
        found = suggest(t["text"], Context(t["type"]))
        assert found is None or found.family != "labs", t


def test_unit_spellings_that_differ_only_by_spaces_mean_one_unit() -> None:
    units = files.section(files.load("suggestion_labs"), "units")
    squeezed: dict[str, str] = {}
    for spelling, ucum in units.items():
        assert squeezed.setdefault(spelling.replace(" ", ""), ucum) == ucum, spelling


# --- at the FHIR level: results in other units than the rule's ---------------------------


def breast_with(*labs: tuple[str, float | None, str, float | None]) -> Chart:
    chart = patient("breast")
    for loinc, value, unit, high in labs:
        chart.lab(loinc, value, unit, RECENT, high=high)
    return chart


def colon_with(*labs: tuple[str, float | None, str, float | None]) -> Chart:
    chart = patient("colon")
    for loinc, value, unit, high in labs:
        chart.lab(loinc, value, unit, RECENT, high=high)
    return chart


def test_neutrophils_per_mm3_against_a_result_in_10e3_per_ul() -> None:
    trial = imported("NCT02912559")  # inc-11: ANC >= 1500/mm^3, colon adenocarcinoma
    low = matched(trial, colon_with((NEUTROPHILS, 1.49, "10*3/uL", None)))
    assert low.outcome("inc-11") == "fail" and low.status == "ineligible"
    at_limit = matched(trial, colon_with((NEUTROPHILS, 1.5, "10*3/uL", None)))
    assert at_limit.outcome("inc-11") == "pass" and at_limit.status == "possibly_eligible"
    per_litre = matched(trial, colon_with((NEUTROPHILS, 1.5, "10*9/L", None)))
    assert per_litre.outcome("inc-11") == "pass"


def test_hemoglobin_strictly_above_8_g_dl_against_g_l_and_mmol_l() -> None:
    trial = imported("NCT05686226")  # inc-13.d: Hemoglobin > 8.0 g/dL
    assert matched(trial, breast_with((HEMOGLOBIN, 80, "g/L", None))).outcome("inc-13.d") == (
        "fail"
    )
    assert matched(trial, breast_with((HEMOGLOBIN, 81, "g/L", None))).outcome("inc-13.d") == (
        "pass"
    )
    # 4.9 mmol/L (per monomer) is 79.0 g/L; 5.1 mmol/L is 82.2 g/L
    low = matched(trial, breast_with((HEMOGLOBIN, 4.9, "mmol/L", None)))
    assert low.outcome("inc-13.d") == "fail" and low.status == "ineligible"
    assert matched(trial, breast_with((HEMOGLOBIN, 5.1, "mmol/L", None))).outcome("inc-13.d") == (
        "pass"
    )


def test_sub_items_under_a_parent_with_a_window_stay_text() -> None:
    # NCT03587740 inc-12: "The following laboratory values obtained <= 14 days prior to
    # registration:" - read alone, "ANC >= 1500/mm3" would accept a 20-day-old count.
    trial = imported("NCT03587740")
    ids = {c.id: c.encoding for c in trial.criteria if c.id.startswith("inc-12.")}
    assert ids and set(ids.values()) == {"text"}


def test_neutrophils_in_10e9_per_l_against_a_result_per_ul() -> None:
    trial = imported("NCT05688215")  # inc-4: ANC >= 1.5 x 10^9/L, pancreatic cancer
    chart = patient("pancreas")
    chart.lab(NEUTROPHILS, 1499, "/uL", RECENT)
    assert matched(trial, chart).outcome("inc-4") == "fail"
    chart = patient("pancreas")
    chart.lab(NEUTROPHILS, 1500, "/uL", RECENT)
    found = matched(trial, chart)
    assert found.outcome("inc-4") == "pass" and found.status == "possibly_eligible"


def test_bilirubin_in_mg_dl_against_a_result_in_umol_l() -> None:
    trial = imported("NCT00023673")  # inc-20: bilirubin < 1.5 mg/dL (25.66 umol/L), lung
    chart = patient("lung")
    chart.lab(BILIRUBIN, 26, "umol/L", RECENT)
    assert matched(trial, chart).outcome("inc-20") == "fail"
    chart = patient("lung")
    chart.lab(BILIRUBIN, 25, "umol/L", RECENT)
    found = matched(trial, chart)
    assert found.outcome("inc-20") == "pass" and found.status == "possibly_eligible"


def test_creatinine_in_mg_dl_against_a_result_in_umol_l() -> None:
    trial = imported("NCT00023673")  # inc-22: creatinine no greater than 2.0 mg/dL
    chart = patient("lung")
    chart.lab(CREATININE, 180, "umol/L", RECENT)  # 2.04 mg/dL
    assert matched(trial, chart).outcome("inc-22") == "fail"
    chart = patient("lung")
    chart.lab(CREATININE, 2.0, "mg/dL", RECENT)
    assert matched(trial, chart).outcome("inc-22") == "pass"


def test_platelets_per_ul_against_a_result_in_10e9_per_l() -> None:
    trial = imported("NCT05685602")  # inc-6: Platelets >= 100,000/mcL, pancreatic cancer
    chart = patient("pancreas")
    chart.lab(PLATELETS, 99, "10*9/L", RECENT)
    assert matched(trial, chart).outcome("inc-6") == "fail"
    chart = patient("pancreas")
    chart.lab(PLATELETS, 100, "10*9/L", RECENT)
    assert matched(trial, chart).outcome("inc-6") == "pass"


def test_albumin_exclusion_in_g_l_against_a_result_in_g_dl() -> None:
    trial = imported("NCT05703555")  # exc-25: serum albumin < 25 g/L; breast among its sites
    excluded = matched(trial, breast_with((ALBUMIN, 2.4, "g/dL", None)))
    assert excluded.outcome("exc-25") == "fail" and excluded.status == "ineligible"
    at_limit = matched(trial, breast_with((ALBUMIN, 2.5, "g/dL", None)))
    assert at_limit.outcome("exc-25") == "pass" and at_limit.status == "possibly_eligible"


def test_creatinine_uln_exclusion_is_strict() -> None:
    trial = imported("NCT05703555")  # exc-24.a: serum creatinine > 1.5 x ULN
    excluded = matched(trial, breast_with((CREATININE, 2.0, "mg/dL", 1.2)))  # 1.67 x ULN
    assert excluded.outcome("exc-24.a") == "fail" and excluded.status == "ineligible"
    at_limit = matched(trial, breast_with((CREATININE, 1.8, "mg/dL", 1.2)))  # 1.5 x ULN
    assert at_limit.outcome("exc-24.a") == "pass"
    no_range = matched(trial, breast_with((CREATININE, 2.0, "mg/dL", None)))
    assert no_range.outcome("exc-24.a") == "unknown"


def test_ast_alt_each_below_the_multiple() -> None:
    trial = imported("NCT05686226")  # inc-13.f: AST/ALT < 2.5 x ULN (strict); no site
    chart = patient("breast")
    chart.lab(AST, 30, "U/L", RECENT, high=40)
    chart.lab(ALT, 100, "U/L", RECENT, high=40)  # exactly 2.5 x ULN
    found = matched(trial, chart)
    assert found.outcome("inc-13.f") == "fail" and found.status == "ineligible"
    chart = patient("breast")
    chart.lab(AST, 30, "U/L", RECENT, high=40)
    chart.lab(ALT, 99, "U/L", RECENT, high=40)
    assert matched(trial, chart).outcome("inc-13.f") == "pass"


def liver_panel(alt_times_uln: float, *, liver_metastases: bool | None) -> Chart:
    """Bilirubin normal, AST normal, ALT at the given multiple of a 40 U/L ULN."""
    chart = patient("colon")
    chart.lab(BILIRUBIN, 0.8, "mg/dL", RECENT, high=1.2)
    chart.lab(AST, 30, "U/L", RECENT, high=40)
    chart.lab(ALT, 40 * alt_times_uln, "U/L", RECENT, high=40)
    if liver_metastases:
        chart.condition([LIVER_METASTASIS], "Liver metastases", onset="2026-06-20")
    elif liver_metastases is False:
        chart.clinical_tnm("cT3", "cN1", "cM0", RECENT)  # M0: no distant metastasis
    return chart


def test_liver_metastases_widen_the_alt_limit() -> None:
    trial = imported("NCT05700656")  # inc-10.c: ALAT/ASAT <= 3 x ULN, < 5 x with liver mets
    assert matched(trial, liver_panel(2, liver_metastases=None)).outcome("inc-10.c") == "pass"
    with_mets = matched(trial, liver_panel(4, liver_metastases=True))
    assert with_mets.outcome("inc-10.c") == "pass" and with_mets.status == "possibly_eligible"
    # 4 x ULN and nothing recorded of the liver: the exception may apply, for a person
    assert matched(trial, liver_panel(4, liver_metastases=None)).outcome("inc-10.c") == "unknown"
    no_mets = matched(trial, liver_panel(4, liver_metastases=False))
    assert no_mets.outcome("inc-10.c") == "fail" and no_mets.status == "ineligible"
    too_high = matched(trial, liver_panel(5, liver_metastases=True))  # < 5 is strict
    assert too_high.outcome("inc-10.c") == "fail"
