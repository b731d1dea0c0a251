"""Operators on the patient: age, sex, pregnancy, breastfeeding."""

from __future__ import annotations

from app.eligibility.labels import label_list
from app.eligibility.language import AgeRule, LactatingRule, PregnantRule, SexRule
from app.eligibility.logic import Finding, Truth
from app.eligibility.operators.bounds import bounds_text, compare, within_range
from app.eligibility.operators.freshness import max_days, too_old
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.operators.timing import current
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


@operator(PregnantRule)
def _pregnant(rule: PregnantRule) -> Evaluator:
    days = max_days("pregnancy", rule.within_days)

    def evaluate(facts: PatientView) -> Finding:
        found = current(facts, PregnancyFact)
        sex = facts.first(SexFact)
        if sex is not None and sex.value == "male":
            return Finding.false("male patient", evidence=sex.sources)
        if found:
            f = found[0]
            word = "pregnant" if f.pregnant else "not pregnant"
            shown = f"recorded {word} ({f.effective or 'undated'})"
            if too_old(f.effective, facts.as_of, days):
                return Finding.unknown(
                    f"{shown}: older than {days} days",
                    missing=["a current pregnancy test"],
                    evidence=f.sources,
                )
            return Finding(Truth(str(f.pregnant).lower()), shown, tuple(f.sources))
        return Finding.unknown("no pregnancy status or test recorded", missing=["pregnancy test"])

    return evaluate


@operator(LactatingRule)
def _lactating(rule: LactatingRule) -> Evaluator:
    days = max_days("lactation", rule.within_days)

    def evaluate(facts: PatientView) -> Finding:
        found = current(facts, LactationFact)
        sex = facts.first(SexFact)
        if sex is not None and sex.value == "male":
            return Finding.false("male patient", evidence=sex.sources)
        stale: list[str] = []
        if found:
            f = found[0]
            word = "breastfeeding" if f.lactating else "not breastfeeding"
            shown = f"recorded {word} ({f.effective or 'undated'})"
            if not too_old(f.effective, facts.as_of, days):
                return Finding(Truth(str(f.lactating).lower()), shown, tuple(f.sources))
            stale = list(f.sources)
            if rule.if_unrecorded != "false":
                return Finding.unknown(
                    f"{shown}: older than {days} days",
                    missing=["a current lactation status"],
                    evidence=stale,
                )
        if rule.if_unrecorded == "false":
            return Finding.false(
                "no current record of breastfeeding",
                evidence=stale,
                assumptions=["no record of breastfeeding counts as not"],
            )
        return Finding.unknown("breastfeeding not recorded", missing=["lactation status"])

    return evaluate
