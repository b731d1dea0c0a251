"""What a rule may assume when nothing is recorded, and how the verdict says so.

"No recorded X counts as absent" stands only on a complete reading: while the record holds
a Condition (or Procedure) the vocabulary could not place (`UnclassifiedFact`), any of them
might be X, so the rule is unknown for a person to decide, naming them, and the review is
triggered by them (the trial cannot be eligible until it is answered). Example::

    found = unplaced_review(facts, "Condition", "HIV infection")
    # -> None, or Finding(UNKNOWN, "... could be HIV infection: Herzschwäche (Condition/c9)")
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

from app.eligibility.logic import REVIEW_MARK, Finding, Truth
from app.eligibility.view import PatientView
from app.facts.model import UnclassifiedFact

ABSENT_DIAGNOSIS = "no recorded diagnosis counts as absent"
ABSENT_TREATMENT = "no recorded treatment counts as none"


ABSENT_MEDICATION = "no recorded medication counts as none"


def unplaced(
    facts: PatientView,
    resource_type: Literal["Condition", "Procedure"],
    could_be: Callable[[UnclassifiedFact], bool] | None = None,
) -> list[UnclassifiedFact]:
    """The record's unplaced resources of one type that could still be what a rule asks."""
    return [
        f
        for f in facts.current(UnclassifiedFact)
        if f.resource_type == resource_type and (could_be is None or could_be(f))
    ]


def unplaced_review(
    facts: PatientView,
    resource_type: Literal["Condition", "Procedure"],
    what: str,
    could_be: Callable[[UnclassifiedFact], bool] | None = None,
) -> Finding | None:
    """The unknown that replaces "none recorded" while unplaced resources remain, or None."""
    found = unplaced(facts, resource_type, could_be)
    if not found:
        return None
    named = ", ".join(
        f"{f.display or 'unnamed ' + resource_type.lower()} ({f.sources[0]})" for f in found
    )
    question = f"Is any of these {what}? {named}"
    refs = tuple(s for f in found for s in f.sources)
    return Finding(
        Truth.UNKNOWN,
        f"no record of {what}, but the record holds {resource_type.lower()}s trialmatch "
        f"cannot classify: {named}",
        evidence=refs,
        missing=(REVIEW_MARK + question,),
        triggered_by=refs,
    )


def not_before(cutoff: date | None) -> Callable[[UnclassifiedFact], bool]:
    """Could fall in a window starting at ``cutoff`` (undated ones could)."""

    def could_be(f: UnclassifiedFact) -> bool:
        last = f.onset_latest or f.onset
        return cutoff is None or last is None or last >= cutoff

    return could_be
