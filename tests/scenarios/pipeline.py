"""The real path of ``POST /v1/match`` after the HTTP layer: Bundle -> record -> facts -> verdicts.

`match` runs `read_bundle` and `match_record` (what the route calls) against the bundled
criteria/ library, every trial included; `test_route.py` checks that the route itself
answers the same.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from app.config import REPO_ROOT
from app.eligibility.library import Library, load_library
from app.fhir.bundle import read_bundle
from app.matching.models import CriterionVerdict, MatchResponse, TrialMatch
from app.matching.service import MatchOptions, match_record
from tests.scenarios.charts import Chart
from tests.scenarios.patients import AS_OF


@cache
def seed_library() -> Library:
    return load_library(REPO_ROOT / "criteria")


def match_bundle(body: dict[str, Any], as_of: date = AS_OF) -> MatchResponse:
    options = MatchOptions(as_of=as_of, include_ineligible=True, include_closed=True)
    return match_record(read_bundle(body), seed_library(), options)


def match(chart: Chart, as_of: date = AS_OF) -> MatchResponse:
    return match_bundle(chart.bundle(), as_of)


def trial(response: MatchResponse, nct_id: str) -> TrialMatch:
    return next(m for m in response.matches if m.trial == nct_id)


def criterion(match: TrialMatch, criterion_id: str) -> CriterionVerdict:
    return next(c for c in match.criteria if c.id == criterion_id)
