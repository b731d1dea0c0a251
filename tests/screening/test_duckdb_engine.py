"""The DuckDB engine over NDJSON files gives the rows `screen()` gives patient by patient,
counts what it skips, and completes a population larger than its memory limit."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

from app.eligibility.library import Library
from app.screening.core import ScreenRow, screen
from app.screening.duckdb_engine import DuckDBSettings, NdjsonPopulation, memory_bytes
from app.screening.library_source import LibrarySource
from app.screening.patient_key import patient_key, unkeyed_reason
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


@pytest.mark.parametrize(
    ("limit", "expected"),
    [("1GB", 10**9), ("128MB", 128 * 10**6), ("1.5GiB", int(1.5 * 2**30)), ("512 kb", 512_000)],
)
def test_memory_limits_are_read_as_duckdb_reads_them(limit: str, expected: int) -> None:
    assert memory_bytes(limit) == expected


def test_a_small_memory_limit_gets_fewer_threads_not_an_error() -> None:
    assert DuckDBSettings(memory_limit="128MB", threads=2).effective_threads == 1
    assert DuckDBSettings(memory_limit="4GB", threads=2).effective_threads == 2
    assert DuckDBSettings(memory_limit="64MB", threads=4).effective_threads == 1
    assert DuckDBSettings(memory_limit="80%", threads=3).effective_threads == 3  # not a size


def test_a_population_larger_than_the_memory_limit_completes(
    tmp_path: Path, source: LibrarySource, library: Library
) -> None:
    """About 170 MB of NDJSON grouped under a 128 MB limit: DuckDB spills its sort to the
    temp folder (below ~100 MB per thread it raises out-of-memory instead, as measured)."""
    folder = tmp_path / "export"
    write_population(folder, patients=15_000, seed=11)
    size = sum(f.stat().st_size for f in folder.iterdir())
    limit = "128MB"
    assert size > 1.25 * (memory_bytes(limit) or 0)
    population = NdjsonPopulation(
        [folder], DuckDBSettings(memory_limit=limit, temp_directory=tmp_path / "spill")
    )
    survey = population.survey()
    seen: set[str] = set()
    lines = 0
    sample: list[tuple[str, list[str]]] = []
    for key, patient_lines in population.patients():
        assert key not in seen  # each patient's lines arrive together, once
        seen.add(key)
        lines += len(patient_lines)
        if len(sample) < 40 and len(seen) % 300 == 0:
            sample.append((key, patient_lines))
    assert len(seen) == survey.patients
    assert lines == survey.lines - sum(survey.skipped.values()) - sum(survey.ignored.values())
    # The grouped lines are whole records: screened as /v1/match would screen them.
    expected = by_patient(
        r for r in all_lines(folder) if isinstance(r, dict) and patient_key(r) in dict(sample)
    )
    for key, patient_lines in sample:
        rows = screen([orjson.loads(line) for line in patient_lines], library, AS_OF)
        assert rows == screen(expected[key], library, AS_OF), key
