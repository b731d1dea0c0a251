"""The 40 shared registry records as `trials import` drafts them, and a Bundle's verdict
on one of their criteria, for the suggestion reader's tests."""

from __future__ import annotations

from functools import cache

from app.eligibility.language import Criterion, Trial
from app.eligibility.library import Library
from app.fhir.bundle import read_bundle
from app.matching.models import CriterionVerdict, TrialMatch
from app.matching.service import MatchOptions, match_record
from app.registry.draft import draft_trial
from app.registry.record import RecordError
from app.registry.sources import read_records
from tests.registry.conftest import record_files
from tests.scenarios.charts import Chart
from tests.scenarios.patients import AS_OF


@cache
def drafts() -> tuple[Trial, ...]:
    found: list[Trial] = []
    for path in record_files():
        for record in read_records(path):
            assert not isinstance(record, RecordError)
            found.append(draft_trial(record).trial)
    return tuple(found)


def trial(nct_id: str) -> Trial:
    return next(t for t in drafts() if t.nct_id == nct_id)


def criterion(nct_id: str, criterion_id: str) -> Criterion:
    return next(c for c in trial(nct_id).criteria if c.id == criterion_id)


def text_criteria() -> list[tuple[Trial, Criterion]]:
    """Every criterion read from the eligibility text (not the registry's fields)."""
    return [(t, c) for t in drafts() for c in t.criteria if not c.id.startswith("inc-0")]


def match(nct_id: str, chart: Chart) -> TrialMatch:
    options = MatchOptions(as_of=AS_OF, include_ineligible=True, include_closed=True)
    library = Library.from_trials([trial(nct_id)])
    (found,) = match_record(read_bundle(chart.bundle()), library, options).matches
    return found


def verdict(found: TrialMatch, criterion_id: str) -> CriterionVerdict:
    return next(c for c in found.criteria if c.id == criterion_id)
