"""The lab catalogue: analytes, their LOINC codes, canonical UCUM units and unit facts.

Read from ``data/labs.yaml`` and ``data/units.yaml``. Example::

    analyte_for_loinc("751-8")          # -> "neutrophils"
    analyte("creatinine").unit          # -> "umol/L"
    analyte("creatinine").molar_mass    # -> 113.12
    spelling("platelets", "K/uL")       # -> "10*3/uL"
    spelling("hemoglobin", "K/uL")      # -> "K/uL"  (a count spelling, not for hemoglobin)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app.vocabulary import checks
from app.vocabulary.files import VocabularyError, load, section


@dataclass(frozen=True)
class Analyte:
    name: str
    label: str
    unit: str
    plausible: tuple[float, float]
    molar_mass: float | None
    spellings: dict[str, str]  # non-UCUM spelling -> UCUM unit, for this analyte
    only_units: frozenset[str] | None
    loinc: tuple[str, ...]  # main code first


@dataclass(frozen=True)
class _Catalogue:
    analytes: dict[str, Analyte]
    by_loinc: dict[str, str]


@cache
def spelling_groups() -> dict[str, dict[str, str]]:
    groups = section(load("units"), "spellings")
    return {str(g): {str(k): str(v) for k, v in m.items()} for g, m in groups.items()}


@cache
def _catalogue() -> _Catalogue:
    groups = spelling_groups()
    analytes: dict[str, Analyte] = {}
    by_loinc: dict[str, str] = {}
    for entry in section(load("labs"), "analytes"):
        name = entry["name"]
        if name in analytes:
            raise VocabularyError(f"analyte {name!r} listed twice")
        codes = [str(c) for c in entry["loinc"]]
        for code in codes:
            if not checks.loinc(code) or code in by_loinc:
                raise VocabularyError(f"bad or repeated LOINC code {code!r} at {name!r}")
            by_loinc[code] = name
        spellings: dict[str, str] = {}
        for group in entry.get("spellings") or []:
            if group not in groups:
                raise VocabularyError(f"analyte {name!r} names an unknown spelling group")
            spellings.update(groups[group])
        low, high = entry["plausible"]
        only = entry.get("only_units")
        mass = entry.get("molar_mass_g_per_mol")
        analytes[name] = Analyte(
            name=name,
            label=entry["label"],
            unit=str(entry["unit"]),
            plausible=(float(low), float(high)),
            molar_mass=float(mass) if mass is not None else None,
            spellings=spellings,
            only_units=frozenset(str(u) for u in only) if only else None,
            loinc=tuple(codes),
        )
    return _Catalogue(analytes, by_loinc)


def names() -> list[str]:
    return list(_catalogue().analytes)


def analyte(name: str) -> Analyte:
    return _catalogue().analytes[name]


def analyte_for_loinc(code: str) -> str | None:
    return _catalogue().by_loinc.get(code)


def loinc_codes() -> dict[str, str]:
    """Every LOINC code of the catalogue -> its analyte."""
    return dict(_catalogue().by_loinc)


def spelling(name: str, unit: str) -> str:
    """The UCUM unit a spelling means for this analyte (itself when not a known one)."""
    return _catalogue().analytes[name].spellings.get(unit, unit)
