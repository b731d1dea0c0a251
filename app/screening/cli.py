"""``trialmatch screen``: screen a population of Bulk NDJSON files on this machine.

Example::

    trialmatch screen export/ --trial NCT06949098 --as-of 2026-11-23 --workers 2 \\
        --out results.csv --memory-limit 1GB

Reads every ``*.ndjson`` of the folder (or the files given) with DuckDB, screens each
patient in worker processes against the library (criteria/ by default, the store's with
``--store``, what the running service matches against), shows a progress bar (patients
done / total) and prints a summary: patients, the statuses per trial, the patients that
could not be screened and the lines skipped, by resource type and reason. Exit 0 when
every patient was screened or reported; 1 when the run failed (a worker died: no results
file is left); 2 for bad input (no files, an unknown trial).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.config import get_settings
from app.screening.duckdb_engine import DuckDBSettings, NdjsonPopulation, Survey
from app.screening.library_source import LibrarySource
from app.screening.output import ResultsFile
from app.screening.pool import ScreeningFailed, screen_chunks
from app.screening.summary import ScreenSummary

STATUSES = ("eligible", "possibly_eligible", "ineligible")


def screen_command(
    sources: Annotated[
        list[Path], typer.Argument(help="A folder of Bulk NDJSON files (*.ndjson), or files.")
    ],
    trial: Annotated[
        list[str] | None, typer.Option("--trial", help="Only these trials (repeatable).")
    ] = None,
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], help="Default: today.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: cores).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write every row here (.csv or .parquet).")
    ] = None,
    memory_limit: Annotated[
        str, typer.Option("--memory-limit", help="DuckDB's memory limit; it spills past it.")
    ] = "1GB",
    temp_dir: Annotated[
        Path | None, typer.Option("--temp-dir", help="Where DuckDB spills (default: a tmp dir).")
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Criteria folder (default: TRIALMATCH_CRITERIA_DIR)."),
    ] = None,
    store: Annotated[
        bool, typer.Option("--store", help="Use the store's library (TRIALMATCH_DATABASE_URL).")
    ] = False,
) -> None:
    """Screen every patient of a Bulk NDJSON export against the trial library."""
    settings = get_settings()
    source = (
        LibrarySource(database_url=settings.database_url)
        if store
        else LibrarySource(criteria_dir=directory or settings.criteria_dir)
    )
    library = source.load()
    unknown = sorted(set(trial or ()) - set(library.trials))
    if unknown:
        typer.echo(f"error: no trial {', '.join(unknown)} in the library", err=True)
        raise typer.Exit(2)
    try:
        population = NdjsonPopulation(
            sources, DuckDBSettings(memory_limit=memory_limit, temp_directory=temp_dir)
        )
        survey = population.survey()
    except FileNotFoundError:
        typer.echo("error: no NDJSON files found", err=True)
        raise typer.Exit(2) from None
    except duckdb.Error as error:
        # DuckDB's message may quote a line of the files: name the kind of error only.
        typer.echo(f"error: the NDJSON files could not be read ({type(error).__name__})", err=True)
        raise typer.Exit(2) from None

    day = as_of.date() if as_of else datetime.now(UTC).date()
    summary = ScreenSummary()
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("screening"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    results = screen_chunks(
        population.chunks(),
        source=source,
        as_of=day,
        trial_ids=trial,
        workers=workers or os.cpu_count() or 1,
    )
    try:
        with progress:
            task = progress.add_task("patients", total=survey.patients)
            if out is None:
                for result in results:
                    summary.add(result)
                    progress.advance(task)
            else:
                with ResultsFile(out) as written:
                    for result in results:
                        written.write(result)
                        summary.add(result)
                        progress.advance(task)
    except ScreeningFailed:
        typer.echo(
            f"error: the run failed after {summary.patients} of {survey.patients} patients "
            "(a worker stopped); no results were written",
            err=True,
        )
        raise typer.Exit(1) from None
    Console().print(render_summary(summary, survey))
    if out is not None:
        typer.echo(f"wrote {out}")


def render_summary(summary: ScreenSummary, survey: Survey) -> Table:
    table = Table(
        title=f"{summary.patients} patients screened"
        + (f", {sum(summary.errors.values())} not screened" if summary.errors else "")
    )
    table.add_column("trial")
    for status in STATUSES:
        table.add_column(status, justify="right")
    for nct_id, counts in sorted(summary.by_trial.items()):
        table.add_row(nct_id, *(str(counts[s]) for s in STATUSES))
    notes = [f"not screened: {kind} {n}" for kind, n in sorted(summary.errors.items())]
    notes += [
        f"skipped lines: {kind} {reason} {n}"
        for (kind, reason), n in sorted(survey.skipped.items())
    ]
    notes += [f"lines of types not read: {kind} {n}" for kind, n in sorted(survey.ignored.items())]
    table.caption = "\n".join(notes) or None
    return table
