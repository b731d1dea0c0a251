"""Operators on the patient: age, sex, pregnancy, breastfeeding."""

from __future__ import annotations

from app.eligibility.labels import label_list
from app.eligibility.language import AgeRule, LactatingRule, PregnantRule, SexRule
from app.eligibility.logic import Finding, Truth
from app.eligibility.operators.bounds import bounds_text, compare, within_range
from app.eligibility.operators.freshness import max_days, too_old
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.view import PatientView
from app.facts.model import AgeFact, LactationFact, PregnancyFact, SexFact


@operator(AgeRule)
def _age(rule: AgeRule) -> Evaluator:
    wanted = bounds_text(rule, "years")

    def evaluate(facts: PatientView) -> Finding:
        age = facts.first(AgeFact)
        if age is None:
            return Finding.unknown("age not recorded", missing=["birth date"])
        if age.years_min == age.years_max:
            return compare(rule, age.years_min, "age", "years", age.sources)
        span = f"age {age.years_min}-{age.years_max} (birth date to the {age.birth_date_precision})"
        return within_range(
            rule,
            range(age.years_min, age.years_max + 1),
            span=span,
            wanted=wanted,
            missing="full birth date",
            evidence=age.sources,
        )

    return evaluate


@operator(SexRule)
def _sex(rule: SexRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        sex = facts.first(SexFact)
        if sex is None or sex.value == "unknown":
            return Finding.unknown("sex not recorded", missing=["sex"])
        if sex.value in rule.one_of:
            return Finding.true(f"sex is {sex.value}", evidence=sex.sources)
        return Finding.false(
            f"sex is {sex.value}, not {label_list(list(rule.one_of))}", evidence=sex.sources
        )

    return evaluate


def _male(facts: PatientView) -> Finding | None:
    sex = facts.first(SexFact)
    if sex is not None and sex.value == "male":
        return Finding.false("male patient", evidence=sex.sources)
    return None


def _recorded_state(
    facts: PatientView, fact: PregnancyFact | LactationFact | None, days: int, needed: str
) -> Finding | None:
    """The newest pregnancy or breastfeeding record while fresh; unknown when it is older
    (shown, needing a current one); None when there is none."""
    if fact is None:
        return None
    state = fact.pregnant if isinstance(fact, PregnancyFact) else fact.lactating
    word = "pregnant" if isinstance(fact, PregnancyFact) else "breastfeeding"
    shown = f"recorded {'' if state else 'not '}{word} ({fact.effective or 'undated'})"
    if too_old(fact.effective, facts.as_of, days):
        return Finding.unknown(
            f"{shown}: older than {days} days", missing=[needed], evidence=fact.sources
        )
    return Finding(Truth.TRUE if state else Truth.FALSE, shown, tuple(fact.sources))


@operator(PregnantRule)
def _pregnant(rule: PregnantRule) -> Evaluator:
    days = max_days("pregnancy", rule.within_days)

    def evaluate(facts: PatientView) -> Finding:
        found = _male(facts) or _recorded_state(
            facts, facts.first(PregnancyFact), days, "a current pregnancy test"
        )
        if found is not None:
            return found
        return Finding.unknown("no pregnancy status or test recorded", missing=["pregnancy test"])

    return evaluate


@operator(LactatingRule)
def _lactating(rule: LactatingRule) -> Evaluator:
    days = max_days("lactation", rule.within_days)

    def evaluate(facts: PatientView) -> Finding:
        found = _male(facts) or _recorded_state(
            facts, facts.first(LactationFact), days, "a current lactation status"
        )
        if found is not None and found.truth is not Truth.UNKNOWN:
            return found
        if rule.if_unrecorded == "false":
            return Finding.false(
                "no current record of breastfeeding",
                evidence=found.evidence if found else (),
                assumptions=["no record of breastfeeding counts as not"],
            )
        if found is not None:
            return found
        return Finding.unknown("breastfeeding not recorded", missing=["lactation status"])

    return evaluate
