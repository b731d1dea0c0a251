"""Real FHIR servers for the integration tests: sekmet-fhir and Medplum's FHIR engine.

`fhir_server` is parametrized over two independent implementations, so every test that uses
it runs against both: sekmet-fhir (PyPI, scripts/fhir-server.sh) and Medplum's
@medplum/fhir-router behind our HTTP front (npm, scripts/medplum-server.sh). Real EHRs
differ; a client tuned to one server is not enough.

``TRIALMATCH_TEST_FHIR_URL`` (sekmet) and ``TRIALMATCH_TEST_MEDPLUM_URL`` name running
servers to use; otherwise each script starts its server on a free loopback port for the
session and stops it at the end. If one cannot be installed its tests skip, unless ``CI`` or
``TRIALMATCH_REQUIRE_FHIR`` is set: then they fail. The SMART server is always this
session's own sekmet (its client key must be known; Medplum's engine has no token server
here), one per signing algorithm.
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
FIXTURES = REPO / "tests" / "fixtures" / "ehr"
CANNOT_INSTALL = 3  # exit code of both scripts


@dataclass(frozen=True)
class ServerKind:
    """One FHIR server implementation: how to start it, and how to name a running one."""

    name: str
    script: Path
    dir_variable: str  # the script's scratch-folder variable
    url_variable: str  # names an already running server


SEKMET = ServerKind(
    "sekmet-fhir",
    REPO / "scripts" / "fhir-server.sh",
    "TRIALMATCH_FHIR_SERVER_DIR",
    "TRIALMATCH_TEST_FHIR_URL",
)
MEDPLUM = ServerKind(
    "Medplum's FHIR engine",
    REPO / "scripts" / "medplum-server.sh",
    "TRIALMATCH_MEDPLUM_SERVER_DIR",
    "TRIALMATCH_TEST_MEDPLUM_URL",
)


@dataclass(frozen=True)
class SmartServer:
    base_url: str
    client_id: str
    alg: str
    private_key: Path
    admin_token: str


def fixture_bundles() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def _start(folder: Path, *args: str, kind: ServerKind = SEKMET) -> str:
    env = {**os.environ, kind.dir_variable: str(folder)}
    done = subprocess.run(
        [str(kind.script), "start", *args], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode == CANNOT_INSTALL and not (
        os.environ.get("CI") or os.environ.get("TRIALMATCH_REQUIRE_FHIR")
    ):
        pytest.skip(f"{kind.name} cannot be installed here")
    if done.returncode != 0:
        pytest.fail(f"{kind.script.name} start failed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def _stop(folder: Path, kind: ServerKind = SEKMET) -> None:
    env = {**os.environ, kind.dir_variable: str(folder)}
    subprocess.run([str(kind.script), "stop"], env=env, check=True, timeout=60)


def _load(base_url: str, token: str | None = None) -> None:
    headers = {"Content-Type": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    for bundle in fixture_bundles():
        response = httpx.post(base_url, content=bundle.read_bytes(), headers=headers, timeout=60)
        assert response.status_code == 200, f"loading {bundle.name}: {response.text[:500]}"


def _serve(kind: ServerKind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get(kind.url_variable)
    if url:
        _load(url)  # PUTs with fixed ids: loading twice is harmless
        yield url.rstrip("/")
        return
    folder = tmp_path_factory.mktemp(kind.script.stem)
    url = _start(folder, kind=kind)
    try:
        _load(url)
        yield url
    finally:
        _stop(folder, kind)


@pytest.fixture(scope="session")
def sekmet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of sekmet-fhir holding tests/fixtures/ehr/."""
    yield from _serve(SEKMET, tmp_path_factory)


@pytest.fixture(scope="session")
def medplum_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of Medplum's FHIR engine (behind our front) holding tests/fixtures/ehr/."""
    yield from _serve(MEDPLUM, tmp_path_factory)


@pytest.fixture(scope="session", params=["sekmet", "medplum"])
def fhir_server(request: pytest.FixtureRequest) -> str:
    """Base URL of an open FHIR server holding tests/fixtures/ehr/: each test runs on both."""
    url: str = request.getfixturevalue(f"{request.param}_server")
    return url


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
