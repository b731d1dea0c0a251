"""all, any, not, and judgement: the parts of a rule that combine other parts or ask a person."""

from __future__ import annotations

from app.eligibility.language import AllOf, AnyOf, JudgementRule, Not
from app.eligibility.logic import REVIEW_MARK, Finding, all_of, any_of, negate
from app.eligibility.operators.registry import Evaluator, compile_rule, operator

__all__ = ["REVIEW_MARK", "needs_review_only"]


@operator(AllOf)
def _all(rule: AllOf) -> Evaluator:
    parts = [compile_rule(r) for r in rule.of]
    return lambda facts: all_of([p(facts) for p in parts])


@operator(AnyOf)
def _any(rule: AnyOf) -> Evaluator:
    parts = [compile_rule(r) for r in rule.of]
    return lambda facts: any_of([p(facts) for p in parts])


@operator(Not)
def _not(rule: Not) -> Evaluator:
    part = compile_rule(rule.rule)
    return lambda facts: negate(part(facts))


@operator(JudgementRule)
def _judgement(rule: JudgementRule) -> Evaluator:
    found = Finding.review(rule.question)
    return lambda facts: found


def needs_review_only(finding: Finding) -> bool:
    """Whether an unknown finding is unknown only for questions a person must answer."""
    return finding.review_only
