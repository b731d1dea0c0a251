"""The route itself gives a scenario the same verdicts as the pipeline the scenarios call."""

from __future__ import annotations

from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.scenarios import patients as p
from tests.scenarios.pipeline import match

LOOPBACK = ("127.0.0.1", 50000)


def test_post_v1_match_agrees_with_the_scenario_pipeline(tmp_path: Path) -> None:
    chart = p.with_unclassified_text(p.esophageal_cn3())
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'store.db'}", rate_limit_per_minute=0)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        response = client.post(
            f"/v1/match?as_of={p.AS_OF.isoformat()}&include_ineligible=true&include_closed=true",
            content=orjson.dumps(chart.bundle()),
            headers={"content-type": "application/fhir+json"},
        )
    assert response.status_code == 200
    posted = {
        (m["trial"], c["id"]): (m["status"], c["outcome"], c["needs"])
        for m in response.json()["matches"]
        for c in m["criteria"]
    }
    direct = {
        (m.trial, c.id): (m.status, c.outcome, c.needs)
        for m in match(chart).matches
        for c in m.criteria
    }
    assert posted == direct
