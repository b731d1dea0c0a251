"""Loading trial files: idempotent, updates on change, refuses bad files with path and line."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.store.loader import load_directory, read_trial_file, trial_files
from app.store.models import CriterionRow, TrialRow
from app.store.repository import get_trial
from tests.conftest import TRIAL_FIXTURES

GOOD = TRIAL_FIXTURES / "NCT90000001.yaml"


def snapshot(sessions: sessionmaker[Session]) -> list[tuple[object, ...]]:
    """Every stored trial and criterion row, with ids and timestamps."""
    with sessions() as session:
        trials = session.execute(
            select(
                TrialRow.id, TrialRow.nct_id, TrialRow.content_hash, TrialRow.updated_at
            ).order_by(TrialRow.id)
        ).all()
        criteria = session.execute(
            select(CriterionRow.id, CriterionRow.criterion_id, CriterionRow.text).order_by(
                CriterionRow.id
            )
        ).all()
    return [tuple(row) for row in trials] + [tuple(row) for row in criteria]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_trial_files_skip_worked_examples() -> None:
    names = [path.name for path in trial_files(TRIAL_FIXTURES)]
    assert names == ["NCT90000001.yaml", "NCT90000002.yaml"]


def test_load_stores_trials_with_every_criterion(sessions: sessionmaker[Session]) -> None:
    report = load_directory(sessions, TRIAL_FIXTURES)

    assert report.ok
    assert report.created == ["NCT90000001", "NCT90000002"]
    with sessions() as session:
        trial = get_trial(session, "NCT90000001")
        assert trial is not None
        assert trial.status == "RECRUITING"
        assert [c.name for c in trial.conditions] == ["Rectal Cancer", "Rectal Adenocarcinoma"]
        assert [(s.facility, s.city) for s in trial.sites] == [("Test University Hospital", "Lyon")]
        assert [a.label for a in trial.arms] == ["Watch and wait"]
        assert [(c.criterion_id, c.type, c.review) for c in trial.criteria] == [
            ("inc-1", "inclusion", False),
            ("inc-2", "inclusion", False),
            ("exc-1", "exclusion", True),
        ]
        assert trial.criteria[1].text == "ECOG performance status 0-1."
        # The store keeps the validated model's JSON form, whatever the rule language is.
        expected = read_trial_file(GOOD).model_dump(mode="json")
        assert trial.document == expected
        assert [c.rule for c in trial.criteria] == [c["rule"] for c in expected["criteria"]]
        assert trial.criteria[1].rule["op"] == "performance"
        assert trial.criteria[1].rule["lte"] == 1
        assert trial.criteria[2].rule is None
        assert trial.source == "NCT90000001.yaml"


def test_loading_twice_changes_nothing(sessions: sessionmaker[Session]) -> None:
    load_directory(sessions, TRIAL_FIXTURES)
    before = snapshot(sessions)

    report = load_directory(sessions, TRIAL_FIXTURES)

    assert report.ok
    assert (report.created, report.updated) == ([], [])
    assert report.unchanged == ["NCT90000001", "NCT90000002"]
    assert snapshot(sessions) == before


def test_a_changed_file_updates_its_trial(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    shutil.copytree(TRIAL_FIXTURES, tmp_path / "trials")
    folder = tmp_path / "trials"
    load_directory(sessions, folder)
    path = folder / "NCT90000001.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("ECOG performance status 0-1.", "ECOG performance status 0-2.")
    text = text.replace(
        "{op: performance, scale: ecog, lte: 1}", "{op: performance, scale: ecog, lte: 2}"
    )
    text = text.replace(
        "status: RECRUITING\nstart_date", "status: ACTIVE_NOT_RECRUITING\nstart_date"
    )
    path.write_text(text, encoding="utf-8")

    report = load_directory(sessions, folder)

    assert report.updated == ["NCT90000001"]
    assert report.unchanged == ["NCT90000002"]
    with sessions() as session:
        trial = get_trial(session, "NCT90000001")
        assert trial is not None
        assert trial.status == "ACTIVE_NOT_RECRUITING"
        assert trial.criteria[1].text == "ECOG performance status 0-2."
        assert trial.criteria[1].rule["lte"] == 2
        assert trial.document == read_trial_file(path).model_dump(mode="json")
        # The children were replaced, not added to.
        assert session.scalar(select(func.count()).select_from(CriterionRow)) == 4


def test_a_bad_file_is_refused_with_path_and_line_and_nothing_written(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    shutil.copy(GOOD, tmp_path / "NCT90000001.yaml")
    bad = write(
        tmp_path,
        "NCT90000003.yaml",
        """
        nct_id: NCT90000003
        title: A trial with one bad criterion id
        conditions: [Rectal Cancer]
        status: RECRUITING
        criteria:
          - id: inc-1
            type: inclusion
            text: Age 18 years or older.
            rule: {op: age, gte: 18}
          - id: inclusion-2
            type: inclusion
            text: ECOG 0-1.
            rule: {op: performance, scale: ecog, lte: 1}
        """,
    )

    report = load_directory(sessions, tmp_path)

    assert report.created == ["NCT90000001"]
    [problem] = report.problems
    assert problem.path == bad
    assert problem.line == 10
    assert problem.loc == ("criteria", 1, "id")
    assert problem.type == "trial.string_pattern_mismatch"
    assert str(problem).startswith(f"{bad}:10: trial.string_pattern_mismatch:")
    with sessions() as session:
        assert session.scalars(select(TrialRow.nct_id)).all() == ["NCT90000001"]


def test_a_bad_new_version_leaves_the_stored_trial_as_it_was(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "NCT90000001.yaml"
    shutil.copy(GOOD, path)
    load_directory(sessions, tmp_path)
    before = snapshot(sessions)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "status: RECRUITING\nstart", "status: OPEN\nstart"
        ),
        encoding="utf-8",
    )

    report = load_directory(sessions, tmp_path)

    assert [(p.type, p.line, p.loc) for p in report.problems] == [
        ("trial.literal_error", 6, ("status",))
    ]
    assert snapshot(sessions) == before


@pytest.mark.parametrize(
    ("text", "line", "kind"),
    [
        pytest.param(
            """
            nct_id: NCT90000004
            conditions: [Rectal Cancer]
            status: RECRUITING
            criteria: []
            """,
            1,
            "trial.missing",
            id="missing-field-at-its-mapping",
        ),
        pytest.param(
            """
            nct_id: NCT90000004
            title: T
            conditions: [Rectal Cancer]
            status: RECRUITING
            criteria:
              - id: inc-1
                type: inclusion
                text: Age 18 or older.
                colour: blue
                rule: {op: age, gte: 18}
            """,
            9,
            "trial.extra_forbidden",
            id="unknown-key-at-the-key",
        ),
        pytest.param(
            """
            nct_id: NCT90000004
            title: T
            conditions: [Rectal Cancer
            status: RECRUITING
            """,
            4,
            "trial.yaml_syntax",
            id="yaml-syntax",
        ),
        pytest.param(
            """
            nct_id: NCT90000004
            title: T
            conditions: [Rectal Cancer]
            status: RECRUITING
            criteria:
              - id: inc-1
                type: inclusion
                text: Age 18 or older.
                text: Age 21 or older.
                rule: {op: age, gte: 18}
            """,
            9,
            "trial.duplicate_key",
            id="duplicate-key",
        ),
        pytest.param(
            """
            nct_id: NCT90000004
            title: T
            conditions: [Rectal Cancer]
            status: RECRUITING
            criteria:
              - id: inc-1
                type: inclusion
                text: Age 18 or older.
                rule: {op: age, gte: 18}
              - id: inc-1
                type: inclusion
                text: Age 21 or older.
                rule: {op: age, gte: 21}
            """,
            10,
            "trial.duplicate_criterion_id",
            id="duplicate-criterion-id",
        ),
        pytest.param("", 1, "trial.empty", id="empty-file"),
    ],
)
def test_read_trial_file_points_at_the_line(
    tmp_path: Path, text: str, line: int, kind: str
) -> None:
    path = write(tmp_path, "NCT90000004.yaml", text)
    from app.store.loader import TrialFileError

    with pytest.raises(TrialFileError) as caught:
        read_trial_file(path)

    assert [(p.path, p.line, p.type) for p in caught.value.problems] == [(path, line, kind)]


def test_a_file_not_named_after_its_nct_id_is_refused_so_one_id_is_one_file(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    shutil.copy(GOOD, tmp_path / "NCT90000001.yaml")
    text = GOOD.read_text(encoding="utf-8").replace("Watch and wait for", "Copy of")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")

    report = load_directory(sessions, tmp_path)

    assert report.created == ["NCT90000001"]
    assert [(p.path.name, p.line, p.type) for p in report.problems] == [
        ("b.yaml", 2, "trial.file_name")
    ]
    with sessions() as session:
        assert session.scalars(select(TrialRow.title)).all() == [
            "Watch and wait for early rectal cancer"
        ]


@pytest.mark.parametrize("unit", ["furlong", "U/L"], ids=["not-a-unit", "not-a-mass-concentration"])
def test_a_lab_unit_that_cannot_be_compared_is_refused_before_it_reaches_the_store(
    sessions: sessionmaker[Session], tmp_path: Path, unit: str
) -> None:
    # Once stored, such a rule failed to compile at every match (every answer a 500).
    source = TRIAL_FIXTURES / "NCT90000002.yaml"
    text = source.read_text(encoding="utf-8").replace("unit: g/L", f"unit: {unit}")
    write(tmp_path, "NCT90000002.yaml", text)

    report = load_directory(sessions, tmp_path)

    assert report.created == []
    assert [(p.path.name, p.type, p.loc[:1]) for p in report.problems] == [
        ("NCT90000002.yaml", "trial.unit_mismatch", ("criteria",))
    ]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(TrialRow)) == 0
