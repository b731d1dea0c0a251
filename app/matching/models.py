"""The `/v1/match` response: ranked trials, each with what stands in the way.

The same models serve `POST /v1/match`, `GET /v1/patients/{id}/matches` and
`trialmatch match --json`, so the contract is declared once, here.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from app.facts.model import AnyFact, DataQualityWarning

Outcome = Literal["pass", "fail", "unknown"]
Needs = Literal["data", "review"]
TrialStatus = Literal["eligible", "possibly_eligible", "ineligible"]


class CriterionVerdict(BaseModel):
    id: str = Field(examples=["inc-4"])
    type: Literal["inclusion", "exclusion"]
    text: str = Field(description="The protocol's words, verbatim.")
    outcome: Outcome = Field(
        description="pass: does not stand in the way; fail: stands in the way; unknown: see needs."
    )
    needs: Needs | None = Field(
        default=None, description="Why an unknown is unknown: missing data, or a person's review."
    )
    reason: str = Field(description="Plain words for a clinician.")
    evidence: list[str] = Field(
        default_factory=list, description="FHIR references of the facts used."
    )
    assumptions: list[str] = Field(
        default_factory=list,
        description="What the outcome assumes, e.g. 'no recorded diagnosis counts as absent'.",
    )
    missing_data: list[str] = Field(
        default_factory=list,
        description="For an unknown that needs data: what would decide it, e.g. 'ECOG'.",
    )
    triggered_by: list[str] = Field(
        default_factory=list,
        description=(
            "For a review raised by a recorded fact (a second cancer, hepatitis B, an anemia "
            "under 'exceptions may be considered'): the FHIR references that raised it. Such a "
            "review keeps the trial at most possibly_eligible; an empty list is a routine "
            "review (consent, preference)."
        ),
    )


class TrialMatch(BaseModel):
    trial: str = Field(examples=["NCT06949098"])
    title: str
    rank: int
    status: TrialStatus
    score: float = Field(ge=0.0, le=1.0)
    recruitment_status: str
    end_date: date | None = None
    criteria: list[CriterionVerdict]
    unmet: list[str] = Field(description="Ids of criteria that fail.")
    missing: list[str] = Field(description="Ids of criteria unknown for lack of data.")
    review: list[str] = Field(description="Ids of criteria for a person to confirm.")
    warnings: list[str] = Field(default_factory=list)


class MatchResponse(BaseModel):
    patient: str = Field(examples=["Patient/123"])
    as_of: date
    facts: list[AnyFact]
    warnings: list[DataQualityWarning]
    matches: list[TrialMatch]
