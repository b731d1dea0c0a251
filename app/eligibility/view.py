"""One patient's facts as rules read them: known on the evaluation date, by model, newest first.

Built once per patient and shared by every criterion of every trial, so the fact list is
sorted once per model instead of once per criterion. Example::

    >>> view = PatientView(facts)
    >>> view.first(PerformanceFact, lambda f: f.scale == "ecog")   # newest ECOG, or None
    >>> view.current(StageFact)                                       # every stage fact

The order is `PatientFacts.of_kind`'s (newest effective date first; at equal dates a coded
fact beats a text one), so ``first`` picks what the `PatientFacts` accessors pick. Facts
dated after ``as_of`` are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from app.facts.model import Fact, PatientFacts

F = TypeVar("F", bound=Fact)


class PatientView:
    def __init__(self, facts: PatientFacts) -> None:
        self.facts = facts
        self.as_of: date = facts.as_of
        self._by_kind: dict[type[Any], list[Any]] = {}

    def current(self, kind: type[F]) -> list[F]:
        """Facts of one model known on the evaluation date, newest first (do not mutate)."""
        found = self._by_kind.get(kind)
        if found is None:
            found = [
                f
                for f in self.facts.of_kind(kind)
                if f.effective is None or f.effective <= self.as_of
            ]
            self._by_kind[kind] = found
        return found

    def first(self, kind: type[F], where: Callable[[F], bool] | None = None) -> F | None:
        """The newest current fact of one model (that satisfies ``where``), or None."""
        return next((f for f in self.current(kind) if where is None or where(f)), None)
