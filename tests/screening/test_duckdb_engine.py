"""The DuckDB engine over NDJSON files gives the rows `screen()` gives patient by patient,
counts what it skips, and completes a population larger than its memory limit."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

from app.eligibility.library import Library
from app.screening.core import ScreenRow, screen
from app.screening.duckdb_engine import DuckDBSettings, NdjsonPopulation
from app.screening.library_source import LibrarySource
from app.screening.patient_key import unkeyed_reason
from app.screening.pool import screen_chunks
from app.screening.result import PatientResult
from bench.population import write_population
from tests.screening.conftest import AS_OF
from tests.screening.populations import by_patient, example_names, example_resources, write_ndjson

GENERATED = 120
SEED = 3


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated patients plus the bundled examples, as one Bulk export folder."""
    folder = tmp_path_factory.mktemp("export")
    write_population(folder, patients=GENERATED, seed=SEED)
    for name in example_names():
        write_ndjson(folder, example_resources(name))
    # A Condition of a patient the export has no Patient line for.
    write_ndjson(
        folder,
        [
            {
                "resourceType": "Condition",
                "id": "orphan-1",
                "subject": {"reference": "Patient/orphan"},
            }
        ],
    )
    return folder


def all_lines(folder: Path) -> list[object]:
    return [
        orjson.loads(line)
        for f in sorted(folder.glob("*.ndjson"))
        for line in f.read_bytes().splitlines()
    ]


def run(
    folder: Path, source: LibrarySource, workers: int = 2, **settings: object
) -> list[PatientResult]:
    population = NdjsonPopulation([folder], DuckDBSettings(**settings))  # type: ignore[arg-type]
    return list(
        screen_chunks(population.chunks(patients=17), source=source, as_of=AS_OF, workers=workers)
    )


def test_engine_rows_are_screen_rows_patient_by_patient(
    export: Path, source: LibrarySource, library: Library
) -> None:
    results = run(export, source)
    expected = by_patient(r for r in all_lines(export) if isinstance(r, dict))
    assert sorted(r.key for r in results) == sorted(expected)  # each patient once
    for result in results:
        if result.key == "orphan":
            assert result.error == "bundle.no_patient" and result.rows == ()
            continue
        assert result.error is None, result.key
        want: list[ScreenRow] = screen(expected[result.key], library, AS_OF)
        assert list(result.rows) == want, result.key
    statuses = Counter(row.status for r in results for row in r.rows)
    assert set(statuses) == {"eligible", "possibly_eligible", "ineligible"}


def test_survey_counts_patients_and_every_line_left_out(export: Path) -> None:
    survey = NdjsonPopulation([export]).survey()
    lines = all_lines(export)
    assert survey.lines == len(lines)
    assert survey.patients == len(
        by_patient(r for r in lines if isinstance(r, dict) and r["resourceType"] != "Encounter")
    )
    skipped = Counter(
        (r["resourceType"], unkeyed_reason(r))
        for r in lines
        if isinstance(r, dict) and r["resourceType"] != "Encounter" and unkeyed_reason(r)
    )
    assert survey.skipped == dict(skipped)
    assert ("Medication", "no_subject") in survey.skipped  # the generator's noise is there
    assert survey.ignored == {
        "Encounter": sum(
            1 for r in lines if isinstance(r, dict) and r["resourceType"] == "Encounter"
        )
    }
