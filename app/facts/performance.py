"""Performance status: ECOG (0-5) and Karnofsky (0-100).

Values come from ``valueInteger`` (or a whole-number ``valueQuantity``, "80 %" included),
a LOINC answer code (LA9622-7 = ECOG 0, ...), an MII oBDS code (ECOG "2", Karnofsky "80%";
also sent with no system), or a ``valueString`` holding just the score ("2", "80%",
"KPS 80", "ECOG 1"). Codings of one value that disagree drop it. Invalid values (-1, "",
out of range, KPS not a multiple of 10) are dropped with a warning: never a sentinel.
``Observation.interpretation`` is not a value and is not read. The MII 2024 panel (ECOG
and Karnofsky as components) reaches here one component at a time (`app.facts.panels`).

When only one scale is recorded, the other is derived by the crosswalk of Oken et al.,
Am J Clin Oncol 1982;5:649-655 (as used by ECOG-ACRIN):

    KPS 100-90 -> ECOG 0;  80-70 -> 1;  60-50 -> 2;  40-30 -> 3;  20-10 -> 4;  0 -> 5
    ECOG 0 -> KPS 90; 1 -> 70; 2 -> 50; 3 -> 30; 4 -> 10; 5 -> 0   (low end: conservative)

Crosswalks disagree at the boundaries: another table in wide use in protocols maps
ECOG 0 = KPS 100, 1 = 80-90, 2 = 60-70, 3 = 40-50, 4 = 20-30. So a derived fact also carries
the range both tables allow (``range_low``..``range_high``, e.g. ECOG 2 -> KPS 50-70), and a
criterion is decided on a derived value only when that whole range is on one side of it:
"KPS < 70" for a patient with only ECOG 2 is unknown (measure the KPS), not a fail.

Example::

    derive_missing([PerformanceFact(scale="karnofsky", value=90, ...)])
    # -> [PerformanceFact(scale="ecog", value=0, read_from="derived", ...)]
"""

from __future__ import annotations

import re
from decimal import Decimal

from fhir.resources.R4B.observation import Observation

from app.facts import codes
from app.facts.model import PerformanceFact, PerformanceScale
from app.facts.reading import Reading, codings, effective_date, reference

ECOG_TO_KARNOFSKY = {0: 90, 1: 70, 2: 50, 3: 30, 4: 10, 5: 0}
# The range of each derived value over both crosswalks (see the module docstring).
ECOG_TO_KARNOFSKY_RANGE = {
    0: (90, 100),
    1: (70, 90),
    2: (50, 70),
    3: (30, 50),
    4: (10, 30),
    5: (0, 0),
}
KARNOFSKY_TO_ECOG_RANGE = {
    100: (0, 0),
    90: (0, 1),
    80: (1, 1),
    70: (1, 2),
    60: (2, 2),
    50: (2, 3),
    40: (3, 3),
    30: (3, 4),
    20: (4, 4),
    10: (4, 4),
    0: (5, 5),
}


# "2", "80%", "80 %", "KPS 80", "ECOG: 1", "Karnofsky 70 %": the whole string is the score.
_SCORE_STRING = re.compile(
    r"^\s*(?:(?:ECOG|KPS|Karnofsky)(?:\s*-?\s*(?:PS|Index|Status))?\s*[:=]?\s*)?"
    r"(\d{1,3})\s*%?\s*$",
    re.IGNORECASE,
)


def karnofsky_to_ecog(kps: int) -> int:
    if kps >= 90:
        return 0
    if kps >= 70:
        return 1
    if kps >= 50:
        return 2
    if kps >= 30:
        return 3
    if kps >= 10:
        return 4
    return 5


def read_observation(observation: Observation) -> Reading:
    reading = Reading()
    source = reference(observation)
    code_set = set(codings(observation.code))
    scale: PerformanceScale = "ecog" if code_set & codes.ECOG_CODES else "karnofsky"
    value: int | None = None
    if observation.valueInteger is not None:
        value = observation.valueInteger
    elif observation.valueQuantity is not None and observation.valueQuantity.value is not None:
        number = Decimal(observation.valueQuantity.value)
        value = int(number) if number == number.to_integral_value() else None
    elif observation.valueCodeableConcept is not None:
        found = _coded_values(scale, codings(observation.valueCodeableConcept))
        if len(found) > 1:
            reading.warn(
                "performance.conflicting_value",
                f"{scale.upper()} codings of one value disagree; dropped.",
                source,
            )
            return reading
        value = next(iter(found), None)
    elif observation.valueString is not None:
        match = _SCORE_STRING.match(observation.valueString)
        value = int(match[1]) if match else None
    if value is None:
        reading.warn(
            "performance.no_value", f"{scale.upper()} has no readable value; dropped.", source
        )
        return reading
    valid = 0 <= value <= 5 if scale == "ecog" else 0 <= value <= 100 and value % 10 == 0
    if not valid:
        reading.warn(
            "performance.invalid_value", f"{scale.upper()} value out of range; dropped.", source
        )
        return reading
    reading.facts.append(
        PerformanceFact(
            scale=scale, value=value, sources=[source], effective=effective_date(observation)
        )
    )
    return reading


def _coded_values(scale: PerformanceScale, pairs: list[tuple[str, str]]) -> set[int]:
    """Every score the codings of one value name (LOINC LA answers, MII oBDS codes)."""
    if scale == "ecog":
        answers, mii_system, mii = codes.ECOG_ANSWERS, codes.MII_ECOG_SYSTEM, codes.MII_ECOG_ANSWERS
    else:
        answers, mii_system = codes.KARNOFSKY_ANSWERS, codes.MII_KARNOFSKY_SYSTEM
        mii = codes.MII_KARNOFSKY_ANSWERS
    found: set[int] = set()
    for system, code in pairs:
        if system in (codes.LOINC, "") and code in answers:
            found.add(answers[code])
        elif system in (mii_system, "") and code.replace(" ", "") in mii:
            found.add(mii[code.replace(" ", "")])
    return found


def derive_missing(facts: list[PerformanceFact]) -> list[PerformanceFact]:
    """The other scale, from the newest recorded value, when only one scale is recorded."""
    by_scale = {scale: [f for f in facts if f.scale == scale] for scale in ("ecog", "karnofsky")}
    if by_scale["ecog"] and by_scale["karnofsky"]:
        return []
    derived: list[PerformanceFact] = []
    for fact in facts:
        scale: PerformanceScale
        if fact.scale == "karnofsky":
            value, scale = karnofsky_to_ecog(fact.value), "ecog"
            low, high = KARNOFSKY_TO_ECOG_RANGE[fact.value]
            note = f"Derived from Karnofsky {fact.value} (Oken 1982 crosswalk)"
        else:
            value, scale = ECOG_TO_KARNOFSKY[fact.value], "karnofsky"
            low, high = ECOG_TO_KARNOFSKY_RANGE[fact.value]
            note = f"Derived from ECOG {fact.value} (Oken 1982 crosswalk, low end of range)"
        note += f"; the crosswalks in use allow {low}-{high}." if low != high else "."
        derived.append(
            PerformanceFact(
                scale=scale,
                value=value,
                range_low=low,
                range_high=high,
                sources=fact.sources,
                effective=fact.effective,
                read_from="derived",
                note=note,
            )
        )
    return derived
