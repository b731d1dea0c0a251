"""The trial file: metadata and criteria, each criterion's verbatim text beside its rule.

One YAML file per trial in ``criteria/`` (see criteria/VOCABULARY.md). This module holds the
models a file is validated against; `criteria/schema.json` is generated from them.

NOTE (skeleton): `Criterion.rule` is typed as plain data here; the eligibility work
replaces it with the typed rule language (all / any / not and the fact operators).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# ClinicalTrials.gov overall status values (API v2 enum).
RecruitmentStatus = Literal[
    "RECRUITING",
    "NOT_YET_RECRUITING",
    "ENROLLING_BY_INVITATION",
    "ACTIVE_NOT_RECRUITING",
    "SUSPENDED",
    "TERMINATED",
    "COMPLETED",
    "WITHDRAWN",
    "UNKNOWN",
]
OPEN_STATUSES: frozenset[str] = frozenset(
    {"RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"}
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Site(Strict):
    facility: str
    city: str | None = None
    state: str | None = None
    country: str | None = None
    status: str | None = None


class Arm(Strict):
    label: str
    type: str | None = Field(default=None, examples=["EXPERIMENTAL", "ACTIVE_COMPARATOR"])
    description: str | None = None


class Criterion(Strict):
    id: str = Field(pattern=r"^(inc|exc)-\d+(\.[a-z])?$", examples=["inc-2.a"])
    type: Literal["inclusion", "exclusion"]
    text: str = Field(description="The protocol's words, verbatim.")
    review: bool = Field(
        default=False,
        description="True when an EHR cannot answer it: listed for a person, never decided.",
    )
    rule: Any = Field(default=None, description="The computable form; None only with review.")


class Trial(Strict):
    nct_id: str = Field(pattern=r"^NCT\d{8}$")
    title: str
    official_title: str | None = None
    conditions: list[str]
    phase: str | None = None
    status: RecruitmentStatus
    start_date: date | None = None
    end_date: date | None = None
    sponsor: str | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    sites: list[Site] = Field(default_factory=list)
    arms: list[Arm] = Field(default_factory=list)
    criteria: list[Criterion]
