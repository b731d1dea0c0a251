"""A real FHIR server (sekmet-fhir, via scripts/fhir-server.sh) for the integration tests.

``TRIALMATCH_TEST_FHIR_URL`` names a running server to use (as `.ci/run` may start one);
otherwise the script starts one on a free loopback port for the session and stops it at the
end. If it cannot be installed the tests skip, unless ``CI`` or ``TRIALMATCH_REQUIRE_FHIR``
is set: then they fail. The SMART server is always this session's own (its client key
must be known), one per signing algorithm.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fhir-server.sh"
FIXTURES = REPO / "tests" / "fixtures" / "ehr"
CANNOT_INSTALL = 3  # exit code of scripts/fhir-server.sh


@dataclass(frozen=True)
class SmartServer:
    base_url: str
    client_id: str
    alg: str
    private_key: Path
    admin_token: str


def fixture_bundles() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def _start(folder: Path, *args: str) -> str:
    env = {**os.environ, "TRIALMATCH_FHIR_SERVER_DIR": str(folder)}
    done = subprocess.run(
        [str(SCRIPT), "start", *args], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode == CANNOT_INSTALL and not (
        os.environ.get("CI") or os.environ.get("TRIALMATCH_REQUIRE_FHIR")
    ):
        pytest.skip("sekmet-fhir cannot be installed here")
    if done.returncode != 0:
        pytest.fail(f"scripts/fhir-server.sh start failed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def _stop(folder: Path) -> None:
    env = {**os.environ, "TRIALMATCH_FHIR_SERVER_DIR": str(folder)}
    subprocess.run([str(SCRIPT), "stop"], env=env, check=True, timeout=60)


def _load(base_url: str, token: str | None = None) -> None:
    headers = {"Content-Type": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    for bundle in fixture_bundles():
        response = httpx.post(base_url, content=bundle.read_bytes(), headers=headers, timeout=60)
        assert response.status_code == 200, f"loading {bundle.name}: {response.text[:500]}"


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of an open FHIR server holding tests/fixtures/ehr/."""
    url = os.environ.get("TRIALMATCH_TEST_FHIR_URL")
    if url:
        _load(url)  # PUTs with fixed ids: loading twice is harmless
        yield url.rstrip("/")
        return
    folder = tmp_path_factory.mktemp("fhir-server")
    url = _start(folder)
    try:
        _load(url)
        yield url
    finally:
        _stop(folder)


@pytest.fixture(scope="session", params=["RS384", "ES384"])
def smart_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SmartServer]:
    """A FHIR server that wants SMART Backend Services, with one registered client."""
    alg = str(request.param)
    folder = tmp_path_factory.mktemp(f"fhir-smart-{alg}")
    client_id = f"trialmatch-test-{alg.lower()}"
    url = _start(folder, "--smart-client", client_id, "--smart-alg", alg)
    try:
        token = (folder / "admin_token").read_text().strip()
        _load(url, token)
        yield SmartServer(url, client_id, alg, folder / "keys" / f"{client_id}.pem", token)
    finally:
        _stop(folder)
