"""What a pattern reader returns, and the context it reads in.

Example::

    Reading(AgeRule(op="age", gte=18), spans=[(0, 12)], note="Read as age >= 18 years.")

``spans`` are the [start, end) offsets of the normalized text the reader accounted for;
`app.registry.suggest.suggest` keeps the reading only when every other word is filler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from app.eligibility.language import Rule
from app.facts.model import CancerSite

CriterionType = Literal["inclusion", "exclusion"]


@dataclass(frozen=True)
class Context:
    """What the reader knows beside the criterion's own words."""

    criterion_type: CriterionType
    index_sites: tuple[CancerSite, ...] = ()  # the trial's own cancer (from its conditions)


@dataclass(frozen=True)
class Reading:
    rule: Rule
    spans: list[tuple[int, int]] = field(default_factory=list)
    note: str = ""


# A reader: the normalized text and its context in, a Reading or None (not this family,
# or not read beyond doubt) out.
Reader = Callable[[str, Context], Reading | None]
