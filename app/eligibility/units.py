"""Unit conversion for lab thresholds, by UCUM code (ucumvert on pint).

A rule states its threshold in a UCUM unit; a lab fact carries its analyte's canonical
unit. The factor between them is computed once, when a trial is compiled. Example::

    >>> to_unit = converter("g/dL", "g/L")
    >>> to_unit(11.2)
    112.0

Units that cannot be converted (mass to molar, a typo) raise `UnitMismatch` at compile
time, so a bad trial file fails validation instead of matching wrongly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from pint.errors import PintError
from ucumvert import InvalidUcumError

from app.ucum import registry


class UnitMismatch(ValueError):
    """The two units are not both valid UCUM, or measure different things."""


@cache
def factor(from_unit: str, to_unit: str) -> float:
    """The number a value in ``from_unit`` is multiplied by to be in ``to_unit``."""
    if from_unit == to_unit:
        return 1.0
    ureg = registry()
    try:
        source = ureg.from_ucum(from_unit)
        target = ureg.from_ucum(to_unit)
        return float((1 * source).to(target).magnitude)
    except (InvalidUcumError, PintError, ValueError, TypeError) as exc:
        raise UnitMismatch(f"cannot convert {from_unit!r} to {to_unit!r}") from exc


def converter(from_unit: str, to_unit: str) -> Callable[[float], float]:
    """A function converting a value; rounded to remove float noise (0.9999999 -> 1.0)."""
    k = factor(from_unit, to_unit)
    return lambda value: round(value * k, 9)
