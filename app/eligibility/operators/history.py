"""Operators on history: recorded diagnoses and prior treatments."""

from __future__ import annotations

from collections.abc import Sequence

from app.eligibility.labels import CONDITION_LABELS, TREATMENT_LABELS, label_list
from app.eligibility.language import ConditionRule, TreatmentRule
from app.eligibility.logic import Finding, all_of, any_of
from app.eligibility.operators.absence import ABSENT_DIAGNOSIS, ABSENT_TREATMENT
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.operators.timing import current, dated_hit, months_before
from app.eligibility.view import PatientView
from app.facts.codes import category_within
from app.facts.model import ConditionFact, TreatmentFact


@operator(ConditionRule)
def _condition(rule: ConditionRule) -> Evaluator:
    what = label_list(list(rule.categories), CONDITION_LABELS)
    statuses = label_list(list(rule.statuses)) if rule.statuses else ""

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
                if c.clinical_status is None:
                    parts.append(
                        Finding.unknown(
                            f"{name} recorded without its status",
                            missing=[f"{name} status"],
                            evidence=c.sources,
                        )
                    )
                elif c.clinical_status in rule.statuses:
                    parts.append(
                        Finding.true(f"{name} recorded ({c.clinical_status})", evidence=c.sources)
                    )
                else:
                    parts.append(
                        Finding.false(
                            f"{name} recorded as {c.clinical_status}, not {statuses}",
                            evidence=c.sources,
                        )
                    )
            if cutoff is not None:
                parts.append(dated_hit(name, c.onset or c.effective, cutoff, c.sources))
            hits.append(
                all_of(parts) if parts else Finding.true(f"{name} recorded", evidence=c.sources)
            )
        if not hits:
            if rule.if_unrecorded == "unknown":
                return Finding.unknown(f"no record of {what}", missing=[what])
            return Finding.false(f"no record of {what}", assumptions=[ABSENT_DIAGNOSIS])
        return any_of(hits)

    return evaluate


@operator(TreatmentRule)
def _treatment(rule: TreatmentRule) -> Evaluator:
    what = label_list(list(rule.categories), TREATMENT_LABELS)
    if rule.body_regions:
        what += f" to the {label_list(list(rule.body_regions))}"

    def evaluate(facts: PatientView) -> Finding:
        cutoff = months_before(facts.as_of, rule.within_months) if rule.within_months else None
        recorded = [t for t in current(facts, TreatmentFact) if t.category in rule.categories]
        hits: list[Finding] = []
        for t in recorded:
            name = TREATMENT_LABELS[t.category]
            parts = [
                Finding.true(
                    f"{name} recorded" + (f" on {t.performed}" if t.performed else ""),
                    evidence=t.sources,
                )
            ]
            if rule.techniques is not None:
                parts.append(
                    _detail(t.technique, list(rule.techniques), f"{name} technique", t.sources)
                )
            if rule.body_regions is not None:
                parts.append(
                    _detail(t.body_region, list(rule.body_regions), f"{name} region", t.sources)
                )
            if cutoff is not None:
                parts.append(dated_hit(name, t.performed or t.effective, cutoff, t.sources))
            hits.append(all_of(parts))
        if not hits:
            if rule.if_unrecorded == "unknown":
                return Finding.unknown(f"no record of {what}", missing=[what])
            return Finding.false(f"no record of {what}", assumptions=[ABSENT_TREATMENT])
        return any_of(hits)

    return evaluate


def _detail(value: str | None, allowed: list[str], name: str, ev: Sequence[str]) -> Finding:
    if value is None:
        return Finding.unknown(f"{name} not recorded", missing=[name], evidence=ev)
    if value in allowed:
        return Finding.true(f"{name}: {value}", evidence=ev)
    return Finding.false(f"{name}: {value}, not {label_list(allowed)}", evidence=ev)
