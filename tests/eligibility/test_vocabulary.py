"""criteria/schema.json and criteria/VOCABULARY.md are generated from code: no drift."""

import json
from pathlib import Path

from app.config import REPO_ROOT
from app.eligibility.vocabulary import SCHEMA_FILE, VOCABULARY_FILE, export, rendered

CRITERIA = REPO_ROOT / "criteria"


def test_committed_schema_and_vocabulary_match_the_code() -> None:
    assert export(CRITERIA, check=True) == [], "run `trialmatch criteria export`"


def test_the_schema_names_every_operator_and_the_vocabulary_documents_them() -> None:
    schema = json.loads(rendered()[SCHEMA_FILE])
    ops = {
        d["properties"]["op"]["const"]
        for d in schema["$defs"].values()
        if "op" in d.get("properties", {})
    }
    assert {"all", "any", "not", "lab", "lab_uln", "stage", "metastasis", "condition"} <= ops
    page = rendered()[VOCABULARY_FILE]
    for op in ops:
        assert f"### `{op}`" in page


def test_export_writes_and_then_reports_nothing_to_do(tmp_path: Path) -> None:
    assert sorted(export(tmp_path)) == sorted([SCHEMA_FILE, VOCABULARY_FILE])
    assert export(tmp_path, check=True) == []
    (tmp_path / VOCABULARY_FILE).write_text("edited by hand", encoding="utf-8")
    assert export(tmp_path, check=True) == [VOCABULARY_FILE]
