"""Operators on performance status: ECOG and Karnofsky, recorded or mapped from the other scale."""

from __future__ import annotations

from app.eligibility.labels import SCALE_LABELS
from app.eligibility.language import PerformanceRule
from app.eligibility.logic import Finding
from app.eligibility.operators.bounds import bounds_text, compare, within_range
from app.eligibility.operators.freshness import max_days, newer_unreadable, too_old
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.view import PatientView
from app.facts.model import PerformanceFact


@operator(PerformanceRule)
def _performance(rule: PerformanceRule) -> Evaluator:
    scale = SCALE_LABELS[rule.scale]

    days = max_days("performance", rule.within_days)

    def evaluate(facts: PatientView) -> Finding:
        f = facts.first(PerformanceFact, lambda p: p.scale == rule.scale)
        # A newer score of either scale that could not be read leaves the older one undecided.
        unread = [
            u
            for key in ("ecog", "karnofsky")
            if (u := newer_unreadable(facts, "performance", key, f.effective if f else None))
        ]
        if unread:
            return Finding.unknown(
                f"a performance status of {unread[0].effective} could not be read",
                missing=[f"a readable current {scale}"],
                evidence=[*unread[0].sources, *(f.sources if f else [])],
            )
        if f is None:
            return Finding.unknown(f"no {scale} performance status recorded", missing=[scale])
        # Two recorded scores of one day that disagree: neither is the more favourable one.
        same_day = [
            p
            for p in facts.current(PerformanceFact)
            if p.scale == rule.scale
            and p.read_from != "derived"
            and p.effective == f.effective
            and p.value != f.value
        ]
        if same_day and f.read_from != "derived" and f.effective is not None:
            shown = ", ".join(f"{scale} {p.value} ({p.sources[0]})" for p in [f, *same_day])
            return Finding.unknown(
                f"the {scale} records of {f.effective} disagree: {shown}",
                missing=[f"{scale} (the sources disagree)"],
                evidence=[s for p in [f, *same_day] for s in p.sources],
            )
        if too_old(f.effective, facts.as_of, days):
            return Finding.unknown(
                f"the latest {scale} ({f.value}, {f.effective or 'undated'}) is older than "
                f"{days} days",
                missing=[f"a current {scale}"],
                evidence=f.sources,
            )
        if f.read_from != "derived":
            return compare(rule, f.value, scale, "", f.sources)
        note = f"{scale} mapped from the other scale"
        low = f.value if f.range_low is None else f.range_low
        high = f.value if f.range_high is None else f.range_high
        if low == high:
            found = compare(rule, low, scale, "", f.sources)
            return Finding(found.truth, found.reason, found.evidence, (note,))
        step = 10 if rule.scale == "karnofsky" else 1
        return within_range(
            rule,
            range(low, high + 1, step),
            span=f"{scale} {low}-{high} (mapped from the other scale)",
            wanted=bounds_text(rule),
            missing=f"{scale} score",
            evidence=f.sources,
            assumptions=[note],
        )

    return evaluate
