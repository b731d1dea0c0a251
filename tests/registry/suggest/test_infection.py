"""The infection family: HIV, hepatitis B and C, on texts of the shared registry records,
and at the FHIR level."""

from __future__ import annotations

from typing import Any

import pytest

from app.registry.suggest import suggest
from app.registry.suggest.reading import Context
from tests.factories import ICD10
from tests.registry.suggest.drafted import criterion, match, verdict
from tests.scenarios.charts import ADENO, BREAST, RECTUM_US, Chart, coding

ACTIVE = ["active", "recurrence", "relapse"]
HEPATITIS = ["hepatitis_b", "hepatitis_c"]
NOT_ACTIVE = "Is the recorded hepatitis B or C a current infection? It is not recorded active."
EXCLUSION = Context("exclusion")


def condition(categories: list[str], statuses: list[str] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"op": "condition", "categories": categories}
    if statuses:
        rule["statuses"] = statuses
    return rule


def current(hiv: bool) -> dict[str, Any]:
    """What "infection with" / "positive" reads as: HIV whatever its status, hepatitis
    recorded active, or recorded otherwise for a person."""
    parts = [condition(["hiv"])] if hiv else []
    parts += [
        condition(HEPATITIS, ACTIVE),
        {"op": "all", "of": [condition(HEPATITIS), {"op": "judgement", "question": NOT_ACTIVE}]},
    ]
    return {"op": "any", "of": parts}


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        # Real texts of the shared records
        ("No known active hepatitis B or C", Context("inclusion"),
         {"op": "not", "rule": condition(HEPATITIS, ACTIVE)}),
        ("Active hepatitis B or C", EXCLUSION, condition(HEPATITIS, ACTIVE)),
        ("HIV, hepatitis B virus(HBV), or hepatitis C virus(HCV) positive;", EXCLUSION,
         current(hiv=True)),
        ("Has active human immunodeficiency virus (HIV), hepatitis B virus, or HCV infection",
         EXCLUSION, condition(["hiv", *HEPATITIS], ACTIVE)),
        ("Has a known history of human immunodeficiency virus (HIV) infection.", EXCLUSION,
         condition(["hiv"])),
        ("History of infection with human immunodeficiency virus (HIV).", EXCLUSION,
         condition(["hiv"])),
        ("Active infection with hepatitis B or hepatitis C.", EXCLUSION,
         condition(HEPATITIS, ACTIVE)),
        ("Infection with HIV or hepatitis B or C.", EXCLUSION, current(hiv=True)),
        ("Patients with active hepatitis B, hepatitis C or HIV.", EXCLUSION,
         condition([*HEPATITIS, "hiv"], ACTIVE)),
        # The brief's
        ("Known HIV infection", EXCLUSION, condition(["hiv"])),
        ("History of hepatitis B or C", EXCLUSION, condition(HEPATITIS)),
    ],
)  # fmt: skip
def test_real_texts_are_read(text: str, context: Context, expected: dict[str, Any]) -> None:
    found = suggest(text, context)
    assert found is not None and found.family == "infection"
    assert found.rule.model_dump(exclude_none=True, exclude_defaults=True) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # test results: not what the rule reads
        ("Negative HIV test at screening", "inclusion"),
        ("Seronegative for HIV antibody.", "inclusion"),
        ("Negative hepatitis C virus (HCV) antibody test at screening", "inclusion"),
        ("With positive results of HIV antibody test;", "exclusion"),
        ("Known positive test for human immunodeficiency virus (HIV), hepatitis C virus, or "
         "acute or chronic hepatitis B infection.", "exclusion"),
        # qualifiers the family does not read; which qualifier applies to what is unclear
        ("Chronic hepatitis B", "exclusion"),
        ("Has a known history of Hepatitis B or known active Hepatitis C virus infection",
         "exclusion"),
        ("Patients with a known history of hepatitis B or C or known Human Immunodeficiency "
         "Virus HIV-1 or HIV-2 type patients;", "exclusion"),
        ("Active infectious diseases, including tuberculosis, HIV infection, or hepatitis "
         "A/B/C.", "exclusion"),
        ("Untreated Hepatitis B infection", "exclusion"),
        # hedged; an inclusion asking for the infection; negation in an exclusion
        ("Select patients with well compensated, treated HBV infection and chronic HCV "
         "infection may be considered", "inclusion"),
        ("HIV infection", "inclusion"),
        ("No HIV infection", "exclusion"),
    ],
)  # fmt: skip
def test_near_misses_stay_text(text: str, kind: str) -> None:
    assert suggest(text, Context(kind)) is None  # type: ignore[arg-type]


# --- FHIR level -----------------------------------------------------------------------

HIV = [coding(ICD10, "B20", "Human immunodeficiency virus [HIV] disease")]
HEPATITIS_C = [coding(ICD10, "B18.2", "Chronic viral hepatitis C")]
HEPATITIS_B = [coding(ICD10, "B18.1", "Chronic viral hepatitis B without delta-agent")]


def rectal(pid: str) -> Chart:
    chart = Chart(pid, gender="male", birth_date="1962-03-14")
    chart.primary_cancer(RECTUM_US, "Rectal adenocarcinoma", onset="2026-10-01", histology=ADENO)
    return chart


def test_infection_with_hiv_or_hepatitis() -> None:
    """NCT06411691 exc-9 "Infection with HIV or hepatitis B or C"."""
    assert criterion("NCT06411691", "exc-9").encoding == "suggested"
    with_hiv = rectal("hiv")
    with_hiv.condition(HIV, "HIV disease", onset="2010-05-01", status="active")
    refused = match("NCT06411691", with_hiv)
    assert verdict(refused, "exc-9").outcome == "fail"
    assert refused.status == "ineligible" and "exc-9" in refused.unmet

    active_hcv = rectal("hcv-active")
    active_hcv.condition(HEPATITIS_C, "Chronic hepatitis C", onset="2019-01-01", status="active")
    assert verdict(match("NCT06411691", active_hcv), "exc-9").outcome == "fail"

    # A cured hepatitis C is not an infection, an inactive one may be: for a person.
    cured = rectal("hcv-cured")
    cured.condition(HEPATITIS_C, "Chronic hepatitis C", onset="2015-01-01", status="resolved")
    found = verdict(match("NCT06411691", cured), "exc-9")
    assert (found.outcome, found.needs) == ("unknown", "review")

    admitted = match("NCT06411691", rectal("no-infection"))
    passed = verdict(admitted, "exc-9")
    assert passed.outcome == "pass"
    assert passed.assumptions == ["no recorded diagnosis counts as absent"]
    assert admitted.status == "possibly_eligible"


def test_active_hepatitis_excludes_and_resolved_does_not() -> None:
    """NCT03377387 exc-6 "Active hepatitis B or C" (a breast cancer trial)."""
    assert criterion("NCT03377387", "exc-6").encoding == "suggested"

    def woman(pid: str, status: str) -> Chart:
        chart = Chart(pid, gender="female", birth_date="1970-04-02")
        chart.primary_cancer(BREAST, "Breast cancer", onset="2026-03-10")
        chart.condition(HEPATITIS_B, "Chronic hepatitis B", onset="2012-01-01", status=status)
        return chart

    refused = match("NCT03377387", woman("hbv-active", "active"))
    assert verdict(refused, "exc-6").outcome == "fail"
    assert refused.status == "ineligible"

    admitted = match("NCT03377387", woman("hbv-resolved", "resolved"))
    assert verdict(admitted, "exc-6").outcome == "pass"
    assert admitted.status == "possibly_eligible"
