"""The `trialmatch` command line: serve, db, trials, criteria, match.

Example::

    trialmatch criteria check            # validate criteria/ and run every worked example
    trialmatch criteria export           # regenerate criteria/schema.json and VOCABULARY.md
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.config import get_settings

cli = typer.Typer(no_args_is_help=True, help="trialmatch: oncology clinical trial matching.")
criteria_cli = typer.Typer(no_args_is_help=True, help="The trial library in criteria/.")
cli.add_typer(criteria_cli, name="criteria")

DirOption = Annotated[
    Path | None, typer.Option("--dir", help="Criteria folder (default: TRIALMATCH_CRITERIA_DIR).")
]


@cli.command()
def serve() -> None:
    """Run the service with uvicorn on TRIALMATCH_HOST:TRIALMATCH_PORT."""
    import uvicorn

    settings = get_settings()
    uvicorn.run("app.main:app", host=settings.host, port=settings.port)


@criteria_cli.command("check")
def criteria_check(directory: DirOption = None) -> None:
    """Validate every trial file and run every worked example; exit 1 on any failure."""
    from app.eligibility.examples import run_examples
    from app.eligibility.library import LibraryError, load_library
    from app.eligibility.vocabulary import export

    console = Console()
    folder = directory or get_settings().criteria_dir
    try:
        library = load_library(folder)
        results = run_examples(folder, library)
    except LibraryError as exc:
        for problem in exc.problems:
            console.print(f"[red]error[/red] {problem}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    table = Table(title=f"Worked examples in {folder}")
    for column in ("trial", "example", "status", "result"):
        table.add_column(column)
    for r in results:
        verdict = "[green]ok[/green]" if r.ok else "[red]FAILED[/red]"
        table.add_row(r.trial, r.example.name, r.verdict.status, verdict)
    console.print(table)
    for r in results:
        for mismatch in r.mismatches:
            console.print(f"[red]{r.trial} {r.example.name}[/red] {mismatch}", highlight=False)
    stale = export(folder, check=True)
    failed = [r for r in results if not r.ok]
    passed = len(results) - len(failed)
    console.print(f"{len(library)} trials valid; {passed}/{len(results)} examples as expected.")
    if stale:
        console.print(
            f"[red]out of date:[/red] {', '.join(stale)} (run `trialmatch criteria export`)"
        )
    if failed or stale:
        raise typer.Exit(1)


@criteria_cli.command("export")
def criteria_export(directory: DirOption = None) -> None:
    """Regenerate schema.json and VOCABULARY.md from the models."""
    from app.eligibility.vocabulary import export

    folder = directory or get_settings().criteria_dir
    written = export(folder)
    typer.echo(f"wrote {', '.join(written)}" if written else "up to date")


def main() -> None:
    cli()
