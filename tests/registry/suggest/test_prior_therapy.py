"""The prior_therapy family: chemotherapy, radiotherapy by region, checkpoint inhibitors
and washouts, on texts of the shared registry records, and at the FHIR level."""

from __future__ import annotations

from typing import Any

import pytest

from app.registry.suggest import suggest
from app.registry.suggest.reading import Context
from tests.factories import ICD10, SNOMED
from tests.registry.suggest.drafted import criterion, match, verdict
from tests.scenarios.charts import ADENO, RECTUM_US, Chart, coding

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CHEMO_PROCEDURES = ["chemotherapy", "chemoradiotherapy"]
RT_PROCEDURES = ["radiotherapy", "chemoradiotherapy"]


def judgement(question: str) -> dict[str, Any]:
    return {"op": "judgement", "question": question}


def asked(rule: dict[str, Any], question: str) -> dict[str, Any]:
    return {"op": "all", "of": [rule, judgement(question)]}


def any_of(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"op": "any", "of": list(rules)}


def none_of(rule: dict[str, Any]) -> dict[str, Any]:
    return {"op": "not", "rule": rule}


def treatment(categories: list[str], **fields: Any) -> dict[str, Any]:
    return {"op": "treatment", "categories": categories, **fields}


def medication(*classes: str, **fields: Any) -> dict[str, Any]:
    return {"op": "medication", "classes": list(classes), **fields}


CHEMOTHERAPY = any_of(medication("chemotherapy"), treatment(CHEMO_PROCEDURES))
PELVIC_RT = any_of(
    treatment(RT_PROCEDURES, body_regions=["pelvis", "rectum"]),
    asked(treatment(RT_PROCEDURES, body_regions=["abdomen"]),
          "Did the radiotherapy to the abdomen include the pelvis?"),
)  # fmt: skip
ANTI_PD1 = any_of(
    medication("anti_pd1_pdl1"),
    asked(treatment(["immunotherapy"]),
          "Was the recorded immunotherapy procedure an anti-PD-1/PD-L1 antibody?"),
)  # fmt: skip
LUNG_ONLY = ("lung",)


@pytest.mark.parametrize(
    ("text", "kind", "sites", "expected"),
    [
        # Real texts of the shared records
        ("No prior chemotherapy for current lung cancer", "inclusion", LUNG_ONLY,
         none_of(any_of(
             asked(medication("chemotherapy"),
                   "Was the recorded chemotherapy for the cancer of the bronchus and lung?"),
             treatment(CHEMO_PROCEDURES, for_cancer_at=["lung"]),
         ))),
        ("At least 5 years since prior chemotherapy", "inclusion", LUNG_ONLY,
         none_of(any_of(medication("chemotherapy", within_months=60),
                        treatment(CHEMO_PROCEDURES, within_months=60)))),
        ("No prior radiotherapy to the thorax", "inclusion", LUNG_ONLY,
         none_of(any_of(
             treatment(RT_PROCEDURES, body_regions=["chest"]),
             asked(treatment(RT_PROCEDURES, body_regions=["esophagus"]),
                   "Did the radiotherapy to the esophagus include the chest?"),
         ))),
        ("Without previous antitumoural chemotherapy", "inclusion", ("rectum",),
         none_of(CHEMOTHERAPY)),
        ("Previous antitumoural chemotherapy", "exclusion", ("rectum",), CHEMOTHERAPY),
        ("Previous pelvis radiotherapy", "exclusion", ("rectum",), PELVIC_RT),
        # The brief's
        ("Prior pelvic radiotherapy", "exclusion", (), PELVIC_RT),
        ("No prior chemotherapy for rectal cancer", "inclusion", ("rectum",),
         none_of(any_of(
             asked(medication("chemotherapy"),
                   "Was the recorded chemotherapy for the cancer of the rectum?"),
             treatment(CHEMO_PROCEDURES, for_cancer_at=["rectum"]),
         ))),
        ("No prior chemotherapy for this cancer", "inclusion", ("colorectal",),
         none_of(any_of(
             asked(medication("chemotherapy"),
                   "Was the recorded chemotherapy for the cancer of the colon or rectum?"),
             treatment(CHEMO_PROCEDURES,
                       for_cancer_at=["colorectal", "colon", "appendix", "rectosigmoid",
                                      "rectum"]),
         ))),
        ("Prior treatment with anti-PD-1/PD-L1", "exclusion", (), ANTI_PD1),
        ("Prior anti-PD-1 or anti-PD-L1 antibody", "exclusion", (), ANTI_PD1),
        ("Chemotherapy within 4 weeks prior to the first dose of study treatment", "exclusion",
         (), any_of(medication("chemotherapy", within_days=28),
                    asked(treatment(CHEMO_PROCEDURES, within_months=1),
                          "Did the chemotherapy (a recorded procedure) end within 28 days?"))),
    ],
)  # fmt: skip
def test_real_texts_are_read(
    text: str, kind: str, sites: tuple[str, ...], expected: dict[str, Any]
) -> None:
    found = suggest(text, Context(kind, sites))  # type: ignore[arg-type]
    assert found is not None and found.family == "prior_therapy"
    assert found.rule.model_dump(exclude_none=True, exclude_defaults=True) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # classes the vocabulary does not hold: the whole list stays text
        ("Prior therapy with anti-PD-1, anti-PDL1, anti-PD-L2, anti-CD137, or anti-CTLA-4 "
         "antibody", "exclusion"),
        ("No prior biologic response modifiers for current lung cancer", "inclusion"),
        ("Previous treatment with a BRAF inhibitor, cetuximab or other anti-EGFR treatment.",
         "exclusion"),
        # windows the rule cannot hold, exceptions, words that change what is counted
        ("Received radiation therapy ≤14 days prior to initiation of investigational "
         "products.", "exclusion"),
        ("Patients who have had chemotherapy or radiotherapy within 4 weeks (6 weeks for "
         "nitrosoureas or mitomycin C) prior to entering the study", "exclusion"),
        ("No prior medical therapy (chemotherapy, immunotherapy, biologic or targeted therapy) "
         "or radiation therapy for colon cancer EXCEPT for 1 cycle of mFOLFOX6", "inclusion"),
        ("Ongoing radiation therapy.", "exclusion"),
        ("More than four weeks must have elapsed since any prior systemic therapy", "inclusion"),
        ("Prior chemotherapy for metastatic disease", "exclusion"),
        ("No prior chemotherapy for metastatic lung cancer", "inclusion"),
        # a region for a drug, "and" between therapies, an inclusion asking for a therapy
        ("Prior pelvic chemotherapy", "exclusion"),
        ("No prior chemotherapy and radiotherapy", "inclusion"),
        ("Prior chemotherapy", "inclusion"),
        # negation in an exclusion, and a trial without its own cancer for "this cancer"
        ("No prior chemotherapy", "exclusion"),
        ("No prior chemotherapy for this cancer", "inclusion"),
    ],
)  # fmt: skip
def test_near_misses_stay_text(text: str, kind: str) -> None:
    assert suggest(text, Context(kind)) is None  # type: ignore[arg-type]


# --- FHIR level -----------------------------------------------------------------------

RADIOTHERAPY = [coding(SNOMED, "108290001", "Radiation oncology AND/OR radiotherapy")]
CHEMO_PROCEDURE = [coding(SNOMED, "367336001", "Chemotherapy")]
PELVIS = coding(SNOMED, "12921003", "Pelvis")
CHEST = coding(SNOMED, "51185008", "Thoracic structure")
ABDOMEN = coding(SNOMED, "818983003", "Abdomen")
OXALIPLATIN = coding(RXNORM, "32592", "oxaliplatin")
LUNG = [coding(ICD10, "C34.90", "Malignant neoplasm of unspecified part of bronchus or lung")]


def rectal(pid: str) -> Chart:
    chart = Chart(pid, gender="male", birth_date="1962-03-14")
    chart.primary_cancer(RECTUM_US, "Rectal adenocarcinoma", onset="2026-10-01", histology=ADENO)
    return chart


def lung(pid: str) -> Chart:
    chart = Chart(pid, gender="female", birth_date="1958-06-01")
    chart.primary_cancer(LUNG, "Non-small cell lung cancer", onset="2026-09-01")
    return chart


def given(chart: Chart, drug: dict[str, str], day: str) -> None:
    chart.add(
        {
            "resourceType": "MedicationAdministration",
            "id": f"med-{len(chart.resources)}",
            "status": "completed",
            "subject": chart.subject,
            "medicationCodeableConcept": {"coding": [drug]},
            "effectiveDateTime": day,
        }
    )


def test_previous_pelvic_radiotherapy_excludes() -> None:
    """NCT05688033 exc-4 "Previous pelvis radiotherapy"."""
    assert criterion("NCT05688033", "exc-4").encoding == "suggested"
    pelvic = rectal("pelvic-rt")
    pelvic.procedure(RADIOTHERAPY, "Pelvic radiotherapy", "2015-03-01", body_site=PELVIS)
    refused = match("NCT05688033", pelvic)
    assert verdict(refused, "exc-4").outcome == "fail"
    assert refused.status == "ineligible" and "exc-4" in refused.unmet

    chest = rectal("chest-rt")
    chest.procedure(RADIOTHERAPY, "Chest wall radiotherapy", "2015-03-01", body_site=CHEST)
    admitted = match("NCT05688033", chest)
    assert verdict(admitted, "exc-4").outcome == "pass"
    assert admitted.status == "possibly_eligible"

    abdominal = rectal("abdominal-rt")
    abdominal.procedure(RADIOTHERAPY, "Abdominal radiotherapy", "2015-03-01", body_site=ABDOMEN)
    found = verdict(match("NCT05688033", abdominal), "exc-4")
    assert (found.outcome, found.needs) == ("unknown", "review")


def test_previous_chemotherapy_as_a_medication_excludes() -> None:
    """NCT05688033 exc-5 and inc-6: any chemotherapy given, whatever it was for."""
    treated = rectal("oxaliplatin")
    given(treated, OXALIPLATIN, "2024-05-02")
    refused = match("NCT05688033", treated)
    assert verdict(refused, "exc-5").outcome == "fail"
    assert verdict(refused, "inc-6").outcome == "fail"
    assert refused.status == "ineligible"

    admitted = match("NCT05688033", rectal("chemo-naive"))
    assert verdict(admitted, "exc-5").outcome == "pass"
    assert verdict(admitted, "inc-6").outcome == "pass"
    assert admitted.status == "possibly_eligible"


def test_chemotherapy_for_the_current_lung_cancer() -> None:
    """NCT00023673 inc-31 "No prior chemotherapy for current lung cancer": a chemotherapy
    procedure after the diagnosis fails; one years before it (another disease) passes; a
    chemotherapy medication, which names no cancer, goes to a person."""
    assert criterion("NCT00023673", "inc-31").encoding == "suggested"
    after = lung("chemo-after")
    after.procedure(CHEMO_PROCEDURE, "Chemotherapy", "2026-10-01")
    refused = match("NCT00023673", after)
    assert verdict(refused, "inc-31").outcome == "fail"
    assert refused.status == "ineligible"

    before = lung("chemo-before")
    before.procedure(CHEMO_PROCEDURE, "Chemotherapy", "2009-02-01")
    admitted = match("NCT00023673", before)
    assert verdict(admitted, "inc-31").outcome == "pass"
    assert admitted.status == "possibly_eligible"
    # ... and the same patient passes "At least 5 years since prior chemotherapy" (inc-32)
    assert verdict(admitted, "inc-32").outcome == "pass"

    as_drug = lung("chemo-drug")
    given(as_drug, OXALIPLATIN, "2026-10-05")
    found = verdict(match("NCT00023673", as_drug), "inc-31")
    assert (found.outcome, found.needs) == ("unknown", "review")
    assert verdict(match("NCT00023673", as_drug), "inc-32").outcome == "fail"
