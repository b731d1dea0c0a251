"""A criterion's verdict for one patient: the outcome, why, and what a person must do.

Made by `app.eligibility.evaluate`, shown as-is in every match response (`app.matching`
builds the response around it), so it lives with the evaluation, below the ranking.
Verdicts are frozen (one may be shared by every match of its trial): read them, never
change one or its lists; build another instead (``verdict.model_copy(update=...)``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal["pass", "fail", "unknown"]
Needs = Literal["data", "review"]
TrialStatus = Literal["eligible", "possibly_eligible", "ineligible"]


class CriterionVerdict(BaseModel):
    # Frozen: a review-only criterion's verdict is built once, when its trial is compiled,
    # and the same instance is in every match of that trial (app.eligibility.evaluate).
    model_config = ConfigDict(frozen=True)

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
    encoding: Literal["curated", "suggested", "text"] = Field(
        default="curated",
        description=(
            "How the criterion is encoded: curated (by a person), suggested (computed, not yet "
            "accepted) or text (not encoded). Any criterion not curated keeps the trial at "
            "most possibly_eligible."
        ),
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
