"""Curation in the YAML file: a draft written by `trials import --out`, edited by hand, loaded
with `trials load`, stays curated through later imports (flagged when the registry's text
changed); a rejected criterion is never replaced by a new suggestion; a file that would
undo a curation says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli import cli
from app.eligibility.language import AgeRule, Criterion, Trial
from app.registry.reimport import merge
from app.store.repository import get_trial
from tests.registry.conftest import SHORT_ELIGIBILITY, short_breast_record

runner = CliRunner()
NCT = "NCT03377387"


def stored(sessions: sessionmaker[Session]) -> dict[str, Criterion]:
    with sessions() as session:
        row = get_trial(session, NCT)
        assert row is not None
        return {c.id: c for c in Trial.model_validate(row.document).criteria}


def edit_by_hand(path: Path, changes: dict[str, dict[str, Any]]) -> None:
    """What a curator does in the draft: change some criteria's fields (None removes one),
    keeping the file's header comment."""
    text = path.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    data = yaml.safe_load(text)
    for item in data["criteria"]:
        for key, value in changes.get(item["id"], {}).items():
            if value is None:
                item.pop(key, None)
            else:
                item[key] = value
    path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_a_hand_curated_draft_stays_curated_through_load_and_reimport(
    cli_store: sessionmaker[Session], tmp_path: Path
) -> None:
    record = short_breast_record(tmp_path / "registry")
    drafts = tmp_path / "drafts"
    assert (
        runner.invoke(cli, ["trials", "import", str(record), "--out", str(drafts)]).exit_code == 0
    )
    draft = drafts / f"{NCT}.yaml"
    edit_by_hand(
        draft,
        {
            "inc-0.b": {
                "encoding": "curated",
                "curated_by": "J. Doe",
                "curated_at": "2026-11-23T09:30:00Z",
            },
            "inc-1": {
                "encoding": "curated",
                "review": None,
                "note": "Curated by hand.",
                "rule": {"op": "age", "gte": 18},
            },
        },
    )

    load = runner.invoke(cli, ["trials", "load", str(drafts)])

    assert load.exit_code == 0, load.output
    criteria = stored(cli_store)
    assert criteria["inc-0.b"].encoding == "curated"
    assert criteria["inc-0.b"].curated_by == "J. Doe"
    assert criteria["inc-1"].encoding == "curated"
    assert criteria["inc-1"].rule == AgeRule(op="age", gte=18)
    curated = {i: c for i, c in criteria.items() if c.encoding == "curated"}

    again = runner.invoke(cli, ["trials", "import", str(record), "--out", str(drafts)])

    assert again.exit_code == 0, again.output
    assert "0 flagged" in again.output
    assert {i: c for i, c in stored(cli_store).items() if i in curated} == curated
    # The rewritten draft holds the curated criteria too: the file and the store agree.
    redrafted = Trial.model_validate(yaml.safe_load(draft.read_text(encoding="utf-8")))
    assert {c.id: c for c in redrafted.criteria if c.id in curated} == curated

    changed = tmp_path / "changed"
    short_breast_record(changed, SHORT_ELIGIBILITY.replace("Aged 18", "Aged 21"))
    flagged = runner.invoke(cli, ["trials", "import", str(changed / f"{NCT}.json")])

    assert flagged.exit_code == 0, flagged.output
    assert "flagged: inc-1: curated, but the registry's text changed since" in flagged.output
    # Kept as curated with the old text; the registry's new words beside it.
    new_text = "Aged 21 years or older."
    assert new_text in SHORT_ELIGIBILITY.replace("Aged 18", "Aged 21")
    kept = stored(cli_store)["inc-1"]
    assert kept == curated["inc-1"].model_copy(update={"registry_text": new_text})
    shown = runner.invoke(cli, ["trials", "show", NCT])
    assert f"  registry text now (changed since curation): {new_text}" in shown.output


def test_a_file_that_undoes_a_curation_loads_with_a_warning(
    cli_store: sessionmaker[Session], tmp_path: Path
) -> None:
    record = short_breast_record(tmp_path / "registry")
    drafts = tmp_path / "drafts"
    assert (
        runner.invoke(cli, ["trials", "import", str(record), "--out", str(drafts)]).exit_code == 0
    )
    curate = ["trials", "curate", NCT, "inc-0.b", "--accept", "--by", "J. Doe"]
    assert runner.invoke(cli, curate).exit_code == 0

    stale = runner.invoke(cli, ["trials", "load", str(drafts)])  # the draft from before

    assert stale.exit_code == 0, stale.output
    assert (
        f"warning: {drafts / NCT}.yaml: trial.curation_replaced: inc-0.b was curated in the "
        "store by J. Doe; it is suggested in the file: replaced"
    ) in stale.output
    assert stored(cli_store)["inc-0.b"].encoding == "suggested"  # the file wins, not silently


def test_merge_keeps_a_rejected_criterion_over_a_new_suggestion() -> None:
    record = json.loads('{"nct_id": "NCT00000001", "title": "t", "conditions": [], '
                        '"status": "RECRUITING"}')  # fmt: skip
    text = "Aged 18 years or older."
    rejected = Criterion(
        id="inc-1",
        type="inclusion",
        text=text,
        review=True,
        encoding="curated",
        curated_by="J. Doe",
        note="The suggested reading was rejected by a person: the record cannot settle it.",
    )
    suggestion = Criterion(
        id="inc-1",
        type="inclusion",
        text=text,
        rule=AgeRule(op="age", gte=21),
        encoding="suggested",
    )
    stored_trial = Trial.model_validate({**record, "criteria": [rejected.model_dump()]})
    draft = Trial.model_validate({**record, "criteria": [suggestion.model_dump()]})

    merged = merge(draft, stored_trial)

    assert merged.trial.criteria == [rejected]
    assert merged.flags == [] and merged.kept_curated == 1


def test_merge_keeps_a_changed_registry_text_beside_the_curated_one_and_drops_it_when_back() -> (
    None
):
    record = {"nct_id": "NCT00000001", "title": "t", "conditions": [], "status": "RECRUITING"}
    curated = Criterion(
        id="inc-1",
        type="inclusion",
        text="Aged 18 years or older.",
        rule=AgeRule(op="age", gte=18),
        curated_by="J. Doe",
    )
    now = Criterion(
        id="inc-1", type="inclusion", text="Aged 21 years or older.", review=True, encoding="text"
    )
    stored_trial = Trial.model_validate({**record, "criteria": [curated.model_dump()]})
    draft = Trial.model_validate({**record, "criteria": [now.model_dump()]})

    changed = merge(draft, stored_trial)

    (kept,) = changed.trial.criteria
    assert kept == curated.model_copy(update={"registry_text": "Aged 21 years or older."})
    assert changed.flags and changed.flags[0].startswith("inc-1: curated, but the registry's text")
    back = Trial.model_validate(
        {**record, "criteria": [{**now.model_dump(), "text": curated.text}]}
    )
    (restored,) = merge(back, changed.trial).trial.criteria
    assert restored == curated
    with pytest.raises(ValueError, match="registry_text belongs to a curated criterion"):
        Criterion.model_validate({**now.model_dump(), "registry_text": "x"})
