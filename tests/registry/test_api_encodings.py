"""After an import, /v1/trials and /v1/trials/{id} show each trial's counts per encoding and
each criterion's encoding; the running service picks the import up."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.registry.importer import import_paths
from app.store.session import make_engine, make_session_factory
from tests.registry.conftest import CTGOV

LOOPBACK = ("127.0.0.1", 50000)


def test_trials_routes_show_encodings_of_an_imported_trial(
    database_url: str, tmp_path: Path
) -> None:
    empty = tmp_path / "criteria"
    empty.mkdir()
    settings = Settings(database_url=database_url, criteria_dir=empty)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        engine = make_engine(database_url)
        try:
            (summary,) = import_paths([CTGOV / "NCT05685680.xml"], make_session_factory(engine))
        finally:
            engine.dispose()
        assert summary.outcome == "created"

        listed = client.get("/v1/trials").json()["items"]
        detail = client.get("/v1/trials/NCT05685680").json()

    assert [item["nct_id"] for item in listed] == ["NCT05685680"]
    counts = listed[0]["encodings"]
    assert counts == {"curated": 0, "suggested": 1, "text": summary.counts["text"]}
    assert counts["text"] > 0
    assert detail["encodings"] == counts
    encodings = {c["id"]: c["encoding"] for c in detail["criteria"]}
    assert encodings["inc-0.a"] == "suggested"
    assert {e for i, e in encodings.items() if i != "inc-0.a"} == {"text"}
