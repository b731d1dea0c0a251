"""Windows on treatments count from when the course ended, and partial dates are ranges
(FHIR Procedure in, facts and a rule's finding out)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter

from app.eligibility.language import Rule
from app.eligibility.logic import Truth
from app.eligibility.operators import compile_rule
from app.eligibility.view import PatientView
from app.facts.model import TreatmentFact
from tests.factories import facts_of

AS_OF = date(2026, 11, 23)  # six months back: 2026-05-23
RECENT_RT = TypeAdapter(Rule).validate_python(
    {"op": "treatment", "categories": ["radiotherapy"], "within_months": 6}
)


def _radiotherapy(**performed: Any) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": "rt-1",
        "status": "completed",
        "code": {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "108290001",
                    "display": "Radiation oncology AND/OR radiotherapy",
                }
            ]
        },
        "subject": {"reference": "Patient/p1"},
        **performed,
    }


@pytest.mark.parametrize(
    ("performed", "truth"),
    [
        # Started 8 months ago, ended 4 months ago: within the past 6 months.
        ({"performedPeriod": {"start": "2026-03-02", "end": "2026-07-20"}}, Truth.TRUE),
        # Ended 7 months ago.
        ({"performedPeriod": {"start": "2026-03-02", "end": "2026-04-10"}}, Truth.FALSE),
        # Ended some day of May 2026: the window starts on the 23rd, inside that month.
        ({"performedPeriod": {"start": "2026-03-02", "end": "2026-05"}}, Truth.UNKNOWN),
        # Given some day of May 2026.
        ({"performedDateTime": "2026-05"}, Truth.UNKNOWN),
        ({"performedDateTime": "2026-06"}, Truth.TRUE),
    ],
    ids=["ended-inside", "ended-outside", "end-month-straddles", "month-straddles", "month-inside"],
)
def test_a_treatment_window_counts_from_the_end_of_the_course(
    performed: dict[str, Any], truth: Truth
) -> None:
    facts = facts_of(_radiotherapy(**performed), as_of=AS_OF)
    assert len(facts.of_kind(TreatmentFact)) == 1
    assert compile_rule(RECENT_RT)(PatientView(facts)).truth is truth


def test_a_course_keeps_its_start_and_end() -> None:
    facts = facts_of(
        _radiotherapy(performedPeriod={"start": "2026-03-02", "end": "2026-07-20"}), as_of=AS_OF
    )
    (treatment,) = facts.of_kind(TreatmentFact)
    assert (treatment.performed, treatment.ended, treatment.performed_latest) == (
        date(2026, 3, 2),
        date(2026, 7, 20),
        date(2026, 7, 20),
    )


@pytest.mark.parametrize(
    ("onset", "truth"),
    [("2024-11", Truth.UNKNOWN), ("2024-12", Truth.TRUE), ("2024-10", Truth.FALSE)],
    ids=["month-straddles", "month-inside", "month-outside"],
)
def test_another_cancer_diagnosed_in_a_month_is_a_range_for_a_window(
    onset: str, truth: Truth
) -> None:
    # "Other malignancy within 2 years" on 2026-11-23: the window starts 2024-11-23.
    rule = TypeAdapter(Rule).validate_python(
        {"op": "other_malignancy", "index_sites": ["rectum"], "within_months": 24}
    )
    breast = {
        "resourceType": "Condition",
        "id": "breast-1",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C50.911"}]},
        "subject": {"reference": "Patient/p1"},
        "onsetDateTime": onset,
    }
    facts = facts_of(breast, as_of=AS_OF)
    assert compile_rule(rule)(PatientView(facts)).truth is truth
