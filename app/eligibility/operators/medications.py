"""Operators on medications: prior exposure to a drug class, and how long ago it ended.

One rule, ``medication`` (`MedicationRule`), over `MedicationFact`. Each recorded drug is
weighed against the classes the rule names, through the class hierarchy of
app/vocabulary/data/medications.yaml (a rule on chemotherapy covers fluoropyrimidine):

- a drug of a named class (or a subclass), given or taken, within the window: true;
- a drug that may be of the class but the record does not say (unclassified, classed only
  as systemic therapy under a rule on chemotherapy, investigational, or a status that
  leaves open whether a dose was given): for a person to review, raised by that record;
- a drug of a named class whose dates cannot settle the window (no end date, a partial
  date whose range straddles the window's limit): unknown, the date is missing;
- otherwise false, assuming that no recorded medication means none was given.

Example::

    >>> evaluate = compile_rule(MedicationRule(op="medication", classes=["chemotherapy"],
    ...                                        ended_at_least_days_ago=28))
    >>> evaluate(PatientView(facts)).reason   # oxaliplatin given 20 days ago
    'oxaliplatin (platinum compound) ended 2026-11-02, less than 28 days ago'
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Literal, get_args

from app.eligibility.labels import label_list
from app.eligibility.language import MedicationRule
from app.eligibility.logic import REVIEW_MARK, Finding, Truth, all_of, any_of, negate
from app.eligibility.operators.absence import ABSENT_MEDICATION
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.operators.timing import current, months_before
from app.eligibility.view import PatientView
from app.facts.model import DatePrecision, MedicationFact
from app.vocabulary.medications import INVESTIGATIONAL, OTHER, DrugClass, drug_vocabulary

Relation = Literal["hit", "possible", "miss"]


def last_day(day: date, precision: DatePrecision | None) -> date:
    """The last day a partial date may mean: 2026-05 (month) -> 2026-05-31."""
    if precision == "year":
        return date(day.year, 12, 31)
    if precision == "month":
        return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return day


def _shown(day: date, precision: DatePrecision | None) -> str:
    return day.isoformat()[: {"year": 4, "month": 7}.get(precision or "day", 10)]


def _review(question: str, reason: str, sources: list[str]) -> Finding:
    """Unknown for a person, raised by a recorded fact (so the trial cannot be eligible)."""
    ev = tuple(dict.fromkeys(sources))
    return Finding(Truth.UNKNOWN, reason, ev, (), (REVIEW_MARK + question,), ev)


@operator(MedicationRule)
def _medication(rule: MedicationRule) -> Evaluator:
    vocab = drug_vocabulary()
    labels = {c: vocab.label(c) for c in get_args(DrugClass)}
    wanted: frozenset[DrugClass] = frozenset(rule.classes)
    what = label_list(list(rule.classes), labels)
    days = rule.within_days or rule.ended_at_least_days_ago
    window = f", within {days} days" if days else ""
    if rule.ended_at_least_days_ago:
        window = f", less than {days} days ago"
    if rule.within_months:
        window = f", within {rule.within_months} months"
    # A class is coarse for this rule when it is a strict ancestor of a wanted class.
    coarse = {a for w in wanted for a in vocab.lineage(w)[1:]}

    def relation(fact: MedicationFact) -> Relation:
        if any(wanted & set(vocab.lineage(c)) for c in fact.drug_classes):
            return "hit"
        known = [c for c in fact.drug_classes if c not in (OTHER, INVESTIGATIONAL)]
        if not fact.drug_classes or (not known and INVESTIGATIONAL in fact.drug_classes):
            return "possible"
        return "possible" if any(c in coarse for c in known) else "miss"

    def timing(fact: MedicationFact, name: str, cutoff: date | None) -> Finding:
        ev = fact.sources
        if cutoff is None:
            return Finding.true(f"{name} recorded", evidence=ev)
        if fact.ongoing:
            return Finding.true(f"{name} ongoing", evidence=ev)
        if fact.ended is not None:
            shown = _shown(fact.ended, fact.ended_precision)
            if fact.ended >= cutoff:
                return Finding.true(f"{name} ended {shown}{window}", evidence=ev)
            if last_day(fact.ended, fact.ended_precision) < cutoff:
                return Finding.false(f"{name} ended {shown}, before {cutoff}", evidence=ev)
            return Finding.unknown(
                f"{name} ended {shown}: the window's limit ({cutoff}) falls inside that date",
                missing=[f"end date of {name} to the day"],
                evidence=ev,
            )
        if fact.started is not None and fact.started >= cutoff:
            shown = _shown(fact.started, fact.started_precision)
            return Finding.true(f"{name} started {shown}{window}", evidence=ev)
        return Finding.unknown(
            f"{name} recorded without an end date", missing=[f"end date of {name}"], evidence=ev
        )

    def one(fact: MedicationFact, cutoff: date | None) -> Finding | None:
        found = relation(fact)
        if found == "miss":
            return None
        source = fact.sources[0] if fact.sources else "the record"
        if found == "possible":
            kind = "unclassified" if not fact.drug_classes else "not specifically classified"
            question = f"is the {kind} medication of {source} {what}?"
            review = _review(question, f"a {kind} medication is recorded", fact.sources)
            when = timing(fact, "that medication", cutoff)
            return None if when.truth is Truth.FALSE else all_of([review, when])
        drug = fact.ingredient or fact.display or "a medication"
        classes = label_list([labels[c] for c in fact.drug_classes], joiner="and")
        name = f"{drug} ({classes})"
        when = timing(fact, name, cutoff)
        if fact.exposure == "uncertain" and when.truth is not Truth.FALSE:
            question = f"was {drug} of {source} (status {fact.status}) given?"
            return all_of([_review(question, f"{name}: status {fact.status}", fact.sources), when])
        return when

    def within(facts: PatientView) -> Finding:
        cutoff = None
        if rule.ended_at_least_days_ago:
            # "At least 28 days since": ended 28 days ago is enough, 27 is not.
            cutoff = facts.as_of - timedelta(days=rule.ended_at_least_days_ago - 1)
        elif rule.within_days:
            cutoff = facts.as_of - timedelta(days=rule.within_days)
        elif rule.within_months:
            cutoff = months_before(facts.as_of, rule.within_months)
        found = [f for fact in current(facts, MedicationFact) if (f := one(fact, cutoff))]
        if not found or all(f.truth is Truth.FALSE for f in found):
            parts = [f.reason for f in found]
            reason = "; ".join(parts) if parts else f"no record of {what}{window.lstrip(',')}"
            evidence = [e for f in found for e in f.evidence]
            return Finding.false(reason, evidence=evidence, assumptions=[ABSENT_MEDICATION])
        return any_of(found)

    if rule.ended_at_least_days_ago:
        return lambda facts: negate(within(facts))
    return within
