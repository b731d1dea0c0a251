"""`trialmatch audit`: list the audit trail, newest first, as a table or as JSON.

$ trialmatch audit --patient Patient/123 --since 7d
$ trialmatch audit --client apikey:lab-engine --since 2026-11-01 --limit 200 --json
$ trialmatch audit --trial NCT03377387          # who curated this trial's criteria

``--since`` takes an ISO 8601 date or time (no offset means UTC) or an age: ``30m``,
``24h``, ``7d``. The output holds patient references: it is for the people who answer
"who asked for what", and is never written to the service log.

Stored values come from callers (a posted Patient.id, a token's client id), so the table
shows each exactly as text: never read as rich markup (``x[/x]`` is shown as written),
and with every control or invisible character made visible as an escape (an ANSI escape
``\x1b[31m`` shows as ``\x1b[31m`` and colours nothing; a newline as ``\n``; a backslash
as ``\\``, so the escapes cannot be forged). ``--json`` keeps every value exact: JSON's
own escapes carry them, and a JSON reader gets back what is stored.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text
from sqlalchemy import inspect

from app.config import get_settings
from app.store.audit import AuditEvent, list_events, utc
from app.store.session import make_engine, make_session_factory

# Control, format (bidirectional overrides, zero-width), separator, surrogate, private and
# unassigned characters: none of them is shown as itself.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
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
    trial: Annotated[
        str | None, typer.Option(help="Only curations of this trial, e.g. NCT03377387.")
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
    """List the audit trail (requests that touched patient data, curations), newest first."""
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
                session,
                client_id=client,
                patient_ref=patient,
                trial_ref=trial,
                since=after,
                limit=limit,
            )
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([event.as_json() for event in events], indent=2))
    else:
        Console().print(_table(events))


def visible(value: str) -> str:
    """`value` with every character a terminal would act on, or hide, written as an escape.

    visible("x\x1b[31m\ny")   # -> 'x\\x1b[31m\\ny'
    """
    out: list[str] = []
    for char in value:
        if char in _NAMED:
            out.append(_NAMED[char])
        elif unicodedata.category(char) in _INVISIBLE:
            code = ord(char)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
        else:
            out.append(char)
    return "".join(out)


def _cell(value: str) -> Text:
    # A Text is never parsed as markup, whatever brackets the value holds.
    return Text(visible(value))


def _table(events: list[AuditEvent]) -> Table:
    table = Table(title=f"audit trail: {len(events)} event(s), newest first")
    columns: list[tuple[str, JustifyMethod]] = [
        ("at (UTC)", "left"),
        ("client", "left"),
        ("auth", "left"),
        ("method", "left"),
        ("route", "left"),
        ("patient", "left"),
        ("trial", "left"),
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
            *(
                _cell(value)
                for value in (
                    event.at.strftime("%Y-%m-%d %H:%M:%S"),
                    event.client_id,
                    event.auth_method,
                    event.method,
                    event.route,
                    event.patient_ref or "-",
                    " ".join(filter(None, (event.trial_ref, event.criterion_ref))) or "-",
                    str(event.status),
                    event.outcome,
                    "-" if event.trials_returned is None else str(event.trials_returned),
                    str(event.duration_ms),
                )
            )
        )
    return table
