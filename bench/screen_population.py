"""Benchmark: a generated population screened by the DuckDB engine at 1 and 2 workers.

Generates N patients (bench/population.py) as Bulk NDJSON in a temporary folder, times
`screen()` alone in this process on a sample (the per-patient function's own cost), then
the whole engine (DuckDB survey, sort and grouping, worker pool) at 1 and 2 workers. Run::

    PYTHONPATH=. python bench/screen_population.py --patients 10000 [--sample 500]

Prints patients per second per core, peak RSS (this process and its children, from
resource.getrusage) and the engine's overhead: (wall time x workers) over the time
`screen()` alone would take for the whole population, minus one.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import orjson

from app.config import REPO_ROOT
from app.eligibility.library import load_library
from app.screening.duckdb_engine import DuckDBSettings, NdjsonPopulation
from app.screening.library_source import LibrarySource
from app.screening.patient_key import patient_key
from app.screening.pool import screen_chunks
from app.screening.result import screen_lines
from bench.population import AS_OF, population, write_population


def per_patient_seconds(patients: int, sample: int, seed: int, as_of: date) -> float:
    """Mean time of screen_lines (parse + screen) per patient, in this process."""
    library = load_library(REPO_ROOT / "criteria")
    groups = []
    for resources in population(min(sample, patients), seed, as_of):
        keyed = [
            r
            for r in resources
            if patient_key(r) is not None and r["resourceType"] not in ("Encounter",)
        ]
        groups.append((patient_key(resources[0]) or "", [orjson.dumps(r) for r in keyed]))
    start = time.perf_counter()
    for key, lines in groups:
        screen_lines(key, lines, library, as_of)
    return (time.perf_counter() - start) / len(groups)


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory-limit", default="1GB")
    args = parser.parse_args()
    source = LibrarySource(criteria_dir=REPO_ROOT / "criteria")
    with tempfile.TemporaryDirectory(prefix="trialmatch-bench-") as scratch:
        folder = Path(scratch) / "export"
        start = time.perf_counter()
        counts = write_population(folder, patients=args.patients, seed=args.seed)
        size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        print(
            f"generated {args.patients} patients, {sum(counts.values())} lines, "
            f"{size:.0f} MB in {time.perf_counter() - start:.1f} s"
        )
        alone = per_patient_seconds(args.patients, args.sample, args.seed, AS_OF)
        print(
            f"screen() alone: {alone * 1000:.2f} ms per patient "
            f"({1 / alone:.0f} patients/s on one core)"
        )
        for workers in (1, 2):
            engine = NdjsonPopulation([folder], DuckDBSettings(memory_limit=args.memory_limit))
            start = time.perf_counter()
            done = sum(
                1
                for _ in screen_chunks(engine.chunks(), source=source, as_of=AS_OF, workers=workers)
            )
            wall = time.perf_counter() - start
            overhead = wall * workers / (alone * done) - 1
            print(
                f"DuckDB, {workers} worker(s): {done} patients in {wall:.1f} s, "
                f"{done / wall / workers:.0f} patients/s per core, "
                f"overhead {overhead:+.0%} of screen() alone, peak RSS {peak_rss_mb():.0f} MB"
            )


if __name__ == "__main__":
    main()
