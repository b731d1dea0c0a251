"""Registry dates, full or partial, as the Trial model holds them.

The registry writes "2024-05-16", "2024-05" (API v2), "May 16, 2017" or "May 2017"
(legacy). The Trial's dates are plain dates, so a month-only date is held as the first
day of its month, with a warning saying so (these dates are metadata: no criterion reads
them). Example::

    registry_date("2026-03")        # -> RegistryDate(date(2026, 3, 1), "month")
    registry_date("July 1, 2023")   # -> RegistryDate(date(2023, 7, 1), "day")
    registry_date("soon")           # -> None
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Precision = Literal["day", "month"]

_FORMATS: tuple[tuple[str, Precision], ...] = (
    ("%Y-%m-%d", "day"),
    ("%Y-%m", "month"),
    ("%B %d, %Y", "day"),
    ("%B %Y", "month"),
)


@dataclass(frozen=True)
class RegistryDate:
    value: date
    precision: Precision


def registry_date(text: str | None) -> RegistryDate | None:
    if not text:
        return None
    for pattern, precision in _FORMATS:
        try:
            return RegistryDate(datetime.strptime(text.strip(), pattern).date(), precision)
        except ValueError:
            continue
    return None
