"""The `trialmatch` command line: serve, db, trials, criteria, match, screen, audit, api-key,
openapi.

Example::

    trialmatch db upgrade                 # apply migrations to TRIALMATCH_DATABASE_URL
    trialmatch trials load criteria/      # load every trial file, idempotently
    trialmatch trials list                # every stored trial; quarantined ones say why
    trialmatch trials curate NCT03377387 inc-0.b --accept --by "J. Doe"
    trialmatch criteria check             # validate criteria/ and run every worked example
    trialmatch criteria export            # regenerate criteria/schema.json and VOCABULARY.md
    trialmatch screen export/ --out results.csv  # every patient of a Bulk NDJSON export
    trialmatch audit --since 24h          # who asked for which patient
    trialmatch openapi export             # rewrite openapi/openapi.json from the app
    trialmatch serve                      # run the service
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app.auth.cli import api_key_cli
from app.auth.loopback import UnsafeBind, ensure_safe_bind
from app.config import REPO_ROOT, Settings, get_settings
from app.limits.client_address import uvicorn_proxy_options
from app.screening.cli import screen_command
from app.store.audit_cli import audit_command
from app.store.trials_cli import curate_command, list_command, remove_command, show_command

cli = typer.Typer(no_args_is_help=True, help="trialmatch: oncology clinical trial matching.")
db_cli = typer.Typer(no_args_is_help=True, help="The trial store's database.")
trials_cli = typer.Typer(no_args_is_help=True, help="The trial library in the store.")
openapi_cli = typer.Typer(no_args_is_help=True, help="The OpenAPI document.")
cli.add_typer(db_cli, name="db")
cli.add_typer(trials_cli, name="trials")
cli.add_typer(openapi_cli, name="openapi")
cli.add_typer(api_key_cli, name="api-key")
cli.command("audit")(audit_command)
cli.command("screen")(screen_command)
trials_cli.command("list")(list_command)
trials_cli.command("show")(show_command)
trials_cli.command("remove")(remove_command)
trials_cli.command("curate")(curate_command)

OPENAPI_FILE = REPO_ROOT / "openapi" / "openapi.json"
criteria_cli = typer.Typer(no_args_is_help=True, help="The trial library in criteria/.")
cli.add_typer(criteria_cli, name="criteria")

DirOption = Annotated[
    Path | None, typer.Option("--dir", help="Criteria folder (default: TRIALMATCH_CRITERIA_DIR).")
]


def uvicorn_options(settings: Settings, *, workers: int | None = None) -> dict[str, Any]:
    """How `trialmatch serve` runs uvicorn (bench/load.py runs its parse-only app the same).

    httptools with a deadline for headers (app/slow_clients.py), uvloop, one worker per
    core unless told otherwise, keep-alive and concurrency limits from the settings.
    """
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": workers or settings.workers or os.cpu_count() or 1,
        "loop": "uvloop",
        "http": "app.slow_clients:HeaderDeadlineHttpTools",
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.limit_concurrency,
        # uvicorn's access log prints raw paths, and /v1/patients/{id}/... holds a patient
        # id: it stays off. Who asked for which patient is in the audit trail.
        "access_log": False,
        # X-Forwarded-For is trusted only from TRIALMATCH_FORWARDED_ALLOW_IPS (app/limits/).
        **uvicorn_proxy_options(settings),
    }


@cli.command()
def serve(
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes (default: TRIALMATCH_WORKERS, else cores)."),
    ] = None,
) -> None:
    """Run the service with uvicorn on TRIALMATCH_HOST:TRIALMATCH_PORT."""
    import logging

    import uvicorn

    # uvicorn configures its own loggers only; this gives trialmatch's a place to go.
    logging.basicConfig(format="%(levelname)s:     %(name)s: %(message)s")
    settings = get_settings()
    try:
        ensure_safe_bind(settings)
    except UnsafeBind as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    options = uvicorn_options(settings, workers=workers)
    if options["workers"] > 1:
        # Workers start together: migrate and load once here, so they never race on a
        # new database (each worker's own start-up then finds it current).
        from app.main import prepare_database
        from app.store.session import make_engine

        engine = make_engine(settings.database_url)
        try:
            prepare_database(settings, engine)
        finally:
            engine.dispose()
    uvicorn.run("app.main:app", **options)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to TRIALMATCH_DATABASE_URL (creates a new database)."""
    from app.store.migrate import current_revision, upgrade
    from app.store.session import make_engine

    engine = make_engine(get_settings().database_url)
    try:
        upgrade(engine)
        typer.echo(f"database at revision {current_revision(engine)}")
    finally:
        engine.dispose()


@trials_cli.command("load")
def trials_load(
    folder: Annotated[
        Path | None,
        typer.Argument(help="Folder of trial files; TRIALMATCH_CRITERIA_DIR by default."),
    ] = None,
) -> None:
    """Load every trial file of FOLDER into the store; exits 1 if any file was refused."""
    from app.store.loader import load_directory
    from app.store.migrate import current_revision
    from app.store.session import make_engine, make_session_factory

    settings = get_settings()
    folder = folder or settings.criteria_dir
    if not folder.is_dir():
        typer.echo(f"error: {folder} is not a folder", err=True)
        raise typer.Exit(2)
    engine = make_engine(settings.database_url)
    try:
        if current_revision(engine) is None:
            typer.echo(
                "error: the database has no tables yet: run `trialmatch db upgrade`", err=True
            )
            raise typer.Exit(2)
        report = load_directory(make_session_factory(engine), folder)
    finally:
        engine.dispose()
    for problem in report.problems:
        typer.echo(f"error: {problem}", err=True)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.problems)} problems, "
        f"{len(report.warnings)} warnings"
    )
    if not report.ok:
        raise typer.Exit(1)


@trials_cli.command("import")
def trials_import(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Registry records (API v2 JSON, classic JSON, XML) or folders."),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write each draft as a library YAML file here."),
    ] = None,
) -> None:
    """Create or update draft trials from registry records; exits 1 if any record failed.

    Criteria a person curated in the store are kept; a curated criterion whose registry
    text changed is flagged, never overwritten."""
    from app.registry.importer import import_paths
    from app.store.migrate import current_revision
    from app.store.session import make_engine, make_session_factory

    engine = make_engine(get_settings().database_url)
    try:
        if current_revision(engine) is None:
            typer.echo(
                "error: the database has no tables yet: run `trialmatch db upgrade`", err=True
            )
            raise typer.Exit(2)
        summaries = import_paths(paths, make_session_factory(engine), out_dir=out)
    finally:
        engine.dispose()
    for summary in summaries:
        typer.echo(summary.line(), err=summary.error is not None)
        for warning in summary.warnings:
            typer.echo(f"  warning: {warning}")
        for flag in summary.flags:
            typer.echo(f"  flagged: {flag}")
    failed = sum(s.error is not None for s in summaries)
    typer.echo(f"{len(summaries)} records, {failed} failed")
    if failed or not summaries:
        raise typer.Exit(1)


def openapi_document() -> str:
    """The app's OpenAPI document as the text of openapi/openapi.json."""
    from app.main import create_app

    return json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"


@openapi_cli.command("export")
def openapi_export(
    output: Annotated[Path, typer.Option(help="Where to write the document.")] = OPENAPI_FILE,
) -> None:
    """Write the app's OpenAPI document (openapi/openapi.json by default)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(openapi_document(), encoding="utf-8")
    typer.echo(f"wrote {output}")


@criteria_cli.command("check")
def criteria_check(directory: DirOption = None) -> None:
    """Validate every trial file and run every worked example; exit 1 on any failure."""
    from rich.markup import escape

    from app.eligibility.examples import run_examples
    from app.eligibility.library import load_library
    from app.eligibility.trial_file import TrialFileError
    from app.eligibility.trial_warnings import trial_warnings
    from app.eligibility.vocabulary import export

    console = Console()
    folder = directory or get_settings().criteria_dir
    try:
        library = load_library(folder)
        results = run_examples(folder, library)
    except TrialFileError as exc:
        for problem in exc.problems:
            console.print(f"[red]error[/red] {escape(str(problem))}", markup=True, highlight=False)
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
    for nct_id, compiled in sorted(library.trials.items()):
        for warning in trial_warnings(compiled.trial):
            console.print(
                f"[yellow]warning[/yellow] {folder / nct_id}.yaml: {escape(str(warning))}",
                markup=True,
                highlight=False,
            )
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


@cli.command("match")
def match(
    patient: Annotated[Path, typer.Argument(help="A FHIR R4 Bundle of one patient (JSON).")],
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], help="Default: today.")
    ] = None,
    include_ineligible: Annotated[
        bool, typer.Option("--include-ineligible", help="Also list trials that fail.")
    ] = False,
    include_closed: Annotated[
        bool, typer.Option("--include-closed", help="Also consider trials not recruiting.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API response.")] = False,
    directory: DirOption = None,
) -> None:
    """Match a patient Bundle against the trial library and print the ranked trials."""
    from app.eligibility.library import load_library
    from app.errors import ApiError
    from app.fhir.bundle import read_bundle
    from app.matching.report import render_table
    from app.matching.service import MatchOptions, match_record

    library = load_library(directory or get_settings().criteria_dir)
    options = MatchOptions(
        as_of=as_of.date() if as_of else datetime.now(UTC).date(),
        include_ineligible=include_ineligible,
        include_closed=include_closed,
    )
    try:
        response = match_record(read_bundle(patient.read_bytes()), library, options)
    except ApiError as error:
        detail = error.details[0]
        typer.echo(f"{patient}: {detail.type}: {detail.msg}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
    else:
        Console().print(render_table(response))


def main() -> None:
    cli()
