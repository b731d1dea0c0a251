"""Operators on labs: a value in the rule's unit, or a multiple of the upper limit of normal."""

from __future__ import annotations

from dataclasses import replace

from app.eligibility.labels import ANALYTE_LABELS, CANONICAL_UNITS
from app.eligibility.language import LabRule, LabUlnRule
from app.eligibility.logic import Finding
from app.eligibility.operators.bounds import bounds_hold, bounds_text, compare, num
from app.eligibility.operators.freshness import max_days, newer_unreadable, too_old
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.units import converter
from app.eligibility.view import PatientView
from app.facts.model import Analyte, LabFact


def _dated(finding: Finding, fact: LabFact) -> Finding:
    """The finding with the result's date in its reason."""
    if fact.effective is None:
        return finding
    return replace(finding, reason=f"{finding.reason} (result of {fact.effective.isoformat()})")


def _lab_fact(facts: PatientView, analyte: Analyte, within_days: int | None) -> LabFact | Finding:
    label = ANALYTE_LABELS[analyte]
    days = max_days("lab", within_days)
    fact = facts.first(LabFact, lambda f: f.analyte == analyte)
    unread = newer_unreadable(facts, "lab", analyte, fact.effective if fact else None)
    if unread is not None:
        return Finding.unknown(
            f"the {label} result of {unread.effective} could not be read"
            + (f"; the older one of {fact.effective} does not stand in for it" if fact else ""),
            missing=[f"a readable current {label} result"],
            evidence=[*unread.sources, *(fact.sources if fact else [])],
        )
    if fact is None:
        return Finding.unknown(f"no {label} result recorded", missing=[f"{label} result"])
    if too_old(fact.effective, facts.as_of, days):
        return Finding.unknown(
            f"the latest {label} ({fact.effective or 'undated'}) is older than {days} days",
            missing=[f"a current {label} result"],
            evidence=fact.sources,
        )
    return fact


@operator(LabRule)
def _lab(rule: LabRule) -> Evaluator:
    label = ANALYTE_LABELS[rule.analyte]
    canonical = CANONICAL_UNITS[rule.analyte]
    # raises UnitMismatch at compile time
    from_canonical = converter(canonical, rule.unit, rule.analyte)

    def evaluate(facts: PatientView) -> Finding:
        fact = _lab_fact(facts, rule.analyte, rule.within_days)
        if isinstance(fact, Finding):
            return fact
        if fact.unit == rule.unit:
            value = fact.value
        else:
            try:
                value = (
                    converter(fact.unit, rule.unit, rule.analyte)(fact.value)
                    if fact.unit != canonical
                    else from_canonical(fact.value)
                )
            except ValueError:
                return Finding.unknown(
                    f"{label} unit {fact.unit} cannot be compared with {rule.unit}",
                    missing=[f"{label} result in a known unit"],
                    evidence=fact.sources,
                )
        finding = compare(rule, value, label, rule.unit, fact.sources)
        return _dated(finding, fact)

    return evaluate


@operator(LabUlnRule)
def _lab_uln(rule: LabUlnRule) -> Evaluator:
    label = ANALYTE_LABELS[rule.analyte]

    def evaluate(facts: PatientView) -> Finding:
        fact = _lab_fact(facts, rule.analyte, rule.within_days)
        if isinstance(fact, Finding):
            return fact
        if fact.reference_high is None or fact.reference_high <= 0:
            return Finding.unknown(
                f"{label} {num(fact.value)} {fact.unit} has no upper limit of normal recorded",
                missing=[f"{label} reference range"],
                evidence=fact.sources,
            )
        ratio = round(fact.value / fact.reference_high, 3)
        subject = f"{label} {num(fact.value)} {fact.unit} (ULN {num(fact.reference_high)}) is"
        if bounds_hold(rule, ratio):
            finding = Finding.true(
                f"{subject} {num(ratio)} x ULN, {bounds_text(rule)} x ULN", evidence=fact.sources
            )
        else:
            finding = Finding.false(
                f"{subject} {num(ratio)} x ULN, not {bounds_text(rule)} x ULN",
                evidence=fact.sources,
            )
        return _dated(finding, fact)

    return evaluate
