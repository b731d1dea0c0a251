"""Lab units: the one analyte-aware unit conversion, for facts and criteria alike.

Each analyte's canonical unit, molar mass and accepted unit spellings are data
(`app.vocabulary.labs`: ``labs.yaml``, ``units.yaml``); conversion is UCUM through the
process's one registry (`app.ucum`, ucumvert on pint). Parsed unit codes and factors
are cached, so a record with thousands of labs parses each distinct unit once. Mass and
amount-of-substance concentrations are bridged by the analyte's molar mass. Example::

    to_canonical("hemoglobin", 17, "g/dL")      # -> 170.0   (g/L)
    to_canonical("creatinine", 1, "mg/dL")      # -> 88.4..  (umol/L)
    to_canonical("platelets", 200, "10*3/uL")   # -> 200.0   (10*9/L)
    to_canonical("platelets", 200, "K/uL")      # -> 200.0   (a US spelling, counts only)
    to_canonical("hemoglobin", 17, "K/uL")      # raises UnitError
    factor("creatinine", "umol/L", "mg/dL")     # -> 0.0113..  (a criterion's unit)

Canonical units are those of `app.facts.model.LabFact`.
"""

from __future__ import annotations

from functools import cache
from typing import Any, get_args

from pint import DimensionalityError

from app.facts.model import Analyte
from app.ucum import registry
from app.vocabulary import labs
from app.vocabulary.files import VocabularyError


def _analyte(name: str) -> Analyte:
    if name not in get_args(Analyte):
        raise VocabularyError(f"lab analyte {name!r} is not in the fact model")
    return name  # type: ignore[return-value]  # checked against the Literal's values


CANONICAL_UNIT: dict[Analyte, str] = {
    _analyte(name): labs.analyte(name).unit for name in labs.names()
}
# Molar masses (g/mol) that bridge mass and amount-of-substance units (data/labs.yaml).
MOLAR_MASS_G_PER_MOL: dict[Analyte, float] = {
    _analyte(name): mass
    for name in labs.names()
    if (mass := labs.analyte(name).molar_mass) is not None
}


class UnitError(ValueError):
    """A unit that is not UCUM, or not convertible to the analyte's canonical unit."""


@cache
def _unit(code: str) -> Any:
    try:
        return registry().from_ucum(code)
    except Exception as exc:  # ucumvert raises lark and pint errors of many kinds
        raise UnitError("not a UCUM unit") from exc


def to_canonical(analyte: Analyte, value: float, unit: str) -> float:
    """``value`` in ``unit`` (a UCUM code) converted to the canonical unit of ``analyte``."""
    return value * factor(analyte, unit, CANONICAL_UNIT[analyte])


def factor(analyte: Analyte, from_unit: str, to_unit: str) -> float:
    """The number a value of ``analyte`` in ``from_unit`` is multiplied by to be in
    ``to_unit``; raises `UnitError` when the two do not measure the same thing."""
    return _factor(analyte, from_unit.strip(), to_unit.strip())


@cache
def _factor(analyte: Analyte, source: str, target: str) -> float:
    # Every lab unit here is multiplicative (no offset like Cel), so one factor per
    # (analyte, unit, unit) is exact and pint runs once per distinct pair, not per value.
    entry = labs.analyte(analyte)
    source, target = labs.spelling(analyte, source), labs.spelling(analyte, target)
    if entry.only_units is not None and not {source, target} <= entry.only_units:
        raise UnitError("unit not accepted for this analyte")
    if source == target:
        return 1.0
    quantity = 1.0 * _unit(source)
    wanted = _unit(target)
    try:
        return float(quantity.to(wanted).magnitude)
    except DimensionalityError:
        pass
    if entry.molar_mass is not None:
        grams_per_mole = entry.molar_mass * _unit("g/mol")
        for bridged in (quantity * grams_per_mole, quantity / grams_per_mole):
            try:
                return float(bridged.to(wanted).magnitude)
            except DimensionalityError:
                continue
    raise UnitError("unit not convertible to the canonical unit")
