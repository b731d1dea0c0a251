"""Sites with their coordinates, from an imported ClinicalTrials.gov record to the store's
sites table and to `/v1/trials/{id}`; and migration 0003, which adds the columns and fills
them in for trials stored before it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select

from app.config import Settings
from app.main import create_app
from app.registry.draft import draft_trial
from app.registry.importer import import_paths
from app.registry.record import RegistryRecord
from app.registry.sources import read_records
from app.store.migrate import downgrade, upgrade
from app.store.models import SiteRow, TrialRow
from app.store.session import make_engine, make_session_factory
from tests.registry.conftest import CTGOV
from tests.store.old_schema import insert_trial_0001

LOOPBACK = ("127.0.0.1", 50000)
# 49 locations, 47 with a geoPoint: the other two must show no coordinates, not zeros.
RECORD = CTGOV / "NCT04956640.json"
NCT = "NCT04956640"


def source_sites() -> list[dict[str, Any]]:
    """The record's locations in the shape /v1/trials/{id} serves, read straight from it."""
    study = json.loads(RECORD.read_text(encoding="utf-8"))
    locations = study["protocolSection"]["contactsLocationsModule"]["locations"]
    return [
        {
            "facility": location["facility"],
            "city": location.get("city"),
            "state": location.get("state"),
            "country": location.get("country"),
            "status": location.get("status"),
            "latitude": location.get("geoPoint", {}).get("lat"),
            "longitude": location.get("geoPoint", {}).get("lon"),
        }
        for location in locations
    ]


def test_the_source_has_sites_with_and_without_coordinates() -> None:
    sites = source_sites()
    assert len(sites) == 49
    assert sum(s["latitude"] is None for s in sites) == 2
    assert sites[0]["latitude"] == 33.52066 and sites[0]["longitude"] == -86.80249


def test_imported_sites_keep_their_coordinates_in_the_table_and_the_api(
    database_url: str, tmp_path: Path
) -> None:
    empty = tmp_path / "criteria"
    empty.mkdir()
    settings = Settings(database_url=database_url, criteria_dir=empty)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        engine = make_engine(database_url)
        try:
            (summary,) = import_paths([RECORD], make_session_factory(engine))
            with make_session_factory(engine)() as session:
                trial_id = session.scalar(select(TrialRow.id).where(TrialRow.nct_id == NCT))
                rows = session.execute(
                    select(SiteRow.facility, SiteRow.latitude, SiteRow.longitude)
                    .where(SiteRow.trial_id == trial_id)
                    .order_by(SiteRow.position)
                ).all()
        finally:
            engine.dispose()
        assert summary.outcome == "created"
        detail = client.get(f"/v1/trials/{NCT}")

    assert detail.status_code == 200
    assert detail.json()["sites"] == source_sites()
    assert [tuple(r) for r in rows] == [
        (s["facility"], s["latitude"], s["longitude"]) for s in source_sites()
    ]


def drafted() -> RegistryRecord:
    (record,) = read_records(RECORD)
    assert isinstance(record, RegistryRecord)
    return record


def coordinates(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        found = connection.execute(
            select(SiteRow.latitude, SiteRow.longitude).order_by(SiteRow.position)
        ).all()
    return [tuple(r) for r in found]


def test_migration_0003_fills_in_the_coordinates_of_trials_stored_before_it(
    engine: Engine,
) -> None:
    upgrade(engine, "0002")
    with engine.begin() as connection:
        insert_trial_0001(connection, draft_trial(drafted()).trial)
    assert "latitude" not in {c["name"] for c in inspect(engine).get_columns("trial_sites")}

    upgrade(engine, "0003")

    expected = [(s["latitude"], s["longitude"]) for s in source_sites()]
    assert coordinates(engine) == expected
    downgrade(engine, "0002")
    assert "latitude" not in {c["name"] for c in inspect(engine).get_columns("trial_sites")}
    upgrade(engine)
    assert coordinates(engine) == expected
