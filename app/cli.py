"""The `trialmatch` command line: serve, db, trials, criteria, match."""

from __future__ import annotations

import typer

from app.config import get_settings

cli = typer.Typer(no_args_is_help=True, help="trialmatch: oncology clinical trial matching.")


@cli.command()
def serve() -> None:
    """Run the service with uvicorn on TRIALMATCH_HOST:TRIALMATCH_PORT."""
    import uvicorn

    settings = get_settings()
    uvicorn.run("app.main:app", host=settings.host, port=settings.port)


def main() -> None:
    cli()
