"""Helpers of the CDS Hooks tests: a started service, hook calls and prefetch from a Bundle.

The example patients (examples/patients) are split into the prefetch an EHR would send:
the Patient, and one searchset Bundle per prefetch key of the discovery document. The
service uses the bundled trial library, as the EHR-pull tests do.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from app.cds_hooks.discovery import PATIENT_KEY, PREFETCH_TYPES
from app.config import REPO_ROOT, Settings
from app.main import create_app
from tests.fhir.conftest import sekmet_server  # noqa: F401 (a fixture, used by test_pull)

EXAMPLES = REPO_ROOT / "examples" / "patients"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))
LOOPBACK = ("127.0.0.1", 50000)
HOOK_URL = "/cds-services/trialmatch-patient-view"

Json = dict[str, Any]


def example(name: str) -> Json:
    bundle: Json = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return bundle


def patient_of(bundle: Json) -> Json:
    [patient] = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    return patient


def prefetch_of(bundle: Json) -> Json:
    """Every prefetch key, filled from the Bundle as an EHR would fill it."""
    prefetch: Json = {PATIENT_KEY: patient_of(bundle)}
    for key, types in PREFETCH_TYPES.items():
        if key == PATIENT_KEY:
            continue
        # A medication search's own type (Medication comes in as an include).
        main = {t for t in types if t != "Medication"}
        entries = [
            {"resource": e["resource"], "search": {"mode": "match"}}
            for e in bundle["entry"]
            if e["resource"]["resourceType"] in main
        ]
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    return prefetch


REPORT_LINK = re.compile(r"/ui/reports/[A-Za-z0-9_-]{43}#")


def same_cards(answer: Json) -> Json:
    """The answer with each report link's random id blanked: two calls on the same data
    keep two reports, and give the same cards otherwise."""
    blanked: Json = json.loads(REPORT_LINK.sub("/ui/reports/ID#", json.dumps(answer)))
    return blanked


def hook_call(patient_id: str, prefetch: Json | None = None, **extra: Any) -> Json:
    call: Json = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"patientId": patient_id, "userId": "Practitioner/example"},
        **extra,
    }
    if prefetch is not None:
        call["prefetch"] = prefetch
    return call


@contextmanager
def service(
    tmp_path: Path,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    client: tuple[str, int] | None = LOOPBACK,
    **settings: Any,
) -> Iterator[TestClient]:
    """A started service on a new SQLite store; `transport` carries its outbound HTTP."""
    config = Settings(
        database_url=f"sqlite:///{tmp_path / 'store.db'}", rate_limit_per_minute=0, **settings
    )
    app = create_app(config)
    app.state.cds_transport = transport
    kwargs: dict[str, Any] = {"client": client} if client is not None else {}
    with TestClient(app, **kwargs) as test_client:
        yield test_client


def audit_rows(client: TestClient, patient_ref: str) -> list[Any]:
    from app.store.audit import list_events

    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return list(list_events(session, patient_ref=patient_ref, limit=100))


class RecordingTransport(httpx.MockTransport):
    """Answers 500 to anything and remembers every request: a test asserts none was made."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(500)

        super().__init__(handler)
