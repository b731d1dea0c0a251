"""The `trialmatch` command line: serve, db, trials, criteria, match."""

from __future__ import annotations

import typer

from app.auth.cli import api_key_cli
from app.auth.loopback import UnsafeBind, ensure_safe_bind
from app.config import get_settings

cli = typer.Typer(no_args_is_help=True, help="trialmatch: oncology clinical trial matching.")
cli.add_typer(api_key_cli, name="api-key")


@cli.command()
def serve() -> None:
    """Run the service with uvicorn on TRIALMATCH_HOST:TRIALMATCH_PORT."""
    import uvicorn

    settings = get_settings()
    try:
        ensure_safe_bind(settings)
    except UnsafeBind as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    uvicorn.run("app.main:app", host=settings.host, port=settings.port)


def main() -> None:
    cli()
