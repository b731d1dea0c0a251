"""The histology family: the cancer an inclusion criterion asks for (site, histology,
proof), on texts of the shared registry records, and at the FHIR level."""

from __future__ import annotations

from typing import Any

import pytest

from app.registry.suggest import suggest
from app.registry.suggest.reading import Context
from tests.factories import LOINC
from tests.registry.suggest.drafted import criterion, match, verdict
from tests.scenarios.charts import ADENO, BIOPSY_REPORT, RECTUM_US, SCC, Chart, coding

HISTOLOGY = ("biopsy", "resection")
ANY_PROOF = ("biopsy", "resection", "cytology")


@pytest.mark.parametrize(
    ("text", "sites", "expected"),
    [
        # Real texts (NCT02481830 inc-2, NCT05688033 inc-1, NCT05694936 inc-2,
        # NCT01470586 inc-1), then the brief's.
        (
            "Histologically or cytologically confirmed small cell lung cancer (SCLC)",
            ("lung",),
            {"sites": ["lung"], "histologies": ["small_cell_carcinoma"],
             "confirmed_by": list(ANY_PROOF)},
        ),
        ("Patients with rectal adenocarcinoma", ("rectum",),
         {"sites": ["rectum"], "histologies": ["adenocarcinoma"]}),
        ("Histological diagnosis of colorectal cancer.", ("colorectal",),
         {"sites": ["colorectal"], "confirmed_by": list(HISTOLOGY)}),
        ("Patients with colorectal cancer", (), {"sites": ["colorectal"]}),
        ("Histologically confirmed adenocarcinoma of the rectum", ("rectum",),
         {"sites": ["rectum"], "histologies": ["adenocarcinoma"],
          "confirmed_by": list(HISTOLOGY)}),
        ("Pathologically confirmed colorectal adenocarcinoma", ("colorectal",),
         {"sites": ["colorectal"], "histologies": ["adenocarcinoma"],
          "confirmed_by": list(ANY_PROOF)}),
        ("histologically or cytologically confirmed non-small cell lung cancer", ("lung",),
         {"sites": ["lung"], "histologies": ["non_small_cell_carcinoma"],
          "confirmed_by": list(ANY_PROOF)}),
        ("Cytologically or histologically confirmed NSCLC", (),
         {"sites": ["lung"], "histologies": ["non_small_cell_carcinoma"],
          "confirmed_by": list(ANY_PROOF)}),
    ],
)  # fmt: skip
def test_real_texts_are_read(text: str, sites: tuple[str, ...], expected: dict[str, Any]) -> None:
    found = suggest(text, Context("inclusion", sites))  # type: ignore[arg-type]
    assert found is not None and found.family == "histology"
    assert found.rule.model_dump(exclude_none=True) == {"op": "primary_cancer", **expected}


@pytest.mark.parametrize(
    ("text", "sites"),
    [
        # extra conditions: stage, resectability, biomarkers, a second cancer
        ("Histologically or cytologically confirmed unresectable stage IIIB non-small cell "
         "lung cancer", ("lung",)),
        ("Histologically confirmed colorectal adenocarcinoma and biopsy pathology confirmed "
         "MSS/pMMR;", ("colorectal",)),
        ("Histologically confirmed metastatic colorectal adenocarcinoma", ("colorectal",)),
        ("Recurrent or metastatic pancreatic adenocarcinoma", ("pancreas",)),
        ("Gastric adenocarcinoma or adenocarcinoma of gastroesophageal junction confirmed by "
         "histology or cytology.", ()),
        # a histology with neither organ nor proof: an item of a list of alternatives
        ("Adenocarcinoma", ("lung",)),
        ("Squamous cell carcinoma", ("lung",)),
        # cytology alone as the proof would fail a patient proven by biopsy
        ("Cytologically confirmed adenocarcinoma of the pancreas", ("pancreas",)),
        # "confirmed" without saying how; "carcinoma" broader than the vocabulary's family
        ("Confirmed diagnosis of gastric adenocarcinoma.", ("stomach",)),
        ("Histologically confirmed rectal carcinoma", ("rectum",)),
        # negation, and a site narrower than the trial's own (colon in a colorectal trial)
        ("No small cell lung cancer", ("lung",)),
        ("Have histologically or cytologically - proven cancer of the pancreas or colon.",
         ("colorectal", "pancreas")),
        # hedged
        ("Histologically confirmed adenocarcinoma of the rectum, as deemed by the pathologist",
         ("rectum",)),
    ],
)  # fmt: skip
def test_near_misses_stay_text(text: str, sites: tuple[str, ...]) -> None:
    assert suggest(text, Context("inclusion", sites)) is None  # type: ignore[arg-type]


def test_exclusion_texts_are_not_read() -> None:
    assert suggest("Patients with rectal adenocarcinoma", Context("exclusion")) is None


# --- FHIR level: NCT05688033 inc-1 and NCT05694936 inc-2 as imported ---------------------


def rectal_cancer(histology: dict[str, str] | None, pid: str = "rectal") -> Chart:
    chart = Chart(pid, gender="male", birth_date="1962-03-14")
    chart.primary_cancer(RECTUM_US, "Rectal cancer", onset="2026-09-01", histology=histology)
    return chart


def test_rectal_adenocarcinoma_passes_and_squamous_cell_fails() -> None:
    assert criterion("NCT05688033", "inc-1").encoding == "suggested"

    admitted = match("NCT05688033", rectal_cancer(ADENO))
    assert verdict(admitted, "inc-1").outcome == "pass"
    assert admitted.status == "possibly_eligible"

    refused = match("NCT05688033", rectal_cancer(SCC, pid="rectal-scc"))
    assert verdict(refused, "inc-1").outcome == "fail"
    assert refused.status == "ineligible" and "inc-1" in refused.unmet


def test_a_histological_diagnosis_needs_a_biopsy_or_resection_not_cytology() -> None:
    assert criterion("NCT05694936", "inc-2").encoding == "suggested"

    proven = rectal_cancer(ADENO)
    proven.report(BIOPSY_REPORT, "2026-08-28", "Rectal biopsy: adenocarcinoma, moderately "
                  "differentiated.")  # fmt: skip
    admitted = match("NCT05694936", proven)
    assert verdict(admitted, "inc-2").outcome == "pass"
    assert admitted.status == "possibly_eligible"

    cytology = rectal_cancer(ADENO, pid="rectal-cytology")
    cytology.report(
        coding(LOINC, "33746-9", "Pathology report cytology"),
        "2026-08-28",
        "Rectal brushing cytology: adenocarcinoma.",
        category="CY",
    )
    refused = match("NCT05694936", cytology)
    assert verdict(refused, "inc-2").outcome == "fail"
    assert refused.status == "ineligible"

    unproven = match("NCT05694936", rectal_cancer(ADENO, pid="rectal-unproven"))
    assert verdict(unproven, "inc-2").outcome == "unknown"
