"""Benchmark: importing every shared ClinicalTrials.gov record into a fresh store.

Imports /work/shared/ctgov (or the folder given) into a new SQLite store in a temporary
folder, then imports it again: the first run creates every trial, the second writes
nothing. Prints the wall time of each run, per record, and the criteria found by encoding,
plus the time of the reading and drafting alone (no store, no validation). Run::

    PYTHONPATH=. python bench/import.py [FOLDER]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from app.registry.draft import draft_trial
from app.registry.importer import RecordSummary, import_paths, registry_files
from app.registry.record import RecordError
from app.registry.sources import read_records
from app.store.migrate import upgrade
from app.store.session import make_engine, make_session_factory

SHARED = Path("/work/shared/ctgov")


def draft_only(folder: Path) -> float:
    start = time.perf_counter()
    for path in registry_files([folder]):
        for item in read_records(path):
            if not isinstance(item, RecordError):
                draft_trial(item)
    return time.perf_counter() - start


def timing(seconds: float, n: int) -> str:
    return f"{seconds * 1000:.0f} ms ({seconds / n * 1000:.1f} ms/record)"


def outcomes(summaries: list[RecordSummary]) -> dict[str | None, int]:
    return dict(Counter(s.outcome for s in summaries))


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'bench.db'}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        runs = []
        for _ in range(2):
            start = time.perf_counter()
            summaries = import_paths([folder], sessions)
            runs.append((time.perf_counter() - start, summaries))
        engine.dispose()
    drafting = statistics.median(draft_only(folder) for _ in range(3))
    (first, created), (second, again) = runs
    n = len(created)
    counts: Counter[str] = Counter()
    for s in created:
        counts.update(s.counts)
    failed = sum(s.error is not None for s in created)
    print(f"{n} records from {folder} ({failed} failed)")
    print(
        f"criteria: {sum(counts.values())} ({counts['suggested']} suggested, {counts['text']} text)"
    )
    print(f"read + draft only (median of 3): {timing(drafting, n)}")
    print(f"import into an empty store:      {timing(first, n)}, {outcomes(created)}")
    print(f"re-import (nothing changed):     {timing(second, n)}, {outcomes(again)}")


if __name__ == "__main__":
    main()
