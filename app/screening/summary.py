"""What a screening run found, in counts only (no patient ids): the CLI's summary.

Example::

    summary = ScreenSummary()
    for result in results:
        summary.add(result)
    summary.patients, summary.by_trial["NCT06949098"]["eligible"], summary.errors
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from app.screening.result import PatientResult


@dataclass
class ScreenSummary:
    patients: int = 0
    by_trial: dict[str, Counter[str]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)  # error type -> patients

    def add(self, result: PatientResult) -> None:
        self.patients += 1
        if result.error is not None:
            self.errors[result.error] += 1
        for row in result.rows:
            self.by_trial.setdefault(row.trial, Counter())[row.status] += 1
