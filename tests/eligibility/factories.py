"""Small builders of PatientFacts for tests, named by what they make."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.facts.model import (
    AgeFact,
    ConditionFact,
    LabFact,
    PatientFacts,
    PerformanceFact,
    PrimaryCancerFact,
    SexFact,
    StageFact,
)

AS_OF = date(2026, 11, 22)
# Results that change with time are dated within every freshness window unless a test says.
RECENT = date(2026, 11, 18)


def patient(*facts: Any, as_of: date = AS_OF) -> PatientFacts:
    return PatientFacts(patient="Patient/t", as_of=as_of, facts=list(facts))


def age(years: int, years_max: int | None = None) -> AgeFact:
    return AgeFact(
        years_min=years,
        years_max=years if years_max is None else years_max,
        birth_date_precision="day" if years_max is None else "year",
        sources=["Patient/t"],
    )


def sex(value: str) -> SexFact:
    return SexFact(value=value, sources=["Patient/t"])  # type: ignore[arg-type]


def cancer(site: str = "rectum", **kw: Any) -> PrimaryCancerFact:
    return PrimaryCancerFact(site=site, sources=[f"Condition/{site}"], **kw)  # type: ignore[arg-type]


def stage(context: str, category: str, value: str, day: date | None = None) -> StageFact:
    return StageFact(
        context=context,  # type: ignore[arg-type]
        category=category,  # type: ignore[arg-type]
        value=value,
        effective=day,
        sources=[f"Observation/{context}-{category}-{value}"],
    )


def ecog(value: int, **kw: Any) -> PerformanceFact:
    kw.setdefault("effective", RECENT)
    return PerformanceFact(scale="ecog", value=value, sources=["Observation/ecog"], **kw)


def lab(analyte: str, value: float, unit: str, **kw: Any) -> LabFact:
    kw.setdefault("effective", RECENT)
    return LabFact(
        analyte=analyte,  # type: ignore[arg-type]
        value=value,
        unit=unit,
        sources=[f"Observation/{analyte}"],
        **kw,
    )


def condition(category: str, **kw: Any) -> ConditionFact:
    return ConditionFact(category=category, sources=[f"Condition/{category}"], **kw)  # type: ignore[arg-type]
