"""Screen one patient's resources against the library: the engine-neutral core.

Every engine (DuckDB here; Spark and a Bulk ``$export`` source later) groups NDJSON lines
by patient key (`app.screening.patient_key`) and hands each patient's resources to
`screen`. `screen` builds the very input ``POST /v1/match`` reads (a collection Bundle of
those resources, read by `read_bundle`) and calls `match_record` with the options that
route uses by default, plus ``include_ineligible`` so every trial gets a row. There is no
second implementation of matching: the same record gives the same verdicts either way.

Example::

    >>> rows = screen(resources, load_library(Path("criteria")), date(2026, 11, 23))
    >>> [(r.trial, r.status, r.unmet) for r in rows]
    [('NCT06949098', 'eligible', ()), ('NCT06043999', 'possibly_eligible', ()), ...]

Raises `InvalidInput` when the resources are not one patient's record (no Patient line,
two Patients with the same key, an invalid Patient id: `read_bundle`'s errors), and
`NotFound` for a requested trial not in the library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.eligibility.library import Library
from app.fhir.bundle import read_bundle
from app.matching.models import MatchResponse, TrialStatus
from app.matching.service import MatchOptions, match_record


@dataclass(frozen=True)
class ScreenRow:
    """One patient's verdict on one trial: what /v1/match says of it, without the detail."""

    patient: str  # "Patient/<id>", as /v1/match names it
    trial: str
    status: TrialStatus
    unmet: tuple[str, ...]  # ids of criteria that fail
    missing: tuple[str, ...]  # ids of criteria unknown for lack of data
    review: tuple[str, ...]  # ids of criteria a person must confirm


def bundle_of(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The collection Bundle /v1/match would be posted for these resources."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in resources],
    }


def screen_options(as_of: date, trial_ids: Sequence[str] | None = None) -> MatchOptions:
    """/v1/match's default options with ``include_ineligible``: a row for every trial."""
    return MatchOptions(
        as_of=as_of,
        include_ineligible=True,
        trials=list(trial_ids) if trial_ids is not None else None,
    )


def rows_of(response: MatchResponse) -> list[ScreenRow]:
    return [
        ScreenRow(
            patient=response.patient,
            trial=m.trial,
            status=m.status,
            unmet=tuple(m.unmet),
            missing=tuple(m.missing),
            review=tuple(m.review),
        )
        for m in response.matches
    ]


def screen(
    resources: Iterable[dict[str, Any]],
    library: Library,
    as_of: date,
    trial_ids: Sequence[str] | None = None,
) -> list[ScreenRow]:
    """One row per trial (in /v1/match's rank order) for one patient's resources."""
    record = read_bundle(bundle_of(resources))
    return rows_of(match_record(record, library, screen_options(as_of, trial_ids)))
