"""What a concept reader gets and gives back, and the FHIR datatypes it reads.

Each concept module (staging, labs, ...) takes validated `fhir.resources.R4B` models and
returns a `Reading`: the facts it found and the data-quality warnings it raised. The
small functions here turn FHIR datatypes into Python values the same way everywhere.
Example::

    reading = Reading()
    reading.warn("performance.invalid_value", "ECOG outside 0-5; dropped.", "Observation/1")
    codings(observation.code)          # -> [("http://loinc.org", "89247-1"), ...]
    to_date("2019-04")                 # -> date(2019, 4, 1)
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.facts.model import AnyFact, DataQualityWarning


@dataclass
class Reading:
    facts: list[AnyFact] = field(default_factory=list)
    warnings: list[DataQualityWarning] = field(default_factory=list)

    def warn(self, code: str, message: str, source: str | None) -> None:
        self.warnings.append(DataQualityWarning(code=code, message=message, source=source))

    def extend(self, other: Reading) -> None:
        self.facts.extend(other.facts)
        self.warnings.extend(other.warnings)


def reference(resource: Any) -> str:
    """'Observation/abc' for a model or a raw dict."""
    if isinstance(resource, dict):
        return f"{resource.get('resourceType')}/{resource.get('id', 'unknown')}"
    return f"{resource.get_resource_type()}/{resource.id or 'unknown'}"


def codings(concept: Any) -> list[tuple[str, str]]:
    """(system, code) pairs of a CodeableConcept model; empty for None."""
    if concept is None:
        return []
    return [(c.system or "", c.code) for c in concept.coding or [] if c.code]


def code_labels(concept: Any) -> list[str]:
    """'SNOMED|363351006', 'ICD-10|C20', or 'system|code' for other systems."""
    labels = []
    for system, code in codings(concept):
        if system == "http://snomed.info/sct":
            system = "SNOMED"
        elif "icd-10" in system:
            system = "ICD-10"
        labels.append(f"{system or 'unknown'}|{code}")
    return labels


def displays(concept: Any) -> list[str]:
    """The human text of a CodeableConcept: its text, then each coding's display."""
    if concept is None:
        return []
    found = [concept.text] if concept.text else []
    found.extend(c.display for c in concept.coding or [] if c.display)
    return found


def raw_codings(concept: Any) -> list[tuple[str, str]]:
    """(system, code) pairs of a raw JSON CodeableConcept, tolerating any shape."""
    if not isinstance(concept, dict):
        return []
    found = []
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            system = coding.get("system")
            found.append((system if isinstance(system, str) else "", coding["code"]))
    return found


_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def to_date(value: Any) -> date | None:
    """A date from a FHIR date/dateTime (model value or string); partial dates take day 1."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = _PARTIAL.match(value)
        if match:
            try:
                return date(int(match[1]), int(match[2] or 1), int(match[3] or 1))
            except ValueError:
                return None
    return None


def date_range(value: Any) -> tuple[date, date] | None:
    """The first and last day a FHIR date/dateTime may mean: "2026-05" is all of May 2026."""
    if isinstance(value, datetime):
        return value.date(), value.date()
    if isinstance(value, date):
        return value, value
    if not isinstance(value, str):
        return None
    match = _PARTIAL.match(value)
    if match is None:
        return None
    year = int(match[1])
    try:
        if match[3]:
            day = date(year, int(match[2]), int(match[3]))
            return day, day
        if match[2]:
            month = int(match[2])
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        return None


def latest_day(value: Any) -> date | None:
    """The last day a partial date may mean, when it is partial; None for a full date."""
    found = date_range(value)
    return found[1] if found is not None and found[0] != found[1] else None


def effective_date(observation: Any) -> date | None:
    """Observation.effective[x] (dateTime, Period start, instant), else issued."""
    for value in (
        observation.effectiveDateTime,
        getattr(observation.effectivePeriod, "start", None),
        observation.effectiveInstant,
        observation.issued,
    ):
        found = to_date(value)
        if found is not None:
            return found
    return None


def raw_effective_date(raw: dict[str, Any]) -> date | None:
    """The same date as `effective_date`, read from raw JSON without validation."""
    period = raw.get("effectivePeriod")
    start = period.get("start") if isinstance(period, dict) else None
    for value in (raw.get("effectiveDateTime"), start, raw.get("effectiveInstant")):
        found = to_date(value)
        if found is not None:
            return found
    return to_date(raw.get("issued"))


def has_profile(resource: Any, fragment: str) -> bool:
    meta = resource.meta
    return meta is not None and any(fragment in str(p) for p in meta.profile or [])
