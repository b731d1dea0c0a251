"""Operators on history: recorded diagnoses and prior treatments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from app.eligibility.labels import CONDITION_LABELS, TREATMENT_LABELS, label_list
from app.eligibility.language import ConditionRule, TreatmentRule
from app.eligibility.logic import Finding, Truth, all_of, any_of
from app.eligibility.operators.absence import (
    ABSENT_DIAGNOSIS,
    ABSENT_TREATMENT,
    not_before,
    unplaced_review,
)
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.operators.timing import (
    FOR_CANCER_DAYS_BEFORE,
    current,
    dated_hit,
    months_before,
)
from app.eligibility.view import PatientView
from app.facts.codes import category_within
from app.facts.model import ConditionFact, PrimaryCancerFact, TreatmentFact, UnclassifiedFact


@operator(ConditionRule)
def _condition(rule: ConditionRule) -> Evaluator:
    what = label_list(list(rule.categories), CONDITION_LABELS)
    statuses = label_list(list(rule.statuses)) if rule.statuses else ""

    def status_part(c: ConditionFact, name: str) -> Finding:
        if c.clinical_status is None:
            return Finding.unknown(
                f"{name} recorded without its status",
                missing=[f"{name} status"],
                evidence=c.sources,
            )
        if rule.statuses is not None and c.clinical_status in rule.statuses:
            return Finding.true(f"{name} recorded ({c.clinical_status})", evidence=c.sources)
        return Finding.false(
            f"{name} recorded as {c.clinical_status}, not {statuses}", evidence=c.sources
        )

    def evaluate(facts: PatientView) -> Finding:
        cutoff = months_before(facts.as_of, rule.within_months) if rule.within_months else None
        # A criterion on a category covers the categories inside it (data/conditions.yaml).
        recorded = [
            c
            for c in current(facts, ConditionFact)
            if any(category_within(c.category, wanted) for wanted in rule.categories)
        ]
        hits: list[Finding] = []
        for c in recorded:
            name = CONDITION_LABELS[c.category]
            parts = []
            if rule.statuses is not None:
                parts.append(status_part(c, name))
            if cutoff is not None:
                when = c.onset or c.effective
                parts.append(dated_hit(name, when, cutoff, c.sources, c.onset_latest))
            hits.append(
                all_of(parts) if parts else Finding.true(f"{name} recorded", evidence=c.sources)
            )
        if rule.if_unrecorded == "unknown" and not hits:
            return Finding.unknown(f"no record of {what}", missing=[what])

        def could_be(f: UnclassifiedFact) -> bool:
            fits_status = (
                rule.statuses is None
                or f.clinical_status is None
                or f.clinical_status in rule.statuses
            )
            return fits_status and not_before(cutoff)(f)

        review = unplaced_review(facts, "Condition", what, could_be)
        if not hits:
            if review is not None:
                return review
            return Finding.false(f"no record of {what}", assumptions=[ABSENT_DIAGNOSIS])
        return any_of([*hits, *([review] if review else [])])

    return evaluate


@operator(TreatmentRule)
def _treatment(rule: TreatmentRule) -> Evaluator:
    what = label_list(list(rule.categories), TREATMENT_LABELS)
    if rule.body_regions:
        what += f" to the {label_list(list(rule.body_regions))}"

    def belongs(t: TreatmentFact, facts: PatientView) -> Finding:
        """Whether the record is of what the rule asks about at all (region, cancer)."""
        name = TREATMENT_LABELS[t.category]
        parts = [Finding.true(f"{name} recorded", evidence=t.sources)]
        if rule.body_regions is not None:
            parts.append(
                _detail(t.body_region, list(rule.body_regions), f"{name} region", t.sources)
            )
        if rule.for_cancer_at is not None:
            parts.append(_for_the_cancer(t, facts, list(rule.for_cancer_at), name))
        return all_of(parts)

    def hit(t: TreatmentFact, cutoff: date | None, fits: Finding) -> Finding:
        name = TREATMENT_LABELS[t.category]
        parts = [
            Finding.true(
                f"{name} recorded" + (f" on {t.performed}" if t.performed else ""),
                evidence=t.sources,
            ),
            fits,
        ]
        if t.status != "completed":
            # Done means done: one in progress, on hold or stopped may have been partly given.
            parts.append(
                Finding.review(f"The {name} ({t.sources[0]}) is {t.status}: does it count?")
            )
        if rule.techniques is not None:
            parts.append(
                _detail(t.technique, list(rule.techniques), f"{name} technique", t.sources)
            )
        if cutoff is not None:
            # A window counts from the course's end (performedPeriod.end), not its start.
            when = t.ended or t.performed or t.effective
            parts.append(dated_hit(name, when, cutoff, t.sources, t.performed_latest))
        return all_of(parts)

    def evaluate(facts: PatientView) -> Finding:
        cutoff = months_before(facts.as_of, rule.within_months) if rule.within_months else None
        recorded = [t for t in current(facts, TreatmentFact) if t.category in rule.categories]
        hits: list[Finding] = []
        other: list[Finding] = []  # records of another region or an earlier disease
        for t in recorded:
            fits = belongs(t, facts)
            if fits.truth is Truth.FALSE:
                other.append(fits)
            else:
                hits.append(hit(t, cutoff, fits))
        besides = f" ({'; '.join(o.reason for o in other)})" if other else ""
        shown = [e for o in other for e in o.evidence]
        if rule.if_unrecorded == "unknown":
            if not hits:
                return Finding.unknown(
                    f"no record of {what}{besides}", missing=[what], evidence=shown
                )
            return any_of(hits)
        review = unplaced_review(facts, "Procedure", what, not_before(cutoff))
        if not hits:
            if review is not None:
                return review
            return Finding.false(
                f"no record of {what}{besides}", evidence=shown, assumptions=[ABSENT_TREATMENT]
            )
        return any_of([*hits, *([review] if review else [])])

    return evaluate


def _for_the_cancer(t: TreatmentFact, facts: PatientView, sites: list[str], name: str) -> Finding:
    """Whether a treatment was of the cancer at these sites: on or after its diagnosis."""
    primaries = [p for p in current(facts, PrimaryCancerFact) if p.site in sites]
    diagnosed = [d for p in primaries if (d := p.diagnosed or p.effective) is not None]
    where = label_list(sites)
    if t.performed is None or not diagnosed:
        return Finding.unknown(
            f"whether the {name} was of the cancer of the {where} is not recorded "
            "(no date on one of them)",
            missing=[f"date of the {name} and of the diagnosis"],
            evidence=t.sources,
        )
    earliest = min(diagnosed) - timedelta(days=FOR_CANCER_DAYS_BEFORE)
    if (t.performed_latest or t.performed) < earliest:
        return Finding.false(
            f"the {name} of {t.performed} predates the cancer of the {where} "
            f"(diagnosed {min(diagnosed)})",
            evidence=t.sources,
        )
    return Finding.true(f"the {name} follows the diagnosis", evidence=t.sources)


def _detail(value: str | None, allowed: list[str], name: str, ev: Sequence[str]) -> Finding:
    if value is None:
        return Finding.unknown(f"{name} not recorded", missing=[name], evidence=ev)
    if value in allowed:
        return Finding.true(f"{name}: {value}", evidence=ev)
    return Finding.false(f"{name}: {value}, not {label_list(allowed)}", evidence=ev)
