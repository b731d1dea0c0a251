"""What is legal in a trial file but probably not meant: warnings, not refusals.

A trial with no ``applies_to`` and no ``primary_cancer`` rule naming sites, in any of its
criteria at any depth, is offered to every patient whatever their cancer: a hand-written
file that forgot its site, or an import whose conditions map to no site. It loads (the safe
side: never hidden from a patient it might fit) but `trialmatch trials load`,
``criteria check`` and ``trials list`` say so. Example::

    >>> [str(w) for w in trial_warnings(trial)]
    ['trial.no_cancer_site: no cancer-site criterion and no applies_to: matches every patient']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.eligibility.language import AllOf, AnyOf, Not, PrimaryCancerRule, Rule, Trial

NO_CANCER_SITE = "trial.no_cancer_site"


@dataclass(frozen=True)
class TrialWarning:
    """A stable type and a message about our own trial data."""

    type: str
    message: str

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


def rules_within(rule: Rule) -> Iterator[Rule]:
    """`rule` and every rule below it, depth first."""
    yield rule
    if isinstance(rule, AllOf | AnyOf):
        for part in rule.of:
            yield from rules_within(part)
    elif isinstance(rule, Not):
        yield from rules_within(rule.rule)


def names_a_cancer_site(trial: Trial) -> bool:
    """True when ``applies_to`` is set or some criterion's rule asks for a primary cancer
    at named sites."""
    if trial.applies_to is not None:
        return True
    return any(
        isinstance(part, PrimaryCancerRule) and part.sites
        for criterion in trial.criteria
        if criterion.rule is not None
        for part in rules_within(criterion.rule)
    )


def trial_warnings(trial: Trial) -> list[TrialWarning]:
    warnings: list[TrialWarning] = []
    if not names_a_cancer_site(trial):
        warnings.append(
            TrialWarning(
                NO_CANCER_SITE, "no cancer-site criterion and no applies_to: matches every patient"
            )
        )
    return warnings
