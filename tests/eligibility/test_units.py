"""A lab result recorded exactly at a protocol's limit, in the limit's own unit, is at the
limit: through the FHIR normalizer (which holds the canonical value to 6 decimals) and
the rule's conversion back, no rounding residue decides "<=" or ">="."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from app.eligibility.language import Rule
from app.eligibility.logic import Truth
from app.eligibility.operators import compile_rule
from app.eligibility.view import PatientView
from tests.factories import facts_of, lab

RULE: TypeAdapter[Rule] = TypeAdapter(Rule)

# (analyte, its LOINC code, a unit protocols write limits in, limits as written)
LIMITS = [
    ("creatinine", "2160-0", "mg/dL", [1.0, 1.2, 1.5, 1.6, 2.0, 2.5]),
    ("bilirubin_total", "1975-2", "mg/dL", [1.0, 1.5, 2.0, 3.0]),
    ("hemoglobin", "718-7", "g/dL", [8.0, 9.0, 9.6, 10.0]),
    ("hemoglobin", "718-7", "mmol/L", [5.0, 5.6, 6.0, 6.2]),
    ("albumin", "1751-7", "g/dL", [2.5, 2.8, 3.0]),
    ("neutrophils", "751-8", "/mm3", [1000, 1500, 2000]),
    ("platelets", "777-3", "/uL", [75000, 100000]),
    ("calcium", "17861-6", "mg/dL", [8.0, 12.0]),
    ("glucose", "2345-7", "mg/dL", [70.0, 250.0]),
]


@pytest.mark.parametrize(("analyte", "loinc", "unit", "limits"), LIMITS)
def test_a_result_at_the_limit_in_the_rules_unit_meets_both_inclusive_bounds(
    analyte: str, loinc: str, unit: str, limits: list[float]
) -> None:
    for limit in limits:
        view = PatientView(facts_of(lab(loinc, limit, unit, when="2026-11-20")))
        for bound in ("lte", "gte"):
            rule = {"op": "lab", "analyte": analyte, "unit": unit, bound: limit}
            assert compile_rule(RULE.validate_python(rule))(view).truth is Truth.TRUE, (
                analyte,
                unit,
                bound,
                limit,
            )
        strict = {"op": "lab", "analyte": analyte, "unit": unit, "lt": limit}
        assert compile_rule(RULE.validate_python(strict))(view).truth is Truth.FALSE
