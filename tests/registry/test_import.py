"""`trials import` against a real store: every shared record, idempotence, curation kept and
changed text flagged, one bad record stopping nothing, and the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli import cli
from app.eligibility.language import AgeRule, Trial
from app.eligibility.trial_file import read_trial_file
from app.registry.importer import import_paths
from app.store.loader import load_directory
from app.store.models import TrialRow
from app.store.repository import get_trial, upsert_trial
from tests.registry.conftest import CTGOV, record_files

V2 = "NCT03377387.json"


def stored(sessions: sessionmaker[Session], nct_id: str) -> Trial:
    with sessions() as session:
        row = get_trial(session, nct_id)
        assert row is not None
        return Trial.model_validate(row.document)


def rows(sessions: sessionmaker[Session]) -> list[tuple[object, ...]]:
    with sessions() as session:
        found = session.execute(
            select(TrialRow.nct_id, TrialRow.content_hash, TrialRow.updated_at).order_by(
                TrialRow.nct_id
            )
        ).all()
    return [tuple(r) for r in found]


def test_every_shared_record_imports_and_reimport_writes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    out = tmp_path / "drafts"
    first = import_paths([CTGOV], sessions, out_dir=out)
    assert [s.error for s in first if s.error] == []
    assert len(first) == len(record_files()) == 40
    assert {s.outcome for s in first} == {"created"}
    before = rows(sessions)
    written = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    second = import_paths([CTGOV], sessions, out_dir=out)

    assert {s.outcome for s in second} == {"unchanged"}
    assert rows(sessions) == before
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == written
    # Every draft file is a library file `trials load` accepts, holding the stored trial.
    assert len(written) == 40
    for path in out.iterdir():
        assert read_trial_file(path) == stored(sessions, path.stem)
    assert load_directory(sessions, out).ok


def test_summary_counts_criteria_per_encoding(sessions: sessionmaker[Session]) -> None:
    (summary,) = import_paths([CTGOV / V2], sessions)
    trial = stored(sessions, "NCT03377387")
    suggested = {c.id for c in trial.criteria if c.encoding == "suggested"}
    # registry conditions (breast), sex (female), and from the text "Aged >=18 years"
    # (inc-1), ECOG 0 to 1 (inc-8), the blood count (inc-9), "Active hepatitis B or C"
    # (exc-6), pregnant or breastfeeding (exc-11)
    assert {"inc-0.a", "inc-0.b", "inc-1", "inc-8", "inc-9", "exc-6", "exc-11"} <= suggested
    assert summary.counts["suggested"] == len(suggested)
    assert summary.counts["text"] == len(trial.criteria) - len(suggested)
    assert summary.line().startswith(
        f"{V2}: NCT03377387 created: {len(trial.criteria)} criteria ({len(suggested)} suggested, "
    )


def curate_first_text_criterion(sessions: sessionmaker[Session]) -> str:
    """What a person does: give inc-1 a rule and mark it curated, in the store."""
    trial = stored(sessions, "NCT03377387")
    criteria = [
        c.model_copy(
            update={
                "encoding": "curated",
                "review": False,
                "rule": AgeRule(op="age", gte=18),
                "note": "Curated by a person.",
            }
        )
        if c.id == "inc-1"
        else c
        for c in trial.criteria
    ]
    with sessions.begin() as session:
        upsert_trial(session, trial.model_copy(update={"criteria": criteria}), source=V2)
    return next(c.text for c in trial.criteria if c.id == "inc-1")


def test_reimport_keeps_a_curated_criterion(sessions: sessionmaker[Session]) -> None:
    import_paths([CTGOV / V2], sessions)
    curate_first_text_criterion(sessions)
    curated = next(c for c in stored(sessions, "NCT03377387").criteria if c.id == "inc-1")

    (summary,) = import_paths([CTGOV / V2], sessions)

    assert summary.outcome == "unchanged" and summary.flags == []
    assert summary.counts["curated"] == 1
    assert next(c for c in stored(sessions, "NCT03377387").criteria if c.id == "inc-1") == curated


def test_a_curated_criterion_whose_registry_text_changed_is_flagged_not_overwritten(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    import_paths([CTGOV / V2], sessions)
    old_text = curate_first_text_criterion(sessions)
    curated = next(c for c in stored(sessions, "NCT03377387").criteria if c.id == "inc-1")
    record = json.loads((CTGOV / V2).read_bytes())
    module = record["protocolSection"]["eligibilityModule"]
    assert old_text in module["eligibilityCriteria"]
    module["eligibilityCriteria"] = module["eligibilityCriteria"].replace(
        old_text, "Aged ≥21 years at signing of informed consent."
    )
    module["minimumAge"] = "21 Years"
    changed = tmp_path / V2
    changed.write_text(json.dumps(record), encoding="utf-8")

    (summary,) = import_paths([changed], sessions)

    assert summary.outcome == "updated"  # the metadata followed the registry
    assert summary.flags == [
        "inc-1: curated, but the registry's text changed since: kept as curated until a "
        "person looks"
    ]
    trial = stored(sessions, "NCT03377387")
    # The curated words and rule stay; the registry's new words are kept beside them.
    new_text = "Aged ≥21 years at signing of informed consent."
    kept = next(c for c in trial.criteria if c.id == "inc-1")
    assert kept == curated.model_copy(update={"registry_text": new_text})
    assert trial.minimum_age == 21
    # Flagged again on the next import, until a person edits it.
    (again,) = import_paths([changed], sessions)
    assert again.outcome == "unchanged" and again.flags == summary.flags


def test_one_bad_record_stops_nothing_and_is_named(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    shutil.copy(CTGOV / "NCT05685680.xml", tmp_path / "NCT05685680.xml")
    (tmp_path / "broken.xml").write_text("<clinical_study><id_info>", encoding="utf-8")
    (tmp_path / "other.json").write_text('{"hello": "world"}', encoding="utf-8")
    (tmp_path / "NCT00000001.json").write_text(
        json.dumps(
            {"protocolSection": {"identificationModule": {"nctId": "NCT1", "briefTitle": "T"}}}
        ),
        encoding="utf-8",
    )

    summaries = import_paths([tmp_path], sessions)

    by_file = {s.file: s for s in summaries}
    assert by_file["NCT05685680.xml"].outcome == "created"
    assert by_file["broken.xml"].line() == "broken.xml: error: not well-formed XML"
    assert by_file["other.json"].error is not None and "not a ClinicalTrials.gov" in (
        by_file["other.json"].error
    )
    # An NCT id the Trial model refuses: the file is named, the record's text is not echoed.
    bad = by_file["NCT00000001.json"]
    assert bad.outcome is None and bad.error is not None and "nct_id" in bad.error


runner = CliRunner()


@pytest.fixture
def store_env(
    database_url: str, monkeypatch: pytest.MonkeyPatch, clean_settings_cache: None
) -> str:
    monkeypatch.setenv("TRIALMATCH_DATABASE_URL", database_url)
    return database_url


def test_cli_import_prints_a_summary_per_record_and_writes_drafts(
    store_env: str, tmp_path: Path
) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    out = tmp_path / "drafts"

    result = runner.invoke(
        cli,
        ["trials", "import", str(CTGOV / V2), str(CTGOV / "NCT05786924.json"), "--out", str(out)],
    )

    assert result.exit_code == 0, result.output
    assert f"{V2}: NCT03377387 created: " in result.output
    assert "  warning: condition 'Histiocytic Neoplasm' maps to no cancer site" in result.output
    assert result.output.rstrip().endswith("2 records, 0 failed")
    assert sorted(p.name for p in out.iterdir()) == ["NCT03377387.yaml", "NCT05786924.yaml"]
    load = runner.invoke(cli, ["trials", "load", str(out)])
    assert load.exit_code == 0, load.output


def test_cli_import_exits_1_when_a_record_fails(store_env: str, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    result = runner.invoke(cli, ["trials", "import", str(bad), str(CTGOV / V2)])
    assert result.exit_code == 1
    assert "bad.json: error: neither JSON nor XML" in result.output
    assert "2 records, 1 failed" in result.output
