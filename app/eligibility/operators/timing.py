"""Dates in rules: calendar windows, which of several dated facts a rule reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from app.eligibility.logic import Finding
from app.eligibility.view import PatientView
from app.facts.model import Fact

F = TypeVar("F", bound=Fact)

# A procedure that found the cancer (a polypectomy of a malignant polyp) may predate the
# recorded diagnosis by weeks; one years earlier was for something else.
FOR_CANCER_DAYS_BEFORE = 120


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's end)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, dom)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def current(facts: PatientView, kind: type[F]) -> list[F]:
    """Facts of one model known on the evaluation date, newest first."""
    return facts.current(kind)


def pick(found: list[F], when: str) -> tuple[F | None, str | None]:
    """The newest (``latest``) or oldest dated (``earliest``) fact, with an assumption."""
    if not found:
        return None, None
    if when == "earliest":
        dated = [f for f in found if f.effective is not None]
        if dated:
            return min(dated, key=lambda f: f.effective or date.min), None
        return found[0], "no date recorded: the only record is taken as the initial one"
    return found[0], None


def when_text(when: str) -> str:
    return " at initial diagnosis" if when == "earliest" else ""


def dated_hit(
    what: str,
    when: date | None,
    cutoff: date | None,
    ev: Sequence[str],
    latest: date | None = None,
) -> Finding:
    """Whether a dated record falls in a window starting at ``cutoff``. A date known only
    to the month or year is the range ``when``..``latest``: decided only when the whole
    range is on one side of the cutoff."""
    if cutoff is None:
        return Finding.true(f"{what} recorded", evidence=ev)
    if when is None:
        return Finding.unknown(
            f"{what} recorded without a date", missing=["diagnosis date"], evidence=ev
        )
    last = latest or when
    shown = f"{when}" if latest is None else f"{when} to {latest} (date not recorded to the day)"
    if when >= cutoff:
        return Finding.true(f"{what} recorded on {shown}", evidence=ev)
    if last < cutoff:
        return Finding.false(f"{what} recorded on {shown}, before {cutoff}", evidence=ev)
    return Finding.unknown(
        f"{what} recorded on {shown}: the window starts {cutoff}, inside that range",
        missing=["exact date"],
        evidence=ev,
    )
