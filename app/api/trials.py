"""The trial library, read-only: ``GET /v1/trials`` and ``GET /v1/trials/{trial_id}``.

Example::

    GET /v1/trials?condition=rectal&status=RECRUITING&limit=20&offset=0
    -> {"items": [{"nct_id": "NCT01234567", ...}], "paging": {"total": 1, "limit": 20, "offset": 0}}

    GET /v1/trials/NCT01234567
    -> the trial with every criterion: id, type, verbatim text, review flag, computable rule

An unknown NCT id answers 404 ``trial.not_found``. Both routes need the scope
``trialmatch/trials.read`` (app/auth): every route of this router is guarded, so a new one
cannot be added unguarded by mistake.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from app.api.deps import SessionDep
from app.auth import GUARDED_RESPONSES, Scope, require_scope
from app.eligibility.language import Encoding, RecruitmentStatus
from app.errors import NotFound, documented_error
from app.store.models import TrialRow
from app.store.repository import get_trial, list_trials

router = APIRouter(
    prefix="/v1/trials",
    tags=["trials"],
    dependencies=[Depends(require_scope(Scope.TRIALS_READ))],
    responses=GUARDED_RESPONSES,
)

_RULE_EXAMPLE = {"op": "performance", "scale": "ecog", "lte": 1}
_HASH_EXAMPLE = "9f2c" + "0" * 60


class EncodingCounts(BaseModel):
    """How many of the trial's criteria are encoded each way (app/eligibility/language.py)."""

    curated: int = Field(description="Written or accepted by a person.", examples=[2])
    suggested: int = Field(description="Computed, not yet accepted by a person.", examples=[0])
    text: int = Field(description="Not encoded: the registry's words, for review.", examples=[0])


class TrialSummary(BaseModel):
    nct_id: str = Field(examples=["NCT01234567"])
    title: str = Field(examples=["Watch and wait for early rectal cancer"])
    conditions: list[str] = Field(examples=[["Rectal Cancer"]])
    phase: str | None = Field(examples=["PHASE2"])
    status: RecruitmentStatus
    sponsor: str | None = Field(examples=["University Hospital"])
    encodings: EncodingCounts = Field(
        description="Criteria per encoding; any not curated keeps the trial at most "
        "possibly_eligible."
    )
    content_hash: str = Field(
        description="SHA-256 of the stored trial document; changes whenever the trial does. "
        "A match names the hash of each trial it used (`content_hash` of a match).",
        examples=[_HASH_EXAMPLE],
    )


class Paging(BaseModel):
    total: int = Field(description="Trials matching the filters, on all pages.", examples=[1])
    limit: int = Field(examples=[20])
    offset: int = Field(examples=[0])


class TrialList(BaseModel):
    items: list[TrialSummary]
    paging: Paging


class SiteOut(BaseModel):
    facility: str
    city: str | None
    state: str | None
    country: str | None
    status: str | None = Field(examples=["RECRUITING"])
    latitude: float | None = Field(description="WGS 84, degrees.", examples=[45.75])
    longitude: float | None = Field(description="WGS 84, degrees.", examples=[4.85])


class ArmOut(BaseModel):
    label: str
    type: str | None
    description: str | None


class CriterionOut(BaseModel):
    id: str = Field(examples=["inc-2.a"])
    type: str = Field(examples=["inclusion"])
    text: str = Field(description="The protocol's words, verbatim.")
    review: bool = Field(
        description="True when an EHR cannot answer it: listed for a person, never decided."
    )
    encoding: Encoding = Field(
        description="curated (by a person), suggested (computed) or text (not encoded)."
    )
    rule: Any = Field(
        default=None,
        description="The computable form in the criteria language (criteria/schema.json); "
        "null for a review criterion.",
        examples=[_RULE_EXAMPLE],
    )


class TrialDetail(BaseModel):
    nct_id: str = Field(examples=["NCT01234567"])
    title: str
    official_title: str | None
    conditions: list[str]
    phase: str | None
    status: RecruitmentStatus
    start_date: date | None
    end_date: date | None
    sponsor: str | None
    encodings: EncodingCounts
    minimum_age: int | None
    maximum_age: int | None
    sites: list[SiteOut]
    arms: list[ArmOut]
    criteria: list[CriterionOut]
    content_hash: str = Field(
        description="SHA-256 of the stored trial document; changes whenever the trial does. "
        "A match names the hash of each trial it used (`content_hash` of a match).",
        examples=[_HASH_EXAMPLE],
    )


_SUMMARY_EXAMPLE = {
    "nct_id": "NCT01234567",
    "title": "Watch and wait for early rectal cancer",
    "conditions": ["Rectal Cancer"],
    "phase": "PHASE2",
    "status": "RECRUITING",
    "sponsor": "University Hospital",
    "encodings": {"curated": 2, "suggested": 0, "text": 0},
    "content_hash": _HASH_EXAMPLE,
}
_LIST_EXAMPLE = {"items": [_SUMMARY_EXAMPLE], "paging": {"total": 1, "limit": 20, "offset": 0}}
_DETAIL_EXAMPLE = {
    **_SUMMARY_EXAMPLE,
    "official_title": None,
    "start_date": "2024-01-15",
    "end_date": None,
    "minimum_age": 18,
    "maximum_age": None,
    "sites": [
        {
            "facility": "University Hospital",
            "city": "Lyon",
            "state": None,
            "country": "France",
            "status": "RECRUITING",
            "latitude": 45.75,
            "longitude": 4.85,
        }
    ],
    "arms": [{"label": "Watch and wait", "type": "EXPERIMENTAL", "description": None}],
    "criteria": [
        {
            "id": "inc-1",
            "type": "inclusion",
            "text": "ECOG performance status 0-1.",
            "review": False,
            "encoding": "curated",
            "rule": _RULE_EXAMPLE,
        },
        {
            "id": "exc-1",
            "type": "exclusion",
            "text": "Any condition that, in the investigator's opinion, ...",
            "review": True,
            "encoding": "curated",
            "rule": None,
        },
    ],
}


_NOT_READY = documented_error(
    503, "service.not_ready", "The service is starting; try again shortly."
)


def _example(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": example}}}}


def _encodings(row: TrialRow) -> dict[str, str]:
    """Criterion id -> encoding, from the stored document (curated when it says nothing)."""
    criteria = row.document.get("criteria", []) if isinstance(row.document, dict) else []
    return {c["id"]: c.get("encoding", "curated") for c in criteria}


def trial_summary(row: TrialRow) -> TrialSummary:
    """The list entry of a stored trial (also what the trial library pages show, app/ui)."""
    counts = Counter(_encodings(row).values())
    return TrialSummary(
        nct_id=row.nct_id,
        title=row.title,
        conditions=[condition.name for condition in row.conditions],
        phase=row.phase,
        status=row.status,
        sponsor=row.sponsor,
        encodings=EncodingCounts(
            curated=counts["curated"], suggested=counts["suggested"], text=counts["text"]
        ),
        content_hash=row.content_hash,
    )


@router.get(
    "",
    response_model=TrialList,
    summary="List trials",
    description="Trials ordered by NCT id, optionally filtered by condition and status.",
    responses=_example(_LIST_EXAMPLE)
    | _NOT_READY
    | documented_error(
        422,
        "request.greater_than_equal",
        "Input should be greater than or equal to 1",
        loc=["query", "limit"],
    ),
)
def list_trials_route(
    session: SessionDep,
    condition: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Part of a condition's name, any case.",
            examples=["rectal"],
        ),
    ] = None,
    status: Annotated[
        list[RecruitmentStatus] | None,
        Query(
            description="Recruitment status; repeat for several.",
            examples=[["RECRUITING", "NOT_YET_RECRUITING"]],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    # Bounded: the database's integers are 64-bit, and a larger offset was a 500.
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Trials to skip.")] = 0,
) -> TrialList:
    page = list_trials(
        session, condition=condition, statuses=status or (), limit=limit, offset=offset
    )
    return TrialList(
        items=[trial_summary(row) for row in page.items],
        paging=Paging(total=page.total, limit=page.limit, offset=page.offset),
    )


@router.get(
    "/{trial_id}",
    response_model=TrialDetail,
    summary="One trial with every criterion",
    responses=_example(_DETAIL_EXAMPLE)
    | documented_error(404, "trial.not_found", "No trial has this id.", loc=["path", "trial_id"])
    | _NOT_READY
    | documented_error(
        422,
        "request.string_pattern_mismatch",
        "String should match pattern '^NCT\\d{8}$'",
        loc=["path", "trial_id"],
    ),
)
def get_trial_route(
    session: SessionDep,
    trial_id: Annotated[
        str, Path(pattern=r"^NCT\d{8}$", description="The NCT id.", examples=["NCT01234567"])
    ],
) -> TrialDetail:
    row = get_trial(session, trial_id)
    if row is None:
        raise NotFound("trial.not_found", "No trial has this id.", loc=["path", "trial_id"])
    return trial_detail(row)


def trial_detail(row: TrialRow) -> TrialDetail:
    """One stored trial with every criterion (also what the trial page shows, app/ui)."""
    encodings = _encodings(row)
    return TrialDetail(
        **trial_summary(row).model_dump(),
        official_title=row.official_title,
        start_date=row.start_date,
        end_date=row.end_date,
        minimum_age=row.minimum_age,
        maximum_age=row.maximum_age,
        sites=[
            SiteOut(
                facility=site.facility,
                city=site.city,
                state=site.state,
                country=site.country,
                status=site.status,
                latitude=site.latitude,
                longitude=site.longitude,
            )
            for site in row.sites
        ],
        arms=[
            ArmOut(label=arm.label, type=arm.type, description=arm.description) for arm in row.arms
        ],
        criteria=[
            CriterionOut(
                id=criterion.criterion_id,
                type=criterion.type,
                text=criterion.text,
                review=criterion.review,
                encoding=encodings.get(criterion.criterion_id, "curated"),
                rule=criterion.rule,
            )
            for criterion in row.criteria
        ],
    )
