"""`trialmatch trials list`, `show` and `remove` against a real store: encodings, sources,
quarantined trials with the service's own reasons, load warnings, and a removal the
running service follows."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli import cli
from app.config import REPO_ROOT, Settings
from app.eligibility.language import LabRule, Trial
from app.eligibility.library import load_library
from app.main import create_app
from app.store.live_library import compile_store
from app.store.models import TrialRow
from app.store.repository import get_trial, upsert_trial
from tests.conftest import TRIAL_FIXTURES
from tests.registry.conftest import short_breast_record
from tests.registry.test_never_eligible_uncurated import woman_with_breast_cancer
from tests.scenarios.patients import AS_OF

runner = CliRunner()
NCT = "NCT03377387"
LOOPBACK = ("127.0.0.1", 50000)
SEED = "NCT06949098"


def unit_mismatch_trial() -> Trial:
    """A seed trial under a new id whose hemoglobin rule names U/L: what a store could hold
    from before the validator refused such units."""
    good = load_library(REPO_ROOT / "criteria").trials[SEED].trial
    criteria = [
        c.model_copy(update={"rule": LabRule(op="lab", analyte="hemoglobin", unit="U/L", gte=1)})
        if c.id == "inc-2"
        else c
        for c in good.criteria
    ]
    return good.model_copy(update={"nct_id": "NCT00000009", "criteria": criteria})


def store_quarantined(sessions: sessionmaker[Session]) -> None:
    """NCT00000009 that does not compile, and NCT00000008 whose stored document no longer
    validates (a rule op the language does not have)."""
    bad = unit_mismatch_trial()
    with sessions.begin() as session:
        upsert_trial(session, bad, source="old.yaml")  # the store does not validate
        upsert_trial(session, bad.model_copy(update={"nct_id": "NCT00000008"}), source="x.yaml")
        document = bad.model_copy(update={"nct_id": "NCT00000008"}).model_dump(mode="json")
        document["criteria"][0]["rule"] = {"op": "vibes"}
        session.execute(
            update(TrialRow).where(TrialRow.nct_id == "NCT00000008").values(document=document)
        )


@pytest.fixture
def library(cli_store: sessionmaker[Session], tmp_path: Path) -> sessionmaker[Session]:
    """The store holding the two fixture trials (no cancer site) and the short NCT03377387."""
    assert runner.invoke(cli, ["trials", "load", str(TRIAL_FIXTURES)]).exit_code == 0
    record = short_breast_record(tmp_path / "registry")
    assert runner.invoke(cli, ["trials", "import", str(record)]).exit_code == 0
    return cli_store


def lines(output: str) -> dict[str, str]:
    return {line.split()[0]: line for line in output.splitlines() if line.startswith("NCT")}


def test_list_shows_each_trial_with_encodings_source_and_warnings(
    library: sessionmaker[Session],
) -> None:
    result = runner.invoke(cli, ["trials", "list"])

    assert result.exit_code == 0, result.output
    by_id = lines(result.output)
    assert list(by_id) == [NCT, "NCT90000001", "NCT90000002"]
    imported = " ".join(by_id[NCT].split())
    assert imported == (
        f"{NCT} ACTIVE_NOT_RECRUITING PHASE1/PHASE2 curated 0 suggested 3 text 2 {NCT}.json"
    )
    fixture = " ".join(by_id["NCT90000002"].split())
    assert fixture == (
        "NCT90000002 COMPLETED PHASE3 curated 1 suggested 0 text 0 NCT90000002.yaml "
        "warning: no cancer-site criterion and no applies_to: matches every patient"
    )
    assert result.output.rstrip().endswith("3 trials, 0 quarantined, 2 with warnings")


def test_list_json(library: sessionmaker[Session]) -> None:
    result = runner.invoke(cli, ["trials", "list", "--json"])
    assert result.exit_code == 0, result.output
    entries = {entry["nct_id"]: entry for entry in json.loads(result.output)}
    assert entries[NCT] == {
        "nct_id": NCT,
        "status": "ACTIVE_NOT_RECRUITING",
        "phase": "PHASE1/PHASE2",
        "encodings": {"curated": 0, "suggested": 3, "text": 2},
        "source": f"{NCT}.json",
        "quarantined": None,
        "warnings": [],
    }
    assert entries["NCT90000001"]["warnings"] == [
        {
            "type": "trial.no_cancer_site",
            "message": "no cancer-site criterion and no applies_to: matches every patient",
        }
    ]


def test_list_names_quarantined_trials_with_the_services_reasons(
    library: sessionmaker[Session],
) -> None:
    store_quarantined(library)

    result = runner.invoke(cli, ["trials", "list"])
    as_json = runner.invoke(cli, ["trials", "list", "--json"])

    assert result.exit_code == 0, result.output
    by_id = lines(result.output)
    assert "QUARANTINED: trial.unit_mismatch: cannot convert" in by_id["NCT00000009"]
    assert "QUARANTINED: trial.invalid_document: " in by_id["NCT00000008"]
    assert "QUARANTINED" not in by_id[NCT]
    assert "5 trials, 2 quarantined, 2 with warnings" in result.output
    # The very reasons the service's library holds, computed by the same functions.
    with library() as session:
        service = compile_store(session).quarantined
    listed = {e["nct_id"]: e["quarantined"] for e in json.loads(as_json.output)}
    assert {i: q for i, q in listed.items() if q} == {
        i: {"type": q.type, "message": q.message} for i, q in service.items()
    }


def test_show_prints_metadata_and_every_criterion(library: sessionmaker[Session]) -> None:
    curate = ["trials", "curate", NCT, "inc-0.b", "--accept", "--by", "J. Doe"]
    assert runner.invoke(cli, curate).exit_code == 0

    result = runner.invoke(cli, ["trials", "show", NCT])

    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"{NCT}  Capecitabine 7/7 Schedule With Neratinib")
    for expected in (
        "status: ACTIVE_NOT_RECRUITING  phase: PHASE1/PHASE2",
        "conditions: Breast Cancer",
        "applies to: breast (criterion inc-0.a)",
        f"source: {NCT}.json",
        "criteria: 1 curated, 2 suggested, 2 text: at most possibly_eligible",
        "inc-0.a  inclusion  suggested\n  text: Registry conditions: Breast Cancer\n"
        "  rule:\n    op: primary_cancer\n    sites:\n    - breast\n",
        "inc-0.b  inclusion  curated\n  text: Registry sex: FEMALE\n  rule:\n    op: sex\n",
        "  note: Read from the registry's structured sex field.\n  curated by J. Doe at 20",
        "inc-1  inclusion  suggested\n  text: Aged 18 years or older.\n"
        "  rule:\n    op: age\n    gte: 18.0\n",
        "inc-2  inclusion  text\n  text: Investigator's judgement that the patient can comply "
        "with the protocol.\n  rule: none (review: for a person to decide)\n",
        "exc-1  exclusion  text\n",
    ):
        assert expected in out, expected
    document = json.loads(runner.invoke(cli, ["trials", "show", NCT, "--json"]).output)
    ids = ["inc-0.a", "inc-0.b", "inc-1", "inc-2", "exc-1"]
    assert [c["id"] for c in document["criteria"]] == ids


def test_show_of_a_quarantined_trial_says_why(library: sessionmaker[Session]) -> None:
    store_quarantined(library)
    result = runner.invoke(cli, ["trials", "show", "NCT00000009"])
    assert result.exit_code == 0, result.output
    assert "QUARANTINED: trial.unit_mismatch: cannot convert" in result.output
    assert "    unit: U/L" in result.output


def test_show_prints_stored_control_characters_as_escapes(
    library: sessionmaker[Session],
) -> None:
    with library() as session:
        row = get_trial(session, NCT)
        assert row is not None
        trial = Trial.model_validate(row.document)
    hostile = trial.model_copy(update={"title": "Title\x1b[2J\u202eevil"})
    with library.begin() as session:
        upsert_trial(session, hostile, source="x.json")
    result = runner.invoke(cli, ["trials", "show", NCT])
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "Title\\x1b[2J\\u202eevil" in result.output


def test_show_and_remove_of_an_unknown_trial_exit_1(library: sessionmaker[Session]) -> None:
    for command in (["show"], ["remove", "--yes"], ["remove"]):
        result = runner.invoke(cli, ["trials", *command, "NCT00000000"])
        assert result.exit_code == 1, command
        assert "error: trial.not_found: no trial NCT00000000 in the store" in result.output


def test_remove_asks_first_unless_yes(library: sessionmaker[Session]) -> None:
    declined = runner.invoke(cli, ["trials", "remove", NCT], input="n\n")
    assert declined.exit_code == 1
    assert f"Remove {NCT} (Capecitabine" in declined.output
    with library() as session:
        assert get_trial(session, NCT) is not None

    confirmed = runner.invoke(cli, ["trials", "remove", NCT], input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert f"removed {NCT}" in confirmed.output
    with library() as session:
        assert get_trial(session, NCT) is None
    assert list(lines(runner.invoke(cli, ["trials", "list"]).output)) == [
        "NCT90000001",
        "NCT90000002",
    ]


def _matched(client: TestClient) -> set[str]:
    time.sleep(0.05)  # past the library refresh interval
    response = client.post(
        "/v1/match",
        params={"as_of": AS_OF.isoformat(), "include_closed": True, "include_ineligible": True},
        json=woman_with_breast_cancer().bundle(),
    )
    assert response.status_code == 200, response.text
    return {m["trial"] for m in response.json()["matches"]}


def test_the_running_service_drops_a_removed_trial(
    library: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    store_quarantined(library)
    empty = tmp_path / "criteria"
    empty.mkdir()
    settings = Settings(database_url=database_url, criteria_dir=empty, library_refresh_seconds=0.01)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        assert _matched(client) == {NCT, "NCT90000001", "NCT90000002"}
        assert [w["trial_id"] for w in client.get("/readyz").json()["warnings"]] == [
            "NCT00000008",
            "NCT00000009",
        ]

        for nct_id in (NCT, "NCT00000009", "NCT00000008"):
            result = runner.invoke(cli, ["trials", "remove", nct_id, "--yes"])
            assert result.exit_code == 0, result.output

        assert _matched(client) == {"NCT90000001", "NCT90000002"}
        assert client.get("/readyz").json() == {"status": "ready"}


SITELESS_TRIAL = """nct_id: NCT90000003
title: Adults with any cancer
conditions: [Cancer]
status: RECRUITING
criteria:
  - {id: inc-1, type: inclusion, text: Age 18 or older., rule: {op: age, gte: 18}}
"""
SITELESS_EXAMPLES = """trial: NCT90000003
examples:
  - name: adult
    description: Sixty years old.
    patient:
      patient: Patient/ex
      as_of: 2026-11-22
      facts:
        - kind: age
          years_min: 60
          years_max: 60
          birth_date_precision: day
          sources: [Patient/ex]
    status: eligible
    criteria: {inc-1: pass}
"""


def test_load_and_check_warn_of_a_trial_that_matches_every_patient(
    cli_store: sessionmaker[Session], tmp_path: Path
) -> None:
    load = runner.invoke(cli, ["trials", "load", str(TRIAL_FIXTURES)])
    assert load.exit_code == 0, load.output
    assert (
        f"warning: {TRIAL_FIXTURES / 'NCT90000002.yaml'}: trial.no_cancer_site: no cancer-site "
        "criterion and no applies_to: matches every patient"
    ) in load.output
    assert "2 created, 0 updated, 0 unchanged, 0 problems, 2 warnings" in load.output

    folder = tmp_path / "criteria"
    folder.mkdir()
    (folder / "NCT90000003.yaml").write_text(SITELESS_TRIAL, encoding="utf-8")
    (folder / "NCT90000003.examples.yaml").write_text(SITELESS_EXAMPLES, encoding="utf-8")
    check = runner.invoke(cli, ["criteria", "check", "--dir", str(folder)])
    flat = " ".join(check.output.split())
    assert "1/1 examples as expected" in flat
    assert "warning" in flat and "NCT90000003.yaml: trial.no_cancer_site" in flat
    assert "matches every patient" in flat
    seeds = runner.invoke(cli, ["criteria", "check", "--dir", str(REPO_ROOT / "criteria")])
    assert seeds.exit_code == 0 and "warning" not in seeds.output
