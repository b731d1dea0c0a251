"""The common form every registry format is read into, before it becomes a Trial.

Readers (`api_v2`, `classic_json`, `legacy_xml`) fill a `RegistryRecord` with the record's
own words: statuses, phases, dates and ages as the registry writes them. `draft` turns it
into a Trial document. A record that cannot be read raises `RecordError` (never with the
record's text in the message).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TextStyle = Literal["markdown", "plain", "wrapped"]


class RecordError(ValueError):
    """A registry record is missing what a trial needs, or is not a registry record."""


@dataclass(frozen=True)
class RegistrySite:
    facility: str
    city: str | None = None
    state: str | None = None
    country: str | None = None
    status: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class RegistryArm:
    label: str
    type: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class RegistryRecord:
    """One study as the registry states it.

    ``status`` is the API v2 enum when the format has it, else the legacy label
    (``status_is_legacy``). ``phases`` likewise. ``eligibility_style`` says how the
    eligibility text is laid out: ``markdown`` (API v2: Markdown, backslash escapes),
    ``plain`` (classic JSON: one criterion a line), ``wrapped`` (XML: hard-wrapped,
    indented lines).
    """

    nct_id: str
    brief_title: str
    official_title: str | None
    status: str
    status_is_legacy: bool
    phases: tuple[str, ...]
    phases_are_legacy: bool
    start_date: str | None
    completion_date: str | None
    sponsor: str | None
    conditions: tuple[str, ...]
    arms: tuple[RegistryArm, ...]
    sites: tuple[RegistrySite, ...]
    eligibility_text: str
    eligibility_style: TextStyle
    sex: str | None  # ALL / FEMALE / MALE (legacy labels upper-cased)
    minimum_age: str | None  # "18 Years", or None / "N/A"
    maximum_age: str | None
    healthy_volunteers: bool | None
    source_url: str
    warnings: list[str] = field(default_factory=list)


def study_url(nct_id: str) -> str:
    return f"https://clinicaltrials.gov/study/{nct_id}"
