"""Operators on labs: a value in the rule's unit, or a multiple of the upper limit of normal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.eligibility.labels import ANALYTE_LABELS, CANONICAL_UNITS
from app.eligibility.language import LabRule, LabUlnRule
from app.eligibility.logic import Finding
from app.eligibility.operators.bounds import bounds_hold, bounds_text, compare, num
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.units import converter
from app.eligibility.view import PatientView
from app.facts.model import Analyte, LabFact

# A result older than this, under a criterion that sets no time window, still decides it,
# but the verdict says how old it is: protocols usually mean a recent value.
STALE_LAB_DAYS = 28


def _dated(finding: Finding, fact: LabFact, as_of: date, within_days: int | None) -> Finding:
    """The finding with the result's date in its reason, and an assumption when it is old."""
    if fact.effective is None:
        note = f"the latest {ANALYTE_LABELS[fact.analyte]} result is undated"
        return replace(finding, assumptions=(*finding.assumptions, note))
    reason = f"{finding.reason} (result of {fact.effective.isoformat()})"
    age = (as_of - fact.effective).days
    if within_days is None and age > STALE_LAB_DAYS:
        note = (
            f"the latest {ANALYTE_LABELS[fact.analyte]} result is {age} days old; "
            "the criterion sets no time window"
        )
        return replace(finding, reason=reason, assumptions=(*finding.assumptions, note))
    return replace(finding, reason=reason)


def _lab_fact(facts: PatientView, analyte: Analyte, within_days: int | None) -> LabFact | Finding:
    label = ANALYTE_LABELS[analyte]
    fact = facts.first(LabFact, lambda f: f.analyte == analyte)
    if fact is None:
        return Finding.unknown(f"no {label} result recorded", missing=[f"{label} result"])
    if within_days is not None and (
        fact.effective is None or (facts.as_of - fact.effective).days > within_days
    ):
        return Finding.unknown(
            f"latest {label} ({fact.effective or 'undated'}) is older than {within_days} days",
            missing=[f"recent {label} result"],
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
        return _dated(finding, fact, facts.as_of, rule.within_days)

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
        return _dated(finding, fact, facts.as_of, rule.within_days)

    return evaluate
