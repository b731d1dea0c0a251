"""UCUM conversion to each analyte's canonical unit."""

from __future__ import annotations

import pytest

from app.facts.units import UnitError, to_canonical


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "expected"),
    [
        ("hemoglobin", 17, "g/dL", 170.0),
        ("hemoglobin", 112, "g/L", 112.0),
        ("hemoglobin", 6.206, "mmol/L", 100.0),  # monomer factor: 1 g/dL = 0.6206 mmol/L
        ("creatinine", 1, "mg/dL", 88.4),
        ("creatinine", 88.4, "umol/L", 88.4),
        ("bilirubin_total", 1, "mg/dL", 17.1),
        ("platelets", 200, "10*3/uL", 200.0),
        ("platelets", 200, "10*9/L", 200.0),
        ("white_cells", 4.1, "/nL", 4.1),
        ("alt", 30, "U/L", 30.0),
        ("alt", 30, "[iU]/L", 30.0),
        ("cea", 3.4, "ng/mL", 3.4),
        ("ca19_9", 37, "U/mL", 37.0),
        ("platelets", 180, "K/uL", 180.0),
        ("white_cells", 5.2, "x10E3/uL", 5.2),
    ],
)
def test_to_canonical(analyte: str, value: float, unit: str, expected: float) -> None:
    assert to_canonical(analyte, value, unit) == pytest.approx(expected, rel=1e-3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("analyte", "unit"),
    [("hemoglobin", "K/uL"), ("platelets", "K"), ("hemoglobin", "%"), ("cea", "furlongs")],
)
def test_units_that_are_not_ucum_or_not_convertible_raise(analyte: str, unit: str) -> None:
    with pytest.raises(UnitError):
        to_canonical(analyte, 1, unit)  # type: ignore[arg-type]
