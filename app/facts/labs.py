"""Labs: the analytes of the lab catalogue, in canonical units, with their ULN.

A lab Observation is reduced to a `LabResult` (the few elements that matter) straight
from its JSON with strict type checks: a malformed element makes the result unreadable
(None), never a guess, and no model validation is paid for. Then one path converts it:
the value and the reference range go to the analyte's canonical unit via UCUM
(`app.facts.units`). A range restricted by ``appliesTo`` to the other sex is skipped with
a warning; a unit with no UCUM code is parsed from its unit string if it parses.
Comparators (``<5``) and implausible values are dropped with a warning: a lower bound is
not a value. Example::

    to_facts(LabResult.from_json(raw_observation), sex="female")
    # -> Reading(facts=[LabFact(analyte="hemoglobin", value=170.0, unit="g/L",
    #                           reference_high=215.0, original="17 g/dL", ...)])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeGuard

from app.facts import codes, reference_range
from app.facts.model import Analyte, LabFact
from app.facts.reading import (
    Reading,
    raw_codings,
    raw_effective_date,
    reference,
)
from app.facts.units import CANONICAL_UNIT, UnitError, to_canonical
from app.vocabulary import labs as lab_catalogue

# Plausible values in canonical units (data/labs.yaml); outside them a value is a data
# error, not a result.
PLAUSIBLE: dict[Analyte, tuple[float, float]] = {
    analyte: lab_catalogue.analyte(analyte).plausible for analyte in CANONICAL_UNIT
}

# referenceRange.appliesTo sex codes (SNOMED 248153007 male, 248152002 female;
# HL7 administrative-gender).
_SEX_CODES = {"248153007": "male", "248152002": "female", "male": "male", "female": "female"}


@dataclass(frozen=True)
class Bound:
    value: float
    unit: str | None


@dataclass(frozen=True)
class Range:
    low: Bound | None
    high: Bound | None
    applies_to: tuple[tuple[str, str], ...]
    normal: bool  # type absent or 'normal'
    text: str | None = None


@dataclass(frozen=True)
class LabResult:
    source: str
    loinc: str
    analyte: Analyte
    effective: date | None
    value: float | None
    comparator: str | None
    unit: str | None
    unit_is_ucum: bool
    ranges: tuple[Range, ...]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LabResult | None:
        """Strictly typed read of raw JSON; None if any element read is malformed."""
        code = raw.get("code")
        loinc = _lab_loinc(raw_codings(code))
        quantity = raw.get("valueQuantity")
        if loinc is None or not isinstance(quantity, dict):
            return None
        value = quantity.get("value")
        if not _is_number(value):
            return None
        unit, is_ucum = _unit_of(quantity.get("system"), quantity.get("code"), quantity.get("unit"))
        ranges = []
        for rr in raw.get("referenceRange") or []:
            if not isinstance(rr, dict):
                return None
            applies = tuple(
                pair
                for concept in rr.get("appliesTo") or []
                if isinstance(concept, dict)
                for pair in raw_codings(concept)
            )
            rtype = rr.get("type")
            type_codes = [c for _, c in raw_codings(rtype)]
            ranges.append(
                Range(
                    low=_bound_json(rr.get("low")),
                    high=_bound_json(rr.get("high")),
                    applies_to=applies,
                    normal=not type_codes or "normal" in type_codes,
                    text=rr.get("text") if isinstance(rr.get("text"), str) else None,
                )
            )
        comparator = quantity.get("comparator")
        return cls(
            source=reference(raw),
            loinc=loinc,
            analyte=codes.LAB_CODES[loinc],
            effective=raw_effective_date(raw),
            value=float(value),
            comparator=comparator if isinstance(comparator, str) else None,
            unit=unit,
            unit_is_ucum=is_ucum,
            ranges=tuple(ranges),
        )


def to_facts(result: LabResult, sex: str | None) -> Reading:
    reading = Reading()
    source, analyte = result.source, result.analyte
    if result.value is None:
        reading.warn("lab.no_value", "Lab result has no numeric value; skipped.", source)
        return reading
    if result.comparator:
        reading.warn("lab.comparator", "Lab value is a bound (<, >), not a value; skipped.", source)
        return reading
    if not result.unit:
        reading.warn("lab.no_unit", "Lab value has no unit; skipped.", source)
        return reading
    try:
        value = _round(to_canonical(analyte, result.value, result.unit))
    except UnitError:
        reading.warn(
            "lab.unknown_unit",
            f"Lab unit is not UCUM or not convertible to {CANONICAL_UNIT[analyte]}; skipped.",
            source,
        )
        return reading
    low, high = PLAUSIBLE[analyte]
    if not low <= value <= high:
        reading.warn("lab.implausible_value", "Lab value is implausible; skipped.", source)
        return reading
    note = None
    if not result.unit_is_ucum:
        note = "Unit had no UCUM code; converted from its unit string."
        reading.warn("lab.unit_not_coded", "Lab unit has no UCUM code; read from its text.", source)
    ref_low, ref_high = _reference_range(result, sex, reading)
    reading.facts.append(
        LabFact(
            analyte=analyte,
            value=value,
            unit=CANONICAL_UNIT[analyte],
            reference_low=ref_low,
            reference_high=ref_high,
            original=f"{result.value:g} {result.unit}",
            loinc=result.loinc,
            sources=[source],
            effective=result.effective,
            note=note,
        )
    )
    return reading


def _reference_range(
    result: LabResult, sex: str | None, reading: Reading
) -> tuple[float | None, float | None]:
    for rr in result.ranges:
        if not rr.normal:
            continue
        if rr.applies_to:
            sexes = {_SEX_CODES.get(code) for _, code in rr.applies_to}
            if None in sexes or sex not in sexes:
                reading.warn(
                    "lab.range_not_applicable",
                    "A reference range restricted to another group was skipped.",
                    result.source,
                )
                continue
        low, high = rr.low, rr.high
        if high is None and rr.text and (printed := reference_range.parse(rr.text)):
            low = low or (Bound(printed.low, printed.unit) if printed.low is not None else None)
            high = Bound(printed.high, printed.unit) if printed.high is not None else None
        return _convert_bound(result, low, reading), _convert_bound(result, high, reading)
    return None, None


def _convert_bound(result: LabResult, bound: Bound | None, reading: Reading) -> float | None:
    if bound is None:
        return None
    try:
        return _round(to_canonical(result.analyte, bound.value, bound.unit or result.unit or ""))
    except UnitError:
        reading.warn(
            "lab.range_unknown_unit",
            "Reference range unit not convertible; ignored.",
            result.source,
        )
        return None


def _round(value: float) -> float:
    # Float noise from unit factors (4.999999999) must not decide a threshold.
    return round(value, 6)


def _lab_loinc(pairs: list[tuple[str, str]]) -> str | None:
    for system, code in pairs:
        if system == codes.LOINC and code in codes.LAB_CODES:
            return code
    return None


def _unit_of(system: Any, code: Any, unit: Any) -> tuple[str | None, bool]:
    if isinstance(code, str) and code and system in (codes.UCUM, None):
        return code, True
    if isinstance(unit, str) and unit:
        return unit, False
    return None, False


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bound_json(quantity: Any) -> Bound | None:
    if not isinstance(quantity, dict) or not _is_number(quantity.get("value")):
        return None
    unit, _ = _unit_of(quantity.get("system"), quantity.get("code"), quantity.get("unit"))
    return Bound(float(quantity["value"]), unit)
