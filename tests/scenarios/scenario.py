"""A scenario: one chart, one criterion of one seed trial, and the verdict the rules expect.

Expected outcomes follow the safety rules of "How a match is decided" (README). A scenario
whose rule is not in place yet names the missing work in ``xfail`` and is marked
``xfail(strict=True)``, so it XPASSes, and must be un-marked, when the work lands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pytest

from app.matching.models import Needs, Outcome, TrialStatus
from tests.scenarios.charts import Chart
from tests.scenarios.pipeline import criterion, match, trial


@dataclass(frozen=True)
class Scenario:
    name: str
    trial: str
    criterion: str
    build: Callable[[], Chart]
    outcome: Outcome
    needs: Needs | None
    status: TrialStatus
    xfail: str | None = None


def params(scenarios: Iterable[Scenario]) -> list[object]:
    out: list[object] = []
    for s in scenarios:
        marks = [pytest.mark.xfail(strict=True, reason=s.xfail)] if s.xfail else []
        out.append(pytest.param(s, id=s.name, marks=marks))
    return out


def check(s: Scenario) -> None:
    """Post the scenario's Bundle through the pipeline and hold it to its expectation."""
    found = trial(match(s.build()), s.trial)
    verdict = criterion(found, s.criterion)
    assert (verdict.outcome, verdict.needs) == (s.outcome, s.needs), verdict.reason
    assert found.status == s.status, (found.unmet, found.missing, found.review)
