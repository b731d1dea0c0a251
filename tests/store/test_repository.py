"""The repository: list with filters and paging, get by NCT id, upsert outcomes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.eligibility.language import Trial
from app.store.repository import count_trials, get_trial, iter_documents, list_trials, upsert_trial


def make_trial(nct_id: str, *, conditions: list[str], status: str, **extra: Any) -> Trial:
    return Trial.model_validate(
        {
            "nct_id": nct_id,
            "title": f"Trial {nct_id}",
            "conditions": conditions,
            "status": status,
            "criteria": [
                {
                    "id": "inc-1",
                    "type": "inclusion",
                    "text": "Age 18 years or older.",
                    "rule": {"op": "age", "gte": 18},
                }
            ],
            **extra,
        }
    )


LIBRARY = [
    make_trial("NCT90000010", conditions=["Rectal Cancer"], status="RECRUITING"),
    make_trial("NCT90000011", conditions=["Colorectal Neoplasms"], status="COMPLETED"),
    make_trial("NCT90000012", conditions=["Esophageal Cancer"], status="RECRUITING"),
    make_trial("NCT90000013", conditions=["Rectal Adenocarcinoma"], status="NOT_YET_RECRUITING"),
    make_trial("NCT90000014", conditions=["100% Rare_Tumour"], status="SUSPENDED"),
]


@pytest.fixture
def library(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as session:
        for trial in LIBRARY:
            assert upsert_trial(session, trial) == "created"
    return sessions


def ids(page: Any) -> list[str]:
    return [row.nct_id for row in page.items]


def test_list_without_filters_is_ordered_and_counted(library: sessionmaker[Session]) -> None:
    with library() as session:
        page = list_trials(session)
    assert ids(page) == [t.nct_id for t in LIBRARY]
    assert (page.total, page.limit, page.offset) == (5, 20, 0)


def test_condition_matches_part_of_a_name_in_any_case(library: sessionmaker[Session]) -> None:
    with library() as session:
        assert ids(list_trials(session, condition="RECTAL")) == [
            "NCT90000010",
            "NCT90000011",
            "NCT90000013",
        ]
        assert ids(list_trials(session, condition="esophageal cancer")) == ["NCT90000012"]
        assert ids(list_trials(session, condition="lung")) == []


def test_condition_wildcards_are_literal(library: sessionmaker[Session]) -> None:
    with library() as session:
        assert ids(list_trials(session, condition="%")) == ["NCT90000014"]
        assert ids(list_trials(session, condition="r_ctal")) == []
        assert ids(list_trials(session, condition="rare_tumour")) == ["NCT90000014"]


def test_status_filter_takes_several(library: sessionmaker[Session]) -> None:
    with library() as session:
        assert ids(list_trials(session, statuses=["RECRUITING"])) == ["NCT90000010", "NCT90000012"]
        page = list_trials(
            session, condition="rectal", statuses=["RECRUITING", "NOT_YET_RECRUITING"]
        )
    assert ids(page) == ["NCT90000010", "NCT90000013"]
    assert page.total == 2


def test_paging_keeps_the_total(library: sessionmaker[Session]) -> None:
    with library() as session:
        first = list_trials(session, limit=2, offset=0)
        second = list_trials(session, limit=2, offset=2)
        beyond = list_trials(session, limit=2, offset=10)
    assert ids(first) == ["NCT90000010", "NCT90000011"]
    assert ids(second) == ["NCT90000012", "NCT90000013"]
    assert ids(beyond) == []
    assert first.total == second.total == beyond.total == 5


def test_get_by_nct_id(library: sessionmaker[Session]) -> None:
    with library() as session:
        row = get_trial(session, "NCT90000012")
        assert row is not None
        assert [c.name for c in row.conditions] == ["Esophageal Cancer"]
        assert get_trial(session, "NCT99999999") is None


def test_upsert_outcomes(sessions: sessionmaker[Session]) -> None:
    trial = LIBRARY[0]
    changed = make_trial("NCT90000010", conditions=["Rectal Cancer"], status="COMPLETED")
    with sessions.begin() as session:
        assert upsert_trial(session, trial) == "created"
    with sessions.begin() as session:
        assert upsert_trial(session, trial) == "unchanged"
    with sessions.begin() as session:
        assert upsert_trial(session, changed) == "updated"
    with sessions() as session:
        assert count_trials(session) == 1
        row = get_trial(session, "NCT90000010")
        assert row is not None and row.status == "COMPLETED"
        assert [(doc["status"], digest) for doc, digest in iter_documents(session)] == [
            ("COMPLETED", row.content_hash)
        ]
