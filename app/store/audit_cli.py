"""`trialmatch audit`: list the audit trail, newest first, as a table or as JSON.

$ trialmatch audit --patient Patient/123 --since 7d
$ trialmatch audit --client apikey:lab-engine --since 2026-11-01 --limit 200 --json

``--since`` takes an ISO 8601 date or time (no offset means UTC) or an age: ``30m``,
``24h``, ``7d``. The output holds patient references: it is for the people who answer
"who asked for what", and is never written to the service log.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table
from sqlalchemy import inspect

from app.config import get_settings
from app.store.audit import AuditEvent, list_events, utc
from app.store.session import make_engine, make_session_factory

_AGE = re.compile(r"(\d+)([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """`value` as a UTC time: ``7d``, ``24h``, ``30m`` back from now, or ISO 8601."""
    age = _AGE.fullmatch(value.strip())
    if age:
        amount, unit = age.groups()
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        return utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise typer.BadParameter(
            "give an ISO 8601 date or time (2026-11-23, 2026-11-23T08:00:00+01:00) "
            "or an age (30m, 24h, 7d)"
        ) from None


def audit_command(
    client: Annotated[
        str | None, typer.Option(help="Only this client id, e.g. apikey:lab-engine.")
    ] = None,
    patient: Annotated[
        str | None, typer.Option(help="Only this patient reference, e.g. Patient/123.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only events at or after: ISO 8601 (UTC if no offset), or 30m/24h/7d."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Most events shown.")] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array instead of a table.")
    ] = False,
) -> None:
    """List the audit trail (requests that touched patient data), newest first."""
    after = parse_since(since) if since is not None else None
    engine = make_engine(get_settings().database_url)
    try:
        if not inspect(engine).has_table("audit_events"):
            typer.echo(
                "error: the database has no audit trail yet: run `trialmatch db upgrade`", err=True
            )
            raise typer.Exit(2)
        with make_session_factory(engine)() as session:
            events = list_events(
                session, client_id=client, patient_ref=patient, since=after, limit=limit
            )
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([event.as_json() for event in events], indent=2))
    else:
        Console().print(_table(events))


def _table(events: list[AuditEvent]) -> Table:
    table = Table(title=f"audit trail: {len(events)} event(s), newest first")
    columns: list[tuple[str, JustifyMethod]] = [
        ("at (UTC)", "left"),
        ("client", "left"),
        ("auth", "left"),
        ("method", "left"),
        ("route", "left"),
        ("patient", "left"),
        ("status", "right"),
        ("outcome", "left"),
        ("trials", "right"),
        ("ms", "right"),
    ]
    for name, justify in columns:
        # fold, never an ellipsis: a cut patient reference would point at someone else.
        table.add_column(name, justify=justify, overflow="fold")
    for event in events:
        table.add_row(
            event.at.strftime("%Y-%m-%d %H:%M:%S"),
            event.client_id,
            event.auth_method,
            event.method,
            event.route,
            event.patient_ref or "-",
            str(event.status),
            event.outcome,
            "-" if event.trials_returned is None else str(event.trials_returned),
            str(event.duration_ms),
        )
    return table
