"""Location filtering on ``$match`` and ``/getClinicalTrial``: zipCode, or latitude and
longitude, with travelRadius (miles), on a library whose sites have positions.

The bundled trials' sites carry no registry position, so these tests load a copy of the
library with sites placed in US cities: NCT06949098 in New York (location-1) and Boston
(location-2), in place of its own site; NCT06043999 in Los Angeles and at its own Guangzhou
site, left with no position; NCT06122493 with no site at all.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from app.config import REPO_ROOT, Settings
from app.main import create_app
from tests.fhir_api.conftest import (
    AS_OF,
    LOOPBACK,
    as_parameters,
    example,
    issue_codes,
    matched,
    outcome_issues,
    output_bundle,
    post_match,
    r4,
)

NEAREST_URL = "http://testserver/fhir/StructureDefinition/nearest-site"
NEW_YORK = {"facility": "Example Cancer Center New York", "city": "New York", "state": "NY",
            "country": "United States", "status": "RECRUITING",
            "latitude": 40.7128, "longitude": -74.0060}  # fmt: skip
BOSTON = {"facility": "Example Cancer Center Boston", "city": "Boston", "state": "MA",
          "country": "United States", "status": "RECRUITING",
          "latitude": 42.3601, "longitude": -71.0589}  # fmt: skip
LOS_ANGELES = {"facility": "Example Cancer Center Los Angeles", "city": "Los Angeles",
               "state": "CA", "country": "United States", "status": "RECRUITING",
               "latitude": 34.0522, "longitude": -118.2437}  # fmt: skip
SITES: dict[str, list[dict[str, Any]]] = {
    "NCT06949098": [NEW_YORK, BOSTON],
    "NCT06043999": [LOS_ANGELES],  # added before the trial's own site, which has no position
    "NCT06122493": [],
}
KEEPS_ITS_OWN_SITE = {"NCT06043999"}
PATIENT = "rectal_early_low_eligible"
ALL = "&include_ineligible=true"


def _placed_library(folder: Path) -> Path:
    for source in (REPO_ROOT / "criteria").glob("*.yaml"):
        shutil.copy(source, folder / source.name)
    for nct, sites in SITES.items():
        path = folder / f"{nct}.yaml"
        trial = yaml.safe_load(path.read_text(encoding="utf-8"))
        own = trial.get("sites") or [] if nct in KEEPS_ITS_OWN_SITE else []
        trial["sites"] = [*sites, *own]
        path.write_text(yaml.safe_dump(trial, sort_keys=False, allow_unicode=True), "utf-8")
    return folder


@pytest.fixture(scope="module")
def placed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = _placed_library(tmp_path_factory.mktemp("criteria"))
    db = tmp_path_factory.mktemp("location") / "store.db"
    settings = Settings(
        database_url=f"sqlite:///{db}", rate_limit_per_minute=0, criteria_dir=folder
    )
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def located(client: TestClient, query: str = ALL, **values: str) -> dict[str, Any]:
    return output_bundle(post_match(client, as_parameters(example(PATIENT), **values), query))


def nearest(study: dict[str, Any]) -> dict[str, Any]:
    [extension] = [e for e in study.get("extension", []) if e["url"] == NEAREST_URL]
    parts: dict[str, Any] = {}
    for part in extension["extension"]:
        [value] = [v for k, v in part.items() if k.startswith("value")]
        parts[part["url"]] = value
    return parts


def by_id(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["resource"]["id"]: e["resource"] for e in matched(bundle)}


def unknown_distance_warnings(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        issue
        for issue in outcome_issues(bundle)
        if issue["details"]["coding"][0]["code"] == "fhir.site_distance_unknown"
    ]


def test_near_a_site_the_trial_is_kept_with_its_nearest_site_and_distance(
    placed: TestClient,
) -> None:
    studies = by_id(located(placed, zipCode="10001", travelRadius="50"))
    parts = nearest(studies["NCT06949098"])
    assert parts["site"]["reference"] == "#location-1"
    assert parts["site"]["display"] == NEW_YORK["facility"]
    [location] = [c for c in studies["NCT06949098"]["contained"] if c["id"] == "location-1"]
    assert location["name"] == NEW_YORK["facility"]
    # Midtown (ZIP 10001's centroid) to City Hall: about 2.7 miles.
    assert 1.5 < parts["distance"]["value"] < 4.0
    assert parts["distance"]["code"] == "[mi_i]"
    assert parts["withinRadius"] is True and parts["unpositionedSites"] == 0


def test_the_nearest_of_several_sites_is_named(placed: TestClient) -> None:
    studies = by_id(located(placed, zipCode="02115", travelRadius="50"))
    parts = nearest(studies["NCT06949098"])
    assert parts["site"]["reference"] == "#location-2"
    assert parts["distance"]["value"] < 5


def test_far_from_every_site_the_trial_is_left_out(placed: TestClient) -> None:
    # Chicago: New York is ~710 miles away, Boston ~850.
    bundle = located(placed, zipCode="60601", travelRadius="100")
    assert "NCT06949098" not in by_id(bundle)
    assert bundle["total"] == len(matched(bundle))
    wider = by_id(located(placed, zipCode="60601", travelRadius="800"))
    assert nearest(wider["NCT06949098"])["site"]["reference"] == "#location-1"
    assert 650 < nearest(wider["NCT06949098"])["distance"]["value"] < 800


def test_a_site_with_no_position_keeps_its_trial_flagged_not_dropped(
    placed: TestClient,
) -> None:
    bundle = located(placed, zipCode="10001", travelRadius="50")
    studies = by_id(bundle)
    # Los Angeles is out of range, but the Guangzhou site has no position: kept, flagged.
    la = nearest(studies["NCT06043999"])
    assert la["withinRadius"] is False and la["unpositionedSites"] == 1
    assert la["distance"]["value"] > 2000
    # No site at all: no distance, kept, flagged.
    none = nearest(studies["NCT06122493"])
    assert "site" not in none and "distance" not in none and none["unpositionedSites"] == 0
    warnings = unknown_distance_warnings(bundle)
    assert sorted(w["details"]["text"].split(":")[0] for w in warnings) == [
        "NCT06043999",
        "NCT06122493",
    ]
    assert all(w["severity"] == "warning" for w in warnings)
    assert "NCT06949098" not in " ".join(w["details"]["text"] for w in warnings)


def test_latitude_and_longitude_are_an_origin_like_a_zip_code(placed: TestClient) -> None:
    by_zip = by_id(located(placed, zipCode="60601", travelRadius="100"))
    by_point = by_id(located(placed, latitude="41.8858", longitude="-87.6181", travelRadius="100"))
    assert by_point.keys() == by_zip.keys()
    near = by_id(located(placed, latitude="42.36", longitude="-71.06", travelRadius="10"))
    assert nearest(near["NCT06949098"])["site"]["reference"] == "#location-2"


def test_an_origin_without_a_radius_filters_nothing_but_names_distances(
    placed: TestClient,
) -> None:
    plain = by_id(located(placed))
    studies = by_id(located(placed, zipCode="60601"))
    assert studies.keys() == plain.keys()
    parts = nearest(studies["NCT06949098"])
    assert "withinRadius" not in parts and parts["distance"]["value"] > 650
    assert all(not any(e["url"] == NEAREST_URL for e in s["extension"]) for s in plain.values())


def test_the_order_and_scores_are_those_of_the_unfiltered_match(placed: TestClient) -> None:
    def ranked(bundle: dict[str, Any]) -> list[tuple[str, float]]:
        return [(e["resource"]["id"], e["search"]["score"]) for e in matched(bundle)]

    plain = ranked(located(placed))
    near = ranked(located(placed, zipCode="60601", travelRadius="100"))
    assert near == [item for item in plain if item[0] != "NCT06949098"]


def test_mitre_form_applies_the_radius_too(placed: TestClient) -> None:
    bundle = example(PATIENT)
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "zipCode", "valueString": "60601"},
            {"name": "travelRadius", "valueString": "100"},
        ],
    }
    body = {**bundle, "entry": [{"resource": parameters}, *bundle["entry"]]}
    response = placed.post(
        f"/getClinicalTrial?as_of={AS_OF}{ALL}",
        content=json.dumps(body),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    answer = r4(response.json())
    assert "NCT06949098" not in by_id(answer) and "NCT06043999" in by_id(answer)
    near = {**body, "entry": [{"resource": {**parameters, "parameter": [
        {"name": "zipCode", "valueString": "10001"},
        {"name": "travelRadius", "valueDecimal": 25}]}}, *bundle["entry"]]}  # fmt: skip
    response = placed.post(
        f"/getClinicalTrial?as_of={AS_OF}{ALL}",
        content=json.dumps(near),
        headers={"content-type": "application/json"},
    )
    assert nearest(by_id(r4(response.json()))["NCT06949098"])["withinRadius"] is True


@pytest.mark.parametrize("zip_code", ["00000", "99999", "abcde", "1234", "123456", "10001-12"])
def test_an_unknown_zip_code_is_a_422_that_does_not_repeat_it(
    placed: TestClient, zip_code: str
) -> None:
    body = as_parameters(example(PATIENT), zipCode=zip_code, travelRadius="50")
    outcome = post_match(placed, body, status=422)
    assert issue_codes(outcome) == ["fhir.unknown_zip_code"]
    assert zip_code not in json.dumps(outcome)


def test_a_zip_plus_four_is_read_as_its_zip_code(placed: TestClient) -> None:
    five = by_id(located(placed, zipCode="10001", travelRadius="50"))
    nine = by_id(located(placed, zipCode="10001-1234", travelRadius="50"))
    assert nearest(nine["NCT06949098"]) == nearest(five["NCT06949098"])


@pytest.mark.parametrize(
    "values",
    [
        {"travelRadius": "50"},  # no origin
        {"zipCode": "10001", "latitude": "40.7", "longitude": "-74"},  # two origins
        {"latitude": "40.7", "travelRadius": "50"},  # half a point
        {"latitude": "91", "longitude": "0"},
        {"latitude": "40.7", "longitude": "east"},
        {"zipCode": "10001", "travelRadius": "-5"},
    ],
)
def test_a_location_we_cannot_read_is_a_422(placed: TestClient, values: dict[str, str]) -> None:
    outcome = post_match(placed, as_parameters(example(PATIENT), **values), status=422)
    assert issue_codes(outcome) == ["fhir.invalid_parameter"]


def test_the_nearest_site_extension_is_defined_where_its_url_points(placed: TestClient) -> None:
    response = placed.get("/fhir/StructureDefinition/nearest-site")
    assert response.status_code == 200
    definition = r4(response.json())
    assert definition["url"] == NEAREST_URL
    slices = {e["sliceName"]: e for e in definition["differential"]["element"] if "sliceName" in e}
    assert set(slices) == {"site", "distance", "withinRadius", "unpositionedSites"}
    # What we write is what it allows.
    study = by_id(located(placed, zipCode="10001", travelRadius="50"))["NCT06949098"]
    assert set(nearest(study)) <= set(slices)


def test_no_connection_is_made_on_a_located_match(
    placed: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    studies = by_id(located(placed, zipCode="94110", travelRadius="3000"))
    assert nearest(studies["NCT06043999"])["withinRadius"] is True


def test_the_zip_data_loads_and_answers_with_the_network_cut_off(tmp_path: Path) -> None:
    # A fresh interpreter, so that the package's data is first loaded with sockets refused.
    script = """
import socket
def refuse(*args, **kwargs):
    raise OSError("network refused in this test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from app.fhir_api.location import zip_origin
origin = zip_origin("73301")
print(round(origin.latitude), round(origin.longitude))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["30", "-98"]  # Austin, TX
