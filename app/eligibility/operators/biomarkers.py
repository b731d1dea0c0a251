"""Operators on biomarkers: status and value of MSI, MMR, KRAS, PD-L1, ..."""

from __future__ import annotations

from app.eligibility.labels import label_list
from app.eligibility.language import BiomarkerRule
from app.eligibility.logic import Finding, all_of
from app.eligibility.operators.bounds import compare
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.operators.timing import current
from app.eligibility.view import PatientView
from app.facts.model import BiomarkerFact


@operator(BiomarkerRule)
def _biomarker(rule: BiomarkerRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        found = [f for f in current(facts, BiomarkerFact) if f.marker == rule.marker]
        name = rule.marker.upper().replace("_", "-")
        if not found:
            return Finding.unknown(f"no {name} result recorded", missing=[f"{name} result"])
        f = found[0]
        parts = []
        if rule.statuses is not None:
            if f.status is None:
                parts.append(
                    Finding.unknown(
                        f"{name} status not recorded",
                        missing=[f"{name} status"],
                        evidence=f.sources,
                    )
                )
            elif f.status in rule.statuses:
                parts.append(Finding.true(f"{name} {f.status}", evidence=f.sources))
            else:
                parts.append(
                    Finding.false(
                        f"{name} {f.status}, not {label_list(list(rule.statuses))}",
                        evidence=f.sources,
                    )
                )
        if rule.value is not None:
            if f.value is None:
                parts.append(
                    Finding.unknown(
                        f"{name} value not recorded", missing=[f"{name} value"], evidence=f.sources
                    )
                )
            else:
                parts.append(compare(rule.value, f.value, name, "", f.sources))
        return all_of(parts)

    return evaluate
