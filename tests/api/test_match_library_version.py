"""`POST /v1/match` names the library it used: the software version, the trial count and
the library's digest, and on each match the content hash `/v1/trials` shows for the trial.
After a trial changes in the store, the next match names its new hash."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import REPO_ROOT, Settings
from app.eligibility.library import load_library
from app.main import create_app
from app.store.loader import load_directory
from app.store.session import make_engine, make_session_factory

CRITERIA = REPO_ROOT / "criteria"
PATIENT = REPO_ROOT / "examples" / "patients" / "rectal_early_low_eligible.json"
FHIR_JSON = {"content-type": "application/fhir+json"}
LOOPBACK = ("127.0.0.1", 50000)
TRIAL = "NCT06949098"


def match(client: TestClient) -> dict[str, object]:
    response = client.post(
        "/v1/match?as_of=2026-11-23&include_ineligible=true",
        content=PATIENT.read_bytes(),
        headers=FHIR_JSON,
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_the_response_names_the_library_and_each_trials_stored_hash(
    database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "criteria"
    folder.mkdir()
    for path in CRITERIA.glob("NCT*.yaml"):
        (folder / path.name).write_bytes(path.read_bytes())
    settings = Settings(
        database_url=database_url, criteria_dir=folder, library_refresh_seconds=0.001
    )
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        body = match(client)
        stored = {
            item["nct_id"]: item["content_hash"]
            for item in client.get("/v1/trials").json()["items"]
        }
        detail_hash = client.get(f"/v1/trials/{TRIAL}").json()["content_hash"]

        files = load_library(CRITERIA)
        assert body["library"] == {
            "software_version": version("trialmatch"),
            "trials": 3,
            "digest": files.digest,
        }
        matches = body["matches"]
        assert isinstance(matches, list) and len(matches) == 3
        named = {m["trial"]: m["content_hash"] for m in matches}
        assert named == stored == files.content_hashes
        assert detail_hash == stored[TRIAL]

        # A coordinator edits one trial and loads it (`trialmatch trials load`).
        path = folder / f"{TRIAL}.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("scale: ecog, lte: 1}", "scale: ecog, lte: 2}"), "utf-8")
        engine = make_engine(database_url)
        try:
            assert load_directory(make_session_factory(engine), folder).updated == [TRIAL]
        finally:
            engine.dispose()
        after = match(client)
        new_hash = client.get(f"/v1/trials/{TRIAL}").json()["content_hash"]

    renamed = {m["trial"]: m["content_hash"] for m in after["matches"]}  # type: ignore[union-attr]
    assert new_hash != stored[TRIAL]
    assert renamed == {**stored, TRIAL: new_hash}
    library = after["library"]
    assert isinstance(library, dict) and library["digest"] != files.digest
