"""The other_malignancy family: another cancer than the trial's own, within a window, with
the exceptions the vocabulary holds exactly, on texts of the shared registry records, and
at the FHIR level."""

from __future__ import annotations

from typing import Any

import pytest

from app.registry.suggest import suggest
from app.registry.suggest.reading import Context
from tests.factories import ICD10
from tests.registry.suggest.drafted import criterion, match, verdict
from tests.scenarios.charts import BREAST, Chart, coding


def other(sites: list[str], **fields: Any) -> dict[str, Any]:
    return {"op": "other_malignancy", "index_sites": sites, **fields}


@pytest.mark.parametrize(
    ("text", "kind", "sites", "expected"),
    [
        # Real texts of the shared records
        ("No other malignancy within the past year except nonmelanoma skin cancer",
         "inclusion", ("lung",),
         {"op": "not", "rule": other(["lung"], within_months=12,
                                     except_categories=["non_melanoma_skin_cancer"])}),
        ("No history of other primary cancers in the past 3 years", "inclusion",
         ("colorectal",), {"op": "not", "rule": other(["colorectal"], within_months=36)}),
        ("Patients with another primary cancer", "exclusion", ("colorectal",),
         other(["colorectal"])),
        ("History of another primary malignancy.", "exclusion", ("stomach",), other(["stomach"])),
        ("Patients with a history of any malignancy are ineligible", "exclusion", ("breast",),
         other(["breast"])),
        # The brief's, with an exception the vocabulary holds
        ("No other malignancy within the past 5 years except non-melanoma skin cancer",
         "inclusion", ("rectum",),
         {"op": "not", "rule": other(["rectum"], within_months=60,
                                     except_categories=["non_melanoma_skin_cancer"])}),
        ("Other malignancy within 3 years prior to enrollment", "exclusion", ("rectum",),
         other(["rectum"], within_months=36)),
    ],
)  # fmt: skip
def test_real_texts_are_read(
    text: str, kind: str, sites: tuple[str, ...], expected: dict[str, Any]
) -> None:
    found = suggest(text, Context(kind, sites))  # type: ignore[arg-type]
    assert found is not None and found.family == "other_malignancy"
    assert found.rule.model_dump(exclude_none=True, exclude_defaults=True) == expected


@pytest.mark.parametrize(
    ("text", "kind", "sites"),
    [
        # the brief's: cervical carcinoma in situ is narrower than any category we hold
        ("No other malignancy within the past 5 years except non-melanoma skin cancer or "
         "carcinoma in situ of the cervix", "inclusion", ("rectum",)),
        ("Other advanced malignant tumors within 5 years (except cured skin basal cell "
         "carcinoma, cervical carcinoma in situ, ovarian cancer, thyroid cancer and breast "
         "cancer);", "exclusion", ("colorectal",)),
        # qualifiers: active, invasive, progressing; "combined"; a bare malignancy
        ("Other active malignancies", "exclusion", ("esophagus",)),
        ("History of another invasive malignancy", "exclusion", ("rectum",)),
        ("Has a known additional malignancy that is progressing or has required active "
         "treatment within the past 5 years.", "exclusion", ("stomach",)),
        ("Combined malignancy.", "exclusion", ("rectum",)),
        ("Malignancy within the last 2 years as specified in the protocol", "exclusion",
         ("lung",)),
        ("Malignancy", "exclusion", ("lung",)),
        # a named other cancer; no index site; the wrong criterion type for the negation
        ("No lung cancer within the past 2 years", "inclusion", ("lung",)),
        ("History of another primary malignancy.", "exclusion", ()),
        ("No other malignancy", "exclusion", ("lung",)),
        ("History of another primary malignancy", "inclusion", ("lung",)),
    ],
)  # fmt: skip
def test_near_misses_stay_text(text: str, kind: str, sites: tuple[str, ...]) -> None:
    assert suggest(text, Context(kind, sites)) is None  # type: ignore[arg-type]


# --- FHIR level -----------------------------------------------------------------------

LUNG = [coding(ICD10, "C34.90", "Malignant neoplasm of unspecified part of bronchus or lung")]
BASAL_CELL_SKIN = [coding(ICD10, "C44.91", "Basal cell carcinoma of skin, unspecified")]
STOMACH = [coding(ICD10, "C16.9", "Malignant neoplasm of stomach, unspecified")]


def lung(pid: str) -> Chart:
    chart = Chart(pid, gender="female", birth_date="1958-06-01")
    chart.primary_cancer(LUNG, "Non-small cell lung cancer", onset="2026-09-01")
    return chart


def test_no_other_malignancy_within_a_year_but_skin_cancer() -> None:
    """NCT00023673 inc-27: a breast cancer of this year fails; one of 2019 and a basal cell
    carcinoma of the skin (the exception) pass."""
    assert criterion("NCT00023673", "inc-27").encoding == "suggested"
    recent = lung("breast-recent")
    recent.condition(BREAST, "Breast cancer", onset="2026-04-01")
    refused = match("NCT00023673", recent)
    assert verdict(refused, "inc-27").outcome == "fail"
    assert refused.status == "ineligible" and "inc-27" in refused.unmet

    excepted = lung("skin-and-old-breast")
    excepted.condition(BASAL_CELL_SKIN, "Basal cell carcinoma of skin", onset="2026-06-01")
    excepted.condition(BREAST, "Breast cancer", onset="2019-04-01", status="resolved")
    admitted = match("NCT00023673", excepted)
    assert verdict(admitted, "inc-27").outcome == "pass"
    assert admitted.status == "possibly_eligible"


def test_history_of_another_primary_malignancy() -> None:
    """NCT05702229 exc-7 (a gastric cancer trial)."""
    assert criterion("NCT05702229", "exc-7").encoding == "suggested"

    def gastric(pid: str) -> Chart:
        chart = Chart(pid, gender="male", birth_date="1960-01-20")
        chart.primary_cancer(STOMACH, "Gastric adenocarcinoma", onset="2026-08-01")
        return chart

    prior = gastric("prior-breast")
    prior.condition(BREAST, "Breast cancer", onset="2012-02-01", status="resolved")
    refused = match("NCT05702229", prior)
    assert verdict(refused, "exc-7").outcome == "fail"
    assert refused.status == "ineligible"

    admitted = match("NCT05702229", gastric("gastric-only"))
    assert verdict(admitted, "exc-7").outcome == "pass"
    assert admitted.status == "possibly_eligible"
