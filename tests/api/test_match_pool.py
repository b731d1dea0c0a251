"""Large Bundles are matched in a process of their own (app/matching/pool.py), with the same
answers, errors and audit rows as a match in a thread.

Each test starts the real service with ``match_process_min_bytes=1`` (every posted Bundle
goes to the match process, a real spawned process) beside one with ``0`` (never).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import orjson
import pytest
from fastapi.testclient import TestClient

from app.config import REPO_ROOT, Settings
from app.eligibility.trial_file import read_trial_file
from app.main import create_app
from app.matching import pool
from app.matching.service import MatchOptions
from app.store.audit import list_events
from app.store.live_library import store_fingerprint
from app.store.repository import upsert_trial
from app.store.session import make_engine, make_session_factory
from tests.api.conftest import LOOPBACK
from tests.conftest import TRIAL_FIXTURES

MATCH = "/v1/match?as_of=2026-11-23&include_ineligible=true"
HEADERS = {"Content-Type": "application/fhir+json"}
PATIENTS = sorted((REPO_ROOT / "examples" / "patients").glob("*.json"))


def _service(database_url: str, min_bytes: int) -> TestClient:
    settings = Settings(
        database_url=database_url,
        criteria_dir=TRIAL_FIXTURES,
        match_process_min_bytes=min_bytes,
        rate_limit_per_minute=0,
    )
    return TestClient(create_app(settings), client=LOOPBACK)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, TestClient, str]]:
    """(pooled, threaded, database URL): two services on one SQLite store, started once
    for the module (a match process takes seconds to start)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pool') / 'pool.db'}"
    with _service(url, 1) as pooled, _service(url, 0) as threaded:
        yield pooled, threaded, url


def _audit_rows(url: str) -> list[tuple[str | None, int, str]]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            events = list_events(session, limit=1000)
            return [(e.patient_ref, e.status, e.outcome) for e in events]
    finally:
        engine.dispose()


def test_every_example_patient_gets_the_same_answer_in_the_match_process(
    both: tuple[TestClient, TestClient, str],
) -> None:
    pooled, threaded, url = both
    assert PATIENTS
    rows_before = len(_audit_rows(url))
    for path in PATIENTS:
        body = path.read_bytes()
        a = pooled.post(MATCH, content=body, headers=HEADERS)
        b = threaded.post(MATCH, content=body, headers=HEADERS)
        assert a.status_code == b.status_code == 200, path.name
        assert a.json() == b.json(), path.name
        assert a.headers["content-type"] == "application/json"
    # The pooled service really used its match process; the threaded one never started one.
    assert pooled.app.state.match_pool._executor is not None  # type: ignore[attr-defined]
    assert threaded.app.state.match_pool._executor is None  # type: ignore[attr-defined]
    rows = _audit_rows(url)[: len(_audit_rows(url)) - rows_before]  # newest first
    assert len(rows) == 2 * len(PATIENTS)
    assert all(status == 200 and outcome == "ok" and ref for ref, status, outcome in rows)


def _deep(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{not json", 422, "request.json_invalid"),
        (_deep(200), 422, "request.too_deep"),
        (
            orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}),
            422,
            "bundle.no_patient",
        ),
        (b"[1, 2]", 422, None),
    ],
)
def test_errors_are_the_same_stable_types(
    both: tuple[TestClient, TestClient, str], body: bytes, status: int, error: str | None
) -> None:
    pooled, threaded, _ = both
    a = pooled.post(MATCH, content=body, headers=HEADERS)
    b = threaded.post(MATCH, content=body, headers=HEADERS)
    assert a.status_code == b.status_code == status
    assert a.json() == b.json()
    if error is not None:
        assert a.json()["detail"][0]["type"] == error


def test_refused_bodies_write_no_audit_row_and_read_ones_do(
    both: tuple[TestClient, TestClient, str],
) -> None:
    pooled, _, url = both
    before = _audit_rows(url)
    assert pooled.post(MATCH, content=b"{not json", headers=HEADERS).status_code == 422
    assert pooled.post(MATCH, content=_deep(200), headers=HEADERS).status_code == 422
    assert _audit_rows(url) == before  # as when the middleware refuses them
    empty = orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": []})
    assert pooled.post(MATCH, content=empty, headers=HEADERS).status_code == 422
    assert _audit_rows(url) == [(None, 422, "bundle.no_patient"), *before]


def test_an_unknown_trial_is_404_from_the_match_process(
    both: tuple[TestClient, TestClient, str],
) -> None:
    pooled, _, _ = both
    answer = pooled.post(
        MATCH + "&trial=NCT00000000", content=PATIENTS[0].read_bytes(), headers=HEADERS
    )
    assert answer.status_code == 404
    assert answer.json()["detail"][0]["type"] == "trial.not_found"


def test_the_match_process_recompiles_when_the_store_moved(database_url: str) -> None:
    """In-process check of the worker's library cache: a new fingerprint recompiles."""
    with _service(database_url, 0):
        pass  # migrate and load the fixture library into the store
    pool._state.clear()
    pool._start(database_url)
    options = MatchOptions(as_of=date(2026, 11, 23), include_ineligible=True)
    body = PATIENTS[0].read_bytes()

    def trials_matched(fingerprint: str) -> int:
        answer = pool.run_match(body, 64, False, options, fingerprint)
        assert isinstance(answer, pool.PooledAnswer)
        return len(orjson.loads(answer.body)["matches"])

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)

    def fingerprint() -> str:
        with sessions() as session:
            return store_fingerprint(session)

    try:
        old = fingerprint()
        before = trials_matched(old)
        trial = read_trial_file(sorted(TRIAL_FIXTURES.glob("NCT????????.yaml"))[0])
        with sessions.begin() as session:
            upsert_trial(session, trial.model_copy(update={"nct_id": "NCT09999999"}))
        # The service still holds the old library: the match process keeps to it.
        assert trials_matched(old) == before
        # The service recompiled (a new fingerprint): so does the match process.
        assert trials_matched(fingerprint()) == before + 1
    finally:
        pool._state["sessions"].kw["bind"].dispose()
        pool._state.clear()
        engine.dispose()
