"""A run whose worker dies midway fails: it never returns as complete."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from app.screening.duckdb_engine import NdjsonPopulation
from app.screening.library_source import LibrarySource
from app.screening.output import ResultsFile
from app.screening.pool import ScreeningFailed, screen_chunks
from app.screening.result import PatientResult
from bench.population import write_population
from tests.screening.conftest import AS_OF


def test_a_killed_worker_fails_the_run(tmp_path: Path, source: LibrarySource) -> None:
    write_population(tmp_path, patients=300, seed=5)
    results = screen_chunks(
        NdjsonPopulation([tmp_path]).chunks(patients=3), source=source, as_of=AS_OF, workers=2
    )
    seen = [next(results)]
    [worker, *_] = multiprocessing.active_children()
    os.kill(worker.pid or 0, signal.SIGKILL)
    with pytest.raises(ScreeningFailed):
        seen.extend(results)
    assert len(seen) < 300


def test_a_failed_run_leaves_no_results_file(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"

    def failing() -> list[PatientResult]:
        raise ScreeningFailed("a screening worker stopped")

    with pytest.raises(ScreeningFailed), ResultsFile(out) as written:
        written.write(PatientResult("p1", error="bundle.no_patient"))
        failing()
    assert list(tmp_path.iterdir()) == []
