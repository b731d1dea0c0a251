"""Unit conversion for lab thresholds: the facts' analyte-aware conversion, at compile time.

A rule states its threshold in a UCUM unit; a lab fact carries its analyte's canonical
unit. The factor between them is computed once, when a trial is compiled, by the same
conversion the facts use (`app.facts.units.factor`), so a rule may name any unit a lab
result may come in ("creatinine <= 1.5 mg/dL" against facts in umol/L). Example::

    >>> to_unit = converter("g/dL", "g/L", "hemoglobin")
    >>> to_unit(11.2)
    112.0

Units that cannot be converted (a typo, a unit of another dimension) raise
`UnitMismatch` at compile time, so a bad trial file fails validation instead of
matching wrongly.
"""

from __future__ import annotations

from collections.abc import Callable

from app.facts.model import Analyte
from app.facts.units import UnitError, factor


class UnitMismatch(ValueError):
    """The two units are not both valid UCUM, or measure different things."""


def converter(from_unit: str, to_unit: str, analyte: Analyte) -> Callable[[float], float]:
    """A function converting a value; rounded to remove float noise (0.9999999 -> 1.0)."""
    try:
        k = factor(analyte, from_unit, to_unit)
    except UnitError as exc:
        raise UnitMismatch(f"cannot convert {from_unit!r} to {to_unit!r}") from exc
    return lambda value: round(value * k, 9)
