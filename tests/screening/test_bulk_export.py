"""Bulk Data $export from a real sekmet-fhir: the exported folder screens as /v1/match does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.eligibility.library import Library
from app.errors import UpstreamError
from app.screening.bulk_export import ExportRequest, export, export_types, run_export
from app.screening.core import bundle_of
from app.screening.duckdb_engine import NdjsonPopulation
from app.screening.library_source import LibrarySource
from app.screening.pool import screen_chunks
from tests.fhir.conftest import sekmet_server  # noqa: F401 - the session's FHIR server
from tests.screening.bulk_fhir import load
from tests.screening.conftest import AS_OF, post_match
from tests.screening.populations import example_names, example_resources


def test_exported_folder_screens_as_v1_match_patient_by_patient(
    sekmet_server: str,  # noqa: F811
    library: Library,
    source: LibrarySource,
    client: TestClient,
    tmp_path: Path,
) -> None:
    records = {name: example_resources(name) for name in example_names()}
    for resources in records.values():
        load(sekmet_server, resources)
    types = export_types(library)
    assert "Patient" in types and "Condition" in types
    settings = Settings(fhir_base_url=sekmet_server)
    result = run_export(settings, ExportRequest(types=types), tmp_path / "export")
    assert result.files and all(f.exists() for f in result.files)
    assert not list((tmp_path / "export").glob("*.part"))
    assert result.changed_patients is None
    population = NdjsonPopulation([tmp_path / "export"])
    screened = {
        r.key: r for r in screen_chunks(population.chunks(patients=17), source=source, as_of=AS_OF)
    }
    for resources in records.values():
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        got = screened[patient["id"]]
        assert got.error is None, patient["id"]
        want = post_match(client, bundle_of(resources))["matches"]
        assert [
            (row.trial, row.status, list(row.unmet), list(row.missing)) for row in got.rows
        ] == [(m["trial"], m["status"], m["unmet"], m["missing"]) for m in want], patient["id"]


def test_an_accepted_export_without_a_status_url_is_a_stable_error(tmp_path: Path) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Prefer", ""))
        return httpx.Response(202)

    settings = Settings(fhir_base_url="https://ehr.example/fhir")
    with pytest.raises(UpstreamError) as raised:
        asyncio.run(
            export(
                settings,
                ExportRequest(types=("Patient",)),
                tmp_path,
                transport=httpx.MockTransport(answer),
            )
        )
    assert raised.value.details[0].type == "export.failed"
    assert seen == ["respond-async"]
