"""A bounded pool of worker processes screening chunks of patients.

Engines that run on one machine (DuckDB, a Bulk ``$export`` download) produce chunks: a few
hundred patients, each as its key and its NDJSON lines. `screen_chunks` sends them to N
worker processes (``spawn``: no state inherited from the caller) that each load the trial
library once, keeps at most ``in_flight`` chunks (2 x N by default) submitted and not yet
collected, so memory stays bounded whatever the population's size, and yields results in
the order the chunks came. Example::

    for result in screen_chunks(chunks, source=LibrarySource(criteria_dir=Path("criteria")),
                                as_of=date(2026, 11, 23), workers=2):
        print(result.key, [row.status for row in result.rows])

A worker that dies (killed, out of memory) breaks the pool: `ScreeningFailed` is raised
and the run never looks complete. Stopping early (closing the iterator) cancels the
chunks not yet started.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date

from app.eligibility.library import Library
from app.screening.library_source import LibrarySource
from app.screening.result import PatientResult, screen_lines

# One patient: its key and its NDJSON lines, as text.
PatientLines = tuple[str, list[str]]
Chunk = list[PatientLines]


class ScreeningFailed(RuntimeError):
    """A run that did not screen every patient it was given (a worker died)."""


_worker: tuple[Library, date, tuple[str, ...] | None] | None = None


def _start_worker(source: LibrarySource, as_of: date, trial_ids: tuple[str, ...] | None) -> None:
    global _worker
    _worker = (source.load(), as_of, trial_ids)


def _screen_chunk(chunk: Chunk) -> list[PatientResult]:
    assert _worker is not None, "the pool's initializer loads the library"
    library, as_of, trial_ids = _worker
    return [screen_lines(key, lines, library, as_of, trial_ids) for key, lines in chunk]


def screen_chunks(
    chunks: Iterable[Chunk],
    *,
    source: LibrarySource,
    as_of: date,
    trial_ids: Sequence[str] | None = None,
    workers: int = 1,
    in_flight: int | None = None,
) -> Iterator[PatientResult]:
    """Every patient of every chunk screened, in order; raises ScreeningFailed if a worker
    dies. ``in_flight``: chunks submitted and not yet collected (default 2 x workers)."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    bound = max(in_flight or 2 * workers, 1)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(source, as_of, tuple(trial_ids) if trial_ids is not None else None),
    )
    pending: deque[Future[list[PatientResult]]] = deque()
    source_chunks = iter(chunks)
    try:
        for chunk in source_chunks:
            pending.append(pool.submit(_screen_chunk, chunk))
            if len(pending) >= bound:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    except BrokenProcessPool:
        raise ScreeningFailed("a screening worker stopped before its chunk was done") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        # A generator source (the DuckDB engine) closes its connection and scratch folder.
        close = getattr(source_chunks, "close", None)
        if close is not None:
            close()
