"""Which facts a match response shows: by default the ones that can decide, not the history.

A record of ten years of labs gives thousands of lab facts, and a response that carried
them all would be mostly history no criterion reads (466 KB for a 5,000-resource record).
By default (``facts=latest``) the response keeps:

- every fact that is not a repeated measurement (diagnoses, staging, treatments, ...);
- for labs, performance scores and unreadable results: the newest of each analyte or
  scale on or before the evaluation date (all of that date, when several share it, so a
  same-day disagreement stays visible), and any dated after it;
- every fact a returned verdict cites as evidence or as what triggered a review.

The response says how many were left out (``facts_omitted``, counting the older lab
results the normalizer only counted: `normalize(..., lab_history=False)`); ``facts=all``
gives every fact read. Example::

    shown, omitted = facts_shown(facts, matches, everything=False)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

from app.facts.model import AnyFact, LabFact, PatientFacts, PerformanceFact, UnreadableFact
from app.matching.models import TrialMatch

FactsView = Literal["latest", "all"]


def _series(fact: AnyFact) -> tuple[str, str] | None:
    """The series a repeated measurement belongs to, or None for any other fact."""
    if isinstance(fact, LabFact):
        return ("lab", fact.analyte)
    if isinstance(fact, PerformanceFact):
        return ("performance", fact.scale)
    if isinstance(fact, UnreadableFact):
        return (fact.family, fact.key)
    return None


def _cited(matches: Iterable[TrialMatch]) -> set[str]:
    return {
        ref
        for match in matches
        for verdict in match.criteria
        for ref in (*verdict.evidence, *verdict.triggered_by)
    }


def facts_shown(
    facts: PatientFacts, matches: list[TrialMatch], *, everything: bool
) -> tuple[list[AnyFact], int]:
    """The facts to show, in the normalizer's order, and how many were left out."""
    if everything:
        return list(facts.facts), 0
    newest: dict[tuple[str, str], date] = {}
    for fact in facts.facts:
        series = _series(fact)
        when = fact.effective
        if series is not None and when is not None and when <= facts.as_of:
            newest[series] = max(when, newest.get(series, when))
    cited = _cited(matches)
    shown: list[AnyFact] = []
    for fact in facts.facts:
        series = _series(fact)
        when = fact.effective
        keep = (
            series is None
            or when is None
            or when > facts.as_of
            or when == newest.get(series)
            or any(source in cited for source in fact.sources)
        )
        if keep:
            shown.append(fact)
    return shown, len(facts.facts) - len(shown) + facts.history_not_read
