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

import math
from collections.abc import Callable

from app.facts.model import Analyte
from app.facts.units import UnitError, factor

FACT_DECIMALS = 6  # the decimals of a canonical lab value (app/facts/labs.py `_round`)


class UnitMismatch(ValueError):
    """The two units are not both valid UCUM, or measure different things."""


def converter(from_unit: str, to_unit: str, analyte: Analyte) -> Callable[[float], float]:
    """A function converting a value, rounded to the precision the facts keep.

    Facts hold canonical values to 6 decimals (`app.facts.labs`), so a value converted by a
    factor k is known to about 6 - log10(k) decimals; more digits are rounding residue that
    must not decide a limit: 2.0 mg/dL creatinine, held as 176.803395 umol/L, is
    2.000000004 mg/dL at 9 decimals and would fail "creatinine <= 2.0 mg/dL"; 250 mg/dL
    glucose, held as 13.876862 mmol/L, is 249.999992 mg/dL (0.9999999 -> 1.0 likewise)."""
    try:
        k = factor(analyte, from_unit, to_unit)
    except UnitError as exc:
        raise UnitMismatch(f"cannot convert {from_unit!r} to {to_unit!r}") from exc
    digits = FACT_DECIMALS - max(0, math.ceil(math.log10(k))) if k > 0 else FACT_DECIMALS
    return lambda value: round(value * k, digits)
