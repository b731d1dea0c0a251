"""The query every matching route takes, declared once (``/v1/match`` and the EHR pull)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Query
from pydantic import StringConstraints

from app.matching.facts_shown import FactsView
from app.matching.service import MatchOptions

NctId = Annotated[str, StringConstraints(pattern=r"^NCT\d{8}$")]


def match_options(
    as_of: Annotated[
        date | None,
        Query(
            description="Date the evaluation is made on (ages, time windows, latest values); "
            "default: today (UTC).",
            examples=["2026-11-22"],
        ),
    ] = None,
    include_ineligible: Annotated[
        bool, Query(description="Also list trials the patient fails, with what fails.")
    ] = False,
    include_closed: Annotated[
        bool, Query(description="Also consider trials that are not recruiting.")
    ] = False,
    trial: Annotated[
        list[NctId] | None,
        Query(description="Restrict to these trials (repeatable).", examples=[["NCT06949098"]]),
    ] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=1000, description="Return at most this many trials.")
    ] = None,
    facts: Annotated[
        FactsView,
        Query(
            description="latest: repeated measurements by their newest value per analyte or "
            "scale, with every fact a verdict cites (the count of older ones left out is "
            "`facts_omitted`); all: every fact read from the record."
        ),
    ] = "latest",
) -> MatchOptions:
    return MatchOptions(
        as_of=as_of or datetime.now(UTC).date(),
        include_ineligible=include_ineligible,
        include_closed=include_closed,
        trials=trial,
        limit=limit,
        facts_view=facts,
    )
