"""`trialmatch trials curate` against a real store: accept, reject, edit; attribution and one
audit row per curation, in one transaction with the trial; a bad rule writes nothing; a
rejected suggestion survives re-import; and a trial is `eligible` only once every criterion
is curated (a Bundle posted to /v1/match)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import Settings
from app.eligibility.language import AgeRule, Criterion, SexRule, Trial
from app.main import create_app
from app.store.audit import AuditEvent, list_events
from app.store.models import TrialRow
from app.store.repository import get_trial
from tests.registry.conftest import short_breast_record
from tests.registry.test_never_eligible_uncurated import woman_with_breast_cancer
from tests.scenarios.patients import AS_OF

runner = CliRunner()
NCT = "NCT03377387"
LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture
def record(cli_store: sessionmaker[Session], tmp_path: Path) -> Path:
    """The short NCT03377387 record, imported into the CLI's store."""
    path = short_breast_record(tmp_path / "registry")
    result = runner.invoke(cli, ["trials", "import", str(path)])
    assert result.exit_code == 0, result.output
    return path


def curate(*args: str) -> Result:
    return runner.invoke(cli, ["trials", "curate", NCT, *args])


def stored(sessions: sessionmaker[Session]) -> Trial:
    with sessions() as session:
        row = get_trial(session, NCT)
        assert row is not None
        return Trial.model_validate(row.document)


def criterion(sessions: sessionmaker[Session], criterion_id: str) -> Criterion:
    return next(c for c in stored(sessions).criteria if c.id == criterion_id)


def snapshot(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    with sessions() as session:
        row = session.execute(
            select(TrialRow.content_hash, TrialRow.updated_at, TrialRow.document).where(
                TrialRow.nct_id == NCT
            )
        ).one()
    return tuple(row)


def curations(sessions: sessionmaker[Session]) -> list[AuditEvent]:
    with sessions() as session:
        return list_events(session, trial_ref=NCT)


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_accept_keeps_the_rule_records_who_and_when_and_one_audit_row(
    cli_store: sessionmaker[Session], record: Path
) -> None:
    before = criterion(cli_store, "inc-0.b")
    assert before.encoding == "suggested"

    result = curate("inc-0.b", "--accept", "--by", "J. Doe")

    assert result.exit_code == 0, result.output
    assert f"{NCT} inc-0.b: suggested -> curated (accepted by J. Doe)" in result.output
    assert "at most possibly_eligible until the other 4 are curated" in result.output
    after = criterion(cli_store, "inc-0.b")
    assert after.encoding == "curated" and after.rule == SexRule(op="sex", one_of=["female"])
    assert after.note == before.note and after.text == before.text
    assert after.curated_by == "J. Doe"
    assert after.curated_at is not None
    assert abs(datetime.now(UTC) - after.curated_at) < timedelta(minutes=1)
    [event] = curations(cli_store)
    assert (event.client_id, event.auth_method, event.route) == ("J. Doe", "cli", "trials curate")
    assert (event.outcome, event.status, event.patient_ref) == ("curation.accepted", 0, None)
    assert (event.trial_ref, event.criterion_ref) == (NCT, "inc-0.b")
    assert event.at == after.curated_at
    assert event.change is not None
    assert event.change["before"]["encoding"] == "suggested"
    assert event.change["after"] == {
        "encoding": "curated",
        "review": False,
        "rule": {"op": "sex", "one_of": ["female"]},
        "note": before.note,
    }


def test_accept_needs_a_suggestion_and_writes_nothing_otherwise(
    cli_store: sessionmaker[Session], record: Path
) -> None:
    before = snapshot(cli_store)
    # inc-2 ("Histologically confirmed MBC, current stage IV.") is left as text.
    result = curate("inc-2", "--accept", "--by", "J. Doe")
    assert result.exit_code == 1
    assert "error: curation.not_suggested: inc-2 is text" in result.output
    assert "nothing written" in result.output
    assert snapshot(cli_store) == before
    assert curations(cli_store) == []


def test_a_rejected_suggestion_is_curated_review_only_and_survives_reimport(
    cli_store: sessionmaker[Session], record: Path
) -> None:
    assert stored(cli_store).applies_to is not None  # filed under breast, through inc-0.a

    result = curate("inc-0.a", "--reject", "--by", "J. Doe")

    assert result.exit_code == 0, result.output
    rejected = criterion(cli_store, "inc-0.a")
    assert (rejected.encoding, rejected.review, rejected.rule) == ("curated", True, None)
    assert rejected.curated_by == "J. Doe"
    # The site reading was wrong: the index no longer rests on it (offered to everyone).
    assert stored(cli_store).applies_to is None
    assert "warning: no cancer-site criterion and no applies_to" in result.output
    [event] = curations(cli_store)
    assert event.outcome == "curation.rejected"

    again = runner.invoke(cli, ["trials", "import", str(record)])

    assert again.exit_code == 0, again.output
    assert f"{NCT} unchanged" in again.output and "0 flagged" in again.output
    assert criterion(cli_store, "inc-0.a") == rejected
    assert stored(cli_store).applies_to is None  # the registry's site reading is not back


def test_edit_gives_a_text_criterion_a_curated_rule(
    cli_store: sessionmaker[Session], record: Path, tmp_path: Path
) -> None:
    rule = write(tmp_path, "age.yaml", "op: age\ngte: 18\n")

    result = curate("inc-2", "--edit", str(rule), "--by", "J. Doe", "--note", "18 or older.")

    assert result.exit_code == 0, result.output
    assert "inc-2: text -> curated (edited by J. Doe)" in result.output
    edited = criterion(cli_store, "inc-2")
    assert edited.encoding == "curated" and not edited.review
    assert edited.rule == AgeRule(op="age", gte=18)
    assert edited.note == "18 or older."
    [event] = curations(cli_store)
    assert event.outcome == "curation.edited"
    assert event.change is not None and event.change["before"]["encoding"] == "text"
    assert event.change["after"]["rule"]["op"] == "age"


def test_editing_the_site_criterion_moves_the_index_with_it(
    cli_store: sessionmaker[Session], record: Path, tmp_path: Path
) -> None:
    sites = write(tmp_path, "sites.yaml", "op: primary_cancer\nsites: [breast, ovary]\n")
    assert curate("inc-0.a", "--edit", str(sites), "--by", "J. Doe").exit_code == 0
    applies_to = stored(cli_store).applies_to
    assert applies_to is not None and applies_to.cancer_sites == ["breast", "ovary"]

    other = write(tmp_path, "age.yaml", "op: age\ngte: 18\n")
    assert curate("inc-0.a", "--edit", str(other), "--by", "J. Doe").exit_code == 0
    assert stored(cli_store).applies_to is None  # no site rule left to index by


BAD_RULES = {
    "unit": ("op: lab\nanalyte: hemoglobin\nunit: U/L\ngte: 100\n", ":1: trial.unit_mismatch"),
    "unknown op": ("op: vibes\n", ":1: trial.union_tag_invalid"),
    "bad field": ("op: lab\nanalyte: blood\nunit: g/L\ngte: 1\n", ":2: trial.literal_error"),
    "key twice": ("op: age\ngte: 18\ngte: 21\n", ":3: trial.duplicate_key"),
    "not yaml": ("op: [age\n", ": trial.yaml_syntax"),
    "empty": ("", ":1: trial.empty"),
}


@pytest.mark.parametrize("case", list(BAD_RULES))
def test_an_edit_with_a_bad_rule_writes_nothing(
    cli_store: sessionmaker[Session], record: Path, tmp_path: Path, case: str
) -> None:
    content, expected = BAD_RULES[case]
    rule = write(tmp_path, "rule.yaml", content)
    before = snapshot(cli_store)

    result = curate("inc-1", "--edit", str(rule), "--by", "J. Doe")

    assert result.exit_code == 1
    assert f"error: {rule}" in result.output and expected in result.output
    assert "nothing written" in result.output
    assert snapshot(cli_store) == before
    assert curations(cli_store) == []


def test_refusals_name_what_is_wrong(cli_store: sessionmaker[Session], record: Path) -> None:
    missing_by = curate("inc-0.b", "--accept")
    assert missing_by.exit_code == 2 and "--by" in missing_by.output
    two = curate("inc-0.b", "--accept", "--reject", "--by", "J. Doe")
    assert two.exit_code == 2 and "exactly one of --accept, --reject, --edit" in two.output
    none = curate("inc-0.b", "--by", "J. Doe")
    assert none.exit_code == 2
    hidden = curate("inc-0.b", "--accept", "--by", "J. Doe\x1b[2J")
    assert hidden.exit_code == 2 and "control or invisible" in hidden.output
    blank = curate("inc-0.b", "--accept", "--by", "  ")
    assert blank.exit_code == 2

    unknown_trial = runner.invoke(
        cli, ["trials", "curate", "NCT00000000", "inc-1", "--accept", "--by", "J. Doe"]
    )
    assert unknown_trial.exit_code == 1
    assert "error: curation.trial_not_found: no trial NCT00000000 in the store" in (
        unknown_trial.output
    )
    unknown_criterion = curate("inc-9", "--accept", "--by", "J. Doe")
    assert unknown_criterion.exit_code == 1
    assert "curation.criterion_not_found" in unknown_criterion.output
    assert "inc-0.a, inc-0.b, inc-1, inc-2, exc-1" in unknown_criterion.output
    curate("inc-0.b", "--accept", "--by", "J. Doe")
    again = curate("inc-0.b", "--reject", "--by", "J. Doe")
    assert again.exit_code == 1 and "curation.already_curated" in again.output
    assert len(curations(cli_store)) == 1


def _refuse_audit_inserts(sessions: sessionmaker[Session]) -> None:
    """Make the store refuse every new audit row (a real database error, after the trial
    has been written in the same transaction)."""
    with sessions.begin() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(
                text(
                    "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events "
                    "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
                )
            )
        else:
            session.execute(
                text(
                    "CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused for the test'; END; $$"
                )
            )
            session.execute(
                text(
                    "CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events "
                    "FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()"
                )
            )


def test_no_audit_row_no_curation(cli_store: sessionmaker[Session], record: Path) -> None:
    before = snapshot(cli_store)
    _refuse_audit_inserts(cli_store)

    result = curate("inc-0.b", "--accept", "--by", "J. Doe")

    assert result.exit_code == 1
    assert "error: store.write_failed: the store refused the write" in result.output
    assert "refused for the test" not in result.output  # no database text echoed
    assert snapshot(cli_store) == before
    assert criterion(cli_store, "inc-0.b").encoding == "suggested"


def _status(client: TestClient) -> tuple[str, set[str]]:
    time.sleep(0.05)  # past the service's library refresh interval
    response = client.post(
        "/v1/match",
        params={"as_of": AS_OF.isoformat(), "include_closed": True, "include_ineligible": True},
        json=woman_with_breast_cancer().bundle(),
    )
    assert response.status_code == 200, response.text
    (found,) = [t for t in response.json()["matches"] if t["trial"] == NCT]
    return found["status"], {c["encoding"] for c in found["criteria"]}


def test_eligible_only_once_every_criterion_is_curated(
    cli_store: sessionmaker[Session], record: Path, database_url: str, tmp_path: Path
) -> None:
    empty = tmp_path / "criteria"
    empty.mkdir()
    settings = Settings(database_url=database_url, criteria_dir=empty, library_refresh_seconds=0.01)
    age = write(tmp_path, "age.yaml", "op: age\ngte: 18\n")
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        assert _status(client) == ("possibly_eligible", {"curated", "suggested", "text"})
        steps = [
            ("inc-0.a", "--accept"),
            ("inc-0.b", "--accept"),
            ("inc-1", "--edit", str(age)),
            ("inc-2", "--reject"),  # investigator's judgement: for a person
        ]
        for step in steps:
            result = curate(*step, "--by", "J. Doe")
            assert result.exit_code == 0, result.output
            status, encodings = _status(client)
            assert status == "possibly_eligible", step
        assert encodings == {"curated", "text"}

        last = curate("exc-1", "--reject", "--by", "J. Doe")

        assert last.exit_code == 0, last.output
        assert "every criterion curated: it can be eligible" in last.output
        assert _status(client) == ("eligible", {"curated"})
    assert len(curations(cli_store)) == 5
