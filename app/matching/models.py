"""The `/v1/match` response: ranked trials, each with what stands in the way.

The same models serve `POST /v1/match`, `GET /v1/patients/{id}/matches` and
`trialmatch match --json`, so the contract is declared once, here.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.eligibility.verdict import CriterionVerdict, Needs, Outcome, TrialStatus
from app.facts.model import AnyFact, DataQualityWarning

__all__ = ["CriterionVerdict", "Needs", "Outcome", "TrialStatus"]  # part of the contract


class TrialMatch(BaseModel):
    trial: str = Field(examples=["NCT06949098"])
    title: str
    rank: int = Field(
        description="1 for the first trial of the list: by status (eligible, then possibly "
        "eligible, then ineligible), then score (higher first), then fewer criteria missing "
        "data, then trials not past their end date, then NCT id.",
        examples=[1],
    )
    status: TrialStatus = Field(
        description="eligible: every criterion passes and every one is curated; "
        "possibly_eligible: none fails, but some need data or a person (or the trial has "
        "criteria no person has curated, or a recorded fact calls for review); ineligible: "
        "at least one criterion fails (or the trial's cancer site is not the patient's)."
    )
    score: float = Field(
        ge=0.0,
        le=1.0,
        description="The share of the criteria a record can decide (all but review-only "
        "ones) that pass; 0 when none can be decided. It orders trials of the same status; "
        "it is not a probability of enrolment.",
        examples=[0.8],
    )
    recruitment_status: str
    end_date: date | None = None
    criteria: list[CriterionVerdict]
    unmet: list[str] = Field(description="Ids of criteria that fail.")
    missing: list[str] = Field(description="Ids of criteria unknown for lack of data.")
    review: list[str] = Field(description="Ids of criteria for a person to confirm.")
    warnings: list[str] = Field(
        default_factory=list,
        description="What a coordinator should know about this trial's verdict (e.g. the "
        "trial's end date has passed, or it is not recruiting).",
    )
    content_hash: str = Field(
        description="SHA-256 of the trial's document as stored, the one /v1/trials/{id} "
        "shows: the version of the trial this verdict was computed from.",
        examples=["5d7c2e0f" + "0" * 56],
    )


class LibraryVersion(BaseModel):
    """The library and software a response was computed with, so it can be reproduced."""

    software_version: str = Field(
        description="The installed trialmatch package's version.", examples=["0.1.0"]
    )
    trials: int = Field(ge=0, description="Trials in the library matched against.", examples=[3])
    digest: str = Field(
        description="SHA-256 over every library trial's NCT id and content hash: the same "
        "digest means the same trials with the same content.",
        examples=["a3f09c1e" + "0" * 56],
    )


class MatchResponse(BaseModel):
    patient: str = Field(examples=["Patient/123"])
    as_of: date
    library: LibraryVersion
    facts: list[AnyFact] = Field(
        description="Facts read from the record. By default (facts=latest) repeated "
        "measurements are shown by their newest value per analyte or scale, with every "
        "fact a verdict cites; facts=all gives every fact read."
    )
    facts_omitted: int = Field(
        default=0,
        ge=0,
        description="Older results of the same analyte or scale left out of `facts` "
        "(0 with facts=all).",
    )
    warnings: list[DataQualityWarning] = Field(
        description="What the normalizer could not read or had to assume about the record, "
        "each with a stable code and the resource it concerns (never the patient's data)."
    )
    matches: list[TrialMatch]
