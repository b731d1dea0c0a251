"""`trialmatch api-key new`: make an API key and the TRIALMATCH_API_KEYS entry for it.

$ trialmatch api-key new lab-engine trialmatch/match trialmatch/trials.read
key (give to the client once; it is not stored):  tmk_lab-engine_Vq3...
entry (add to TRIALMATCH_API_KEYS):                lab-engine:sha256:5d1e...:trialmatch/...
"""

from __future__ import annotations

from typing import Annotated

import typer

from app.auth.api_keys import ApiKeyConfigError, new_api_key

api_key_cli = typer.Typer(no_args_is_help=True, help="API keys for integration engines.")


@api_key_cli.command("new")
def new(
    key_id: Annotated[str, typer.Argument(help="Public name of the key, e.g. the client.")],
    scopes: Annotated[list[str], typer.Argument(help="Scopes, e.g. trialmatch/match.")],
) -> None:
    """Print a new key and its hashed entry; only the entry goes into the configuration."""
    try:
        key, entry = new_api_key(key_id, scopes)
    except ApiKeyConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"key (give to the client once; it is not stored):  {key}")
    typer.echo(f"entry (add to TRIALMATCH_API_KEYS):                {entry.line()}")
