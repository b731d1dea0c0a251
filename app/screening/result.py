"""One patient screened from its NDJSON lines: rows, or why it could not be screened.

This is the unit of work every engine runs per patient (in a worker process, a Spark
executor): parse the lines, `screen` them, and turn a record that `read_bundle` refuses
into a stable error type instead of an exception, so one bad record does not stop a run of
a hundred thousand. Example::

    >>> result = screen_lines("p1", [b'{"resourceType": "Patient", "id": "p1"}'], library, as_of)
    >>> result.error, [row.status for row in result.rows]
    (None, ['possibly_eligible', ...])
    >>> screen_lines("p2", [b'{"resourceType": "Condition", ...}'], library, as_of).error
    'bundle.no_patient'

Neither the error nor the log line carries patient data or exception text: the type only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import orjson

from app.eligibility.library import Library
from app.errors import ApiError
from app.screening.core import ScreenRow, screen

log = logging.getLogger("trialmatch.screening")

INTERNAL_ERROR = "screen.internal_error"


@dataclass(frozen=True)
class PatientResult:
    """``rows`` (one per trial) when the patient was screened, else ``error``: a stable
    type (``bundle.no_patient``, ``bundle.multiple_patients``, ``bundle.invalid_patient_id``,
    ``screen.internal_error``) and no rows: such a patient is never reported eligible."""

    key: str
    rows: tuple[ScreenRow, ...] = ()
    error: str | None = None


def screen_lines(
    key: str,
    lines: Sequence[str | bytes],
    library: Library,
    as_of: date,
    trial_ids: Sequence[str] | None = None,
) -> PatientResult:
    """Screen one patient's NDJSON lines (already grouped by patient key)."""
    try:
        resources = [orjson.loads(line) for line in lines]
        return PatientResult(key, tuple(screen(resources, library, as_of, trial_ids)))
    except ApiError as error:
        return PatientResult(key, error=error.details[0].type)
    except Exception as error:
        # A fault of ours on one record: counted and named by type, never its text.
        log.error("screening a patient failed: %s", type(error).__name__)
        return PatientResult(key, error=INTERNAL_ERROR)
