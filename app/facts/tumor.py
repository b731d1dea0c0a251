"""The tumor: distance of its lower edge from the anal verge, and its greatest dimension.

LOINC 33748-5 "Distance from anal verge" (MII, registries) and tumor size 21889-1 /
33728-7 greatest dimension (also as a component of 21889-1), in any UCUM length unit.
Example::

    read_observation(obs_33748_5_60_mm)   # -> AnalVergeDistanceFact(cm=6.0, ...)
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fhir.resources.R4B.observation import Observation

from app.facts import codes
from app.facts.model import AnalVergeDistanceFact, TumorSizeFact
from app.facts.reading import Reading, codings, effective_date, reference

_CM_PER_UNIT = {"cm": 1.0, "mm": 0.1, "m": 100.0, "um": 0.0001, "[in_i]": 2.54}


def length_cm(quantity: Any) -> float | None:
    """A Quantity model's length in cm; None when it has no value or no length unit."""
    if quantity is None or quantity.value is None:
        return None
    unit = quantity.code or quantity.unit
    factor = _CM_PER_UNIT.get(str(unit).strip()) if unit else None
    return None if factor is None else round(float(quantity.value) * factor, 4)


def read_observation(observation: Observation) -> Reading:
    reading = Reading()
    source = reference(observation)
    loincs = {code for system, code in codings(observation.code) if system == codes.LOINC}
    effective = effective_date(observation)
    if codes.TUMOR_DISTANCE_ANAL_VERGE in loincs:
        cm = length_cm(observation.valueQuantity)
        if cm is None or not 0 <= cm <= 30:
            reading.warn("tumor.invalid_distance", "Anal verge distance not readable.", source)
        else:
            reading.facts.append(
                AnalVergeDistanceFact(cm=cm, sources=[source], effective=effective)
            )
        return reading
    sizes = [length_cm(observation.valueQuantity)]
    for component in observation.component or []:
        if {c for _, c in codings(component.code)} & codes.TUMOR_SIZE_CODES:
            sizes.append(length_cm(component.valueQuantity))
    found = [s for s in sizes if s is not None and s > 0]
    if not found:
        reading.warn("tumor.invalid_size", "Tumor size not readable.", source)
        return reading
    reading.facts.append(
        TumorSizeFact(greatest_dimension_cm=max(found), sources=[source], effective=effective)
    )
    return reading


_SIZE_TEXT = re.compile(
    r"\b(?:greatest\s+dimension|tumou?r\s+size|largest\s+diameter)\D{0,20}?"
    r"(\d+(?:[.,]\d+)?)\s*(mm|cm)\b",
    re.IGNORECASE,
)


def size_from_text(text: str, sources: list[str], effective: date | None) -> list[TumorSizeFact]:
    """'greatest dimension 32 mm', 'tumour size 3.2 cm' -> TumorSizeFact (read from text)."""
    found = []
    for match in _SIZE_TEXT.finditer(text):
        cm = float(match[1].replace(",", ".")) * (0.1 if match[2].lower() == "mm" else 1.0)
        if 0 < cm <= 40:
            found.append(
                TumorSizeFact(
                    greatest_dimension_cm=round(cm, 4),
                    sources=sources,
                    effective=effective,
                    read_from="text",
                    note=f"Read from report text: '{match.group(0)}'.",
                )
            )
    return found
