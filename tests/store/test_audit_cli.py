"""`trialmatch audit`: the trail as a table or JSON, filtered, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli import cli
from app.store.audit import AuditEvent, insert_event
from app.store.audit_cli import parse_since
from tests.store.test_audit import event

runner = CliRunner()
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def trail(
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    clean_settings_cache: None,
) -> list[AuditEvent]:
    """Four events over the last three days, in the store the CLI is pointed at."""
    monkeypatch.setenv("TRIALMATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "250")  # rich's table width: keep each row on one line
    events = [
        event(at=NOW - timedelta(days=3), client_id="apikey:lab-engine", patient_ref="Patient/a"),
        event(
            at=NOW - timedelta(hours=30),
            client_id="board-app",
            auth_method="jwt",
            patient_ref="Patient/b",
            status=502,
            outcome="fhir.unavailable",
            trials_returned=None,
        ),
        event(at=NOW - timedelta(hours=2), client_id="apikey:lab-engine", patient_ref=None),
        event(at=NOW - timedelta(minutes=5), client_id="board-app", patient_ref="Patient/a"),
    ]
    with sessions.begin() as session:
        for one in events:
            insert_event(session, one)
    return events


def listed(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(cli, ["audit", "--json", *args])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


def test_json_lists_every_field_newest_first(trail: list[AuditEvent]) -> None:
    rows = listed()
    assert [row["patient_ref"] for row in rows] == ["Patient/a", None, "Patient/b", "Patient/a"]
    second = rows[2]
    assert second == {
        "id": second["id"],
        "at": (NOW - timedelta(hours=30)).isoformat(),
        "client_id": "board-app",
        "auth_method": "jwt",
        "method": "GET",
        "route": "/v1/patients/{patient_id}/matches",
        "patient_ref": "Patient/b",
        "status": 502,
        "outcome": "fhir.unavailable",
        "trials_returned": None,
        "duration_ms": 41,
        # A curation's fields (migration 0003), empty on a request.
        "trial_ref": None,
        "criterion_ref": None,
        "change": None,
    }


def test_filters(trail: list[AuditEvent]) -> None:
    def ages(*args: str) -> list[str]:
        return [str(row["at"]) for row in listed(*args)]

    at = [one.at.isoformat() for one in trail]
    assert ages("--client", "board-app") == [at[3], at[1]]
    assert ages("--patient", "Patient/a") == [at[3], at[0]]
    assert ages("--since", "24h") == [at[3], at[2]]
    assert ages("--since", "2d") == [at[3], at[2], at[1]]
    assert ages("--since", (NOW - timedelta(hours=3)).isoformat()) == [at[3], at[2]]
    assert ages("--client", "board-app", "--patient", "Patient/a", "--since", "1d") == [at[3]]
    assert ages("--limit", "1") == [at[3]]


def test_the_table_shows_each_event(trail: list[AuditEvent]) -> None:
    result = runner.invoke(cli, ["audit", "--patient", "Patient/b"])
    assert result.exit_code == 0, result.output
    assert "audit trail: 1 event(s), newest first" in result.output
    [line] = [line for line in result.output.splitlines() if "Patient/b" in line]
    for cell in ("board-app", "jwt", "GET", "/v1/patients/{patient_id}/matches", "502"):
        assert cell in line
    assert "fhir.unavailable" in line
    assert (NOW - timedelta(hours=30)).strftime("%Y-%m-%d %H:%M:%S") in line


def test_an_empty_trail_is_an_empty_list(
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    clean_settings_cache: None,
) -> None:
    monkeypatch.setenv("TRIALMATCH_DATABASE_URL", database_url)
    assert listed() == []


def test_a_new_database_asks_for_db_upgrade(
    database_url: str, monkeypatch: pytest.MonkeyPatch, clean_settings_cache: None
) -> None:
    monkeypatch.setenv("TRIALMATCH_DATABASE_URL", database_url)
    result = runner.invoke(cli, ["audit"])
    assert result.exit_code == 2
    assert "run `trialmatch db upgrade`" in result.output


def test_a_bad_since_is_refused(trail: list[AuditEvent]) -> None:
    result = runner.invoke(cli, ["audit", "--since", "last tuesday"])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


def test_parse_since() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_since("30m", now=now) == datetime(2026, 11, 23, 11, 30, tzinfo=UTC)
    assert parse_since("24h", now=now) == datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert parse_since("7d", now=now) == datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
    assert parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_since("2026-11-01T09:00:00+01:00") == datetime(2026, 11, 1, 8, tzinfo=UTC)


HOSTILE = {
    "markup": "Patient/x[/x]",
    "ansi": "Patient/\x1b[31mred\x1b[0m",
    "newline": "Patient/a\nforged 2026-01-01 row",
    "bidi": "Patient/\u202eevil",
    "backslash": "Patient/\\x1b",
}


@pytest.fixture
def hostile_trail(
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    clean_settings_cache: None,
) -> dict[str, str]:
    """Rows holding rich markup, ANSI escapes, a newline, a bidi override, a backslash
    (inserted directly, as a service before the Patient.id check could have stored them)."""
    monkeypatch.setenv("TRIALMATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "250")
    with sessions.begin() as session:
        for minutes, ref in enumerate(HOSTILE.values()):
            insert_event(
                session,
                event(
                    at=NOW - timedelta(minutes=minutes + 1),
                    client_id="[bold]apikey:x[/bold]",
                    patient_ref=ref,
                ),
            )
    return HOSTILE


def test_the_table_prints_stored_markup_and_control_characters_as_text(
    hostile_trail: dict[str, str],
) -> None:
    result = runner.invoke(cli, ["audit"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "\x1b" not in out  # no escape sequence reaches the terminal
    assert "\u202e" not in out
    assert "Patient/x[/x]" in out  # markup shown as written, not parsed (nor a MarkupError)
    assert "[bold]apikey:x[/bold]" in out
    assert "Patient/\\x1b[31mred\\x1b[0m" in out
    assert "Patient/a\\nforged 2026-01-01 row" in out  # one row, not two
    assert "Patient/\\u202eevil" in out
    assert "Patient/\\\\x1b" in out  # a stored backslash is told apart from an escape
    assert sum("forged" in line for line in out.splitlines()) == 1


def test_json_keeps_hostile_values_exact(hostile_trail: dict[str, str]) -> None:
    result = runner.invoke(cli, ["audit", "--json"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output  # JSON escapes
    rows = json.loads(result.output)
    assert {row["patient_ref"] for row in rows} == set(hostile_trail.values())
    assert {row["client_id"] for row in rows} == {"[bold]apikey:x[/bold]"}
