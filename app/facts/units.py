"""Lab units: UCUM codes to the canonical unit of each analyte, with ucumvert and pint.

The UCUM registry (`ucumvert.PintUcumRegistry`) is loaded once, on first use (about
0.7 s), and parsed unit codes are cached, so a record with thousands of labs parses each
distinct unit once. Mass and amount-of-substance concentrations are bridged by the
analyte's molar mass. Example::

    to_canonical("hemoglobin", 17, "g/dL")      # -> 170.0   (g/L)
    to_canonical("creatinine", 1, "mg/dL")      # -> 88.4..  (umol/L)
    to_canonical("platelets", 200, "10*3/uL")   # -> 200.0   (10*9/L)
    to_canonical("platelets", 200, "K/uL")      # -> 200.0   (a US spelling, counts only)
    to_canonical("hemoglobin", 17, "K/uL")      # raises UnitError

Canonical units are those of `app.facts.model.LabFact`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pint import DimensionalityError

from app.facts.model import Analyte
from app.ucum import registry

CANONICAL_UNIT: dict[Analyte, str] = {
    "hemoglobin": "g/L",
    "platelets": "10*9/L",
    "white_cells": "10*9/L",
    "alt": "U/L",
    "ast": "U/L",
    "bilirubin_total": "umol/L",
    "creatinine": "umol/L",
    "cea": "ug/L",
    "ca19_9": "kU/L",
}

# Molar masses (g/mol) that bridge mg/dL and umol/L.
# Bilirubin C33H36N4O6 584.66 and creatinine C4H7N3O 113.12 (PubChem CID 5280352, 588).
# Hemoglobin in mmol/L is reported per monomer (one heme): 1 g/dL = 0.6206 mmol/L, the
# factor used by European labs (e.g. NVKC, Netherlands), i.e. 10 g/L / 0.6206 mmol/L.
MOLAR_MASS_G_PER_MOL: dict[Analyte, float] = {
    "bilirubin_total": 584.66,
    "creatinine": 113.12,
    "hemoglobin": 10.0 / 0.6206e-3,
}

# Enzyme activity: the International Unit (IU) is by definition 1 umol/min, the UCUM "U";
# UCUM's [iU] is an arbitrary unit to pint, so map it for the enzymes only.
_ENZYMES: frozenset[Analyte] = frozenset({"alt", "ast"})
_IU_SPELLINGS = {"[iU]/L": "U/L", "[IU]/L": "U/L", "IU/L": "U/L", "iU/L": "U/L"}


# Cell counts: spellings common in US lab feeds that are not UCUM ("K/uL" would parse as
# kelvin per microlitre). Mapped for cell counts only, to the UCUM unit they mean.
_COUNT_SPELLINGS = {
    "K/uL": "10*3/uL",
    "K/µL": "10*3/uL",
    "x10E3/uL": "10*3/uL",
    "10E3/uL": "10*3/uL",
    "thou/uL": "10*3/uL",
    "x10E9/L": "10*9/L",
    "10E9/L": "10*9/L",
}
_COUNTS: frozenset[Analyte] = frozenset({"platelets", "white_cells"})


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
    return value * _factor(analyte, unit.strip())


@cache
def _factor(analyte: Analyte, code: str) -> float:
    # Every lab unit here is multiplicative (no offset like Cel), so one factor per
    # (analyte, unit) is exact and pint runs once per distinct unit, not once per value.
    if analyte in _ENZYMES:
        code = _IU_SPELLINGS.get(code, code)
    if analyte in _COUNTS:
        code = _COUNT_SPELLINGS.get(code, code)
    quantity = 1.0 * _unit(code)
    target = _unit(CANONICAL_UNIT[analyte])
    try:
        return float(quantity.to(target).magnitude)
    except DimensionalityError:
        pass
    molar_mass = MOLAR_MASS_G_PER_MOL.get(analyte)
    if molar_mass is not None:
        grams_per_mole = molar_mass * _unit("g/mol")
        for bridged in (quantity * grams_per_mole, quantity / grams_per_mole):
            try:
                return float(bridged.to(target).magnitude)
            except DimensionalityError:
                continue
    raise UnitError("unit not convertible to the canonical unit")
