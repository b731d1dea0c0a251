"""Fresh enough to decide: how old a fact may be and still settle a criterion.

Every kind of fact that changes with time has a default maximum age (a criterion overrides
it with ``within_days``). An older fact is shown in the verdict, but the outcome is unknown,
needing "a current ..." result. A result that could not be read (`UnreadableFact`) and is
newer than the one that could never lets the older one decide. Defaults, chosen as a
careful coordinator would accept them (common protocol windows before registration):

=====================  ========  ==============================================
fact                   max days  why
=====================  ========  ==============================================
lab result             28        most protocols ask for labs within 14-28 days
performance status     28        ECOG / Karnofsky within 28 days of registration
pregnancy status/test  7         a negative test within 7 days (often 72 hours)
breastfeeding status   28        as for performance status
latest stage           120       restaging after months of treatment is a new stage
absence of metastasis  120       "no distant metastasis" is an imaging finding
=====================  ========  ==============================================

The stage at initial diagnosis (``when: earliest``) has no maximum age: it is history.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from app.eligibility.view import PatientView
from app.facts.model import UnreadableFact

FactAge = Literal["lab", "performance", "pregnancy", "lactation", "stage", "metastasis"]

MAX_DAYS: dict[FactAge, int] = {
    "lab": 28,
    "performance": 28,
    "pregnancy": 7,
    "lactation": 28,
    "stage": 120,
    "metastasis": 120,
}


def max_days(kind: FactAge, within_days: int | None) -> int:
    return MAX_DAYS[kind] if within_days is None else within_days


def too_old(effective: date | None, as_of: date, days: int) -> bool:
    """Undated facts are too old: their age cannot be shown to fit."""
    return effective is None or (as_of - effective).days > days


def newer_unreadable(
    facts: PatientView, family: Literal["lab", "performance"], key: str, than: date | None
) -> UnreadableFact | None:
    """An unreadable result of the same analyte or scale dated after ``than`` (or any, when
    nothing readable is dated)."""
    for f in facts.current(UnreadableFact):
        dated = f.family == family and f.key == key and f.effective is not None
        if dated and (than is None or (f.effective is not None and f.effective > than)):
            return f
    return None
