from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from app.config import Settings
from app.main import create_app
from app.store.loader import load_directory
from app.store.migrate import upgrade
from app.store.repository import upsert_trial
from app.store.session import make_engine, make_session_factory
from tests.api.conftest import LOOPBACK
from tests.conftest import TRIAL_FIXTURES
from tests.registry.test_never_eligible_uncurated import woman_with_breast_cancer
from tests.store.test_trials_cli import unit_mismatch_trial


def test_healthz_answers_ok() -> None:
    client = TestClient(create_app())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_route_has_the_one_error_body() -> None:
    client = TestClient(create_app())
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {
        "detail": [{"type": "request.not_found", "msg": "No such resource.", "loc": []}]
    }


def test_readyz_is_ready_once_started(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readyz_is_503_before_start_up(tmp_path: Path) -> None:
    # Without the lifespan (no `with`), nothing is opened or loaded yet.
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    client = TestClient(create_app(settings), client=LOOPBACK)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "detail": [
            {
                "type": "service.not_ready",
                "msg": "The database is not reachable.",
                "loc": ["database"],
            },
            {
                "type": "service.not_ready",
                "msg": "The trial library is not loaded yet.",
                "loc": ["library"],
            },
        ]
    }
    trials = client.get("/v1/trials")
    assert trials.status_code == 503
    assert trials.json()["detail"][0]["type"] == "service.not_ready"


def test_readyz_is_503_when_the_database_goes_away(client: TestClient) -> None:
    app = client.app
    # Nothing listens on port 1 of the loopback: connections are refused at once.
    unreachable = make_engine("postgresql+psycopg://nobody:none@127.0.0.1:1/none")
    working = app.state.engine  # type: ignore[attr-defined]
    app.state.engine = unreachable  # type: ignore[attr-defined]
    try:
        response = client.get("/readyz")
    finally:
        app.state.engine = working  # type: ignore[attr-defined]
        unreachable.dispose()
    assert response.status_code == 503
    assert response.json()["detail"] == [
        {"type": "service.not_ready", "msg": "The database is not reachable.", "loc": ["database"]}
    ]
    assert "nobody" not in response.text


def test_library_is_loaded_on_first_start_only(database_url: str, tmp_path: Path) -> None:
    first = Settings(database_url=database_url, criteria_dir=TRIAL_FIXTURES)
    with TestClient(create_app(first), client=LOOPBACK) as client:
        assert client.get("/v1/trials").json()["paging"]["total"] == 2
    # A second start on the same store leaves it alone, even with a different folder.
    other = tmp_path / "other"
    other.mkdir()
    (other / "NCT90000002.yaml").write_text(
        (TRIAL_FIXTURES / "NCT90000002.yaml").read_text().replace("COMPLETED", "RECRUITING")
    )
    second = Settings(database_url=database_url, criteria_dir=other)
    with TestClient(create_app(second), client=LOOPBACK) as client:
        assert client.get("/readyz").status_code == 200
        body = client.get("/v1/trials").json()
    assert body["paging"]["total"] == 2
    assert [item["status"] for item in body["items"]] == ["RECRUITING", "COMPLETED"]


def test_a_missing_library_folder_still_starts(database_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, criteria_dir=tmp_path / "absent")
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        assert client.get("/readyz").status_code == 200
        assert client.get("/v1/trials").json()["paging"]["total"] == 0


def test_start_up_fails_fast_when_the_database_is_unreachable() -> None:
    settings = Settings(
        database_url="postgresql+psycopg://nobody:none@127.0.0.1:1/none",
        criteria_dir=TRIAL_FIXTURES,
    )
    with pytest.raises(OperationalError), TestClient(create_app(settings)):
        pass


def test_readyz_stays_ready_and_names_quarantined_trials(database_url: str, tmp_path: Path) -> None:
    # A store holding a trial that does not compile (stored before the validator refused
    # its unit) beside the fixture trials: the others match, /readyz says which is out.
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        assert load_directory(sessions, TRIAL_FIXTURES).ok
        with sessions.begin() as session:
            upsert_trial(session, unit_mismatch_trial(), source="old.yaml")
    finally:
        engine.dispose()
    settings = Settings(database_url=database_url, criteria_dir=tmp_path / "absent")
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        ready = client.get("/readyz")
        listed = client.get("/v1/trials").json()["paging"]["total"]
        match = client.post(
            "/v1/match",
            params={"include_closed": True, "include_ineligible": True},
            json=woman_with_breast_cancer().bundle(),
        )

    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "warnings": [
            {
                "type": "library.trial_quarantined",
                "trial_id": "NCT00000009",
                "reason": "trial.unit_mismatch",
                "msg": "A rule names a unit that cannot be converted: offered to no patient.",
            }
        ],
    }
    assert "U/L" not in ready.text  # the detail stays with `trialmatch trials list`
    assert listed == 3  # stored and listed, but matched against nobody
    assert match.status_code == 200, match.text
    assert {m["trial"] for m in match.json()["matches"]} == {"NCT90000001", "NCT90000002"}
