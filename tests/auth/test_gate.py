"""The gate: a guarded route without a credential that opens it is refused before a byte of
the body is read; a path no route takes is answered unread. Driven as ASGI, with a
`receive` that counts what the app read."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from app.auth.api_keys import new_api_key
from app.config import Settings
from app.main import create_app

MATCH_KEY, MATCH = new_api_key("engine", ["trialmatch/match"])
READER_KEY, READER = new_api_key("viewer", ["trialmatch/trials.read"])
CHUNK = b"x" * 65536


def call(path: str, headers: dict[str, str], chunks: int = 16) -> tuple[int, int, str]:
    """POST `chunks` chunks to `path`; (status, chunks the app read, error type or '')."""
    # The body is parsed by the middleware here, never left for a match process.
    settings = Settings(
        api_keys=f"{MATCH.line()};{READER.line()}",
        rate_limit_per_minute=0,
        match_process_min_bytes=0,
    )
    app = create_app(settings)
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": CHUNK, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/fhir+json"),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ],
        "client": ("10.1.2.3", 40000),
        "server": ("127.0.0.1", 8000),
    }
    anyio.run(app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    kind = ""
    if body.startswith(b'{"detail"'):
        import json

        kind = json.loads(body)["detail"][0]["type"]
    return start["status"], read, kind


@pytest.mark.parametrize(
    ("headers", "status", "kind"),
    [
        ({}, 401, "auth.required"),
        ({"X-API-Key": "tmk_engine_wrong"}, 401, "auth.invalid_token"),
        ({"Authorization": "Bearer not-a-jwt"}, 401, "auth.invalid_token"),
        ({"X-API-Key": READER_KEY}, 403, "auth.insufficient_scope"),
    ],
    ids=["no credential", "bad key", "bad token", "without the scope"],
)
def test_a_guarded_route_refuses_before_reading_the_body(
    headers: dict[str, str], status: int, kind: str
) -> None:
    assert call("/v1/match", headers) == (status, 0, kind)


def test_a_path_no_route_takes_is_answered_unread() -> None:
    assert call("/v1/no-such-route", {}) == (404, 0, "request.not_found")
    assert call("/healthz", {}) == (405, 0, "request.method_not_allowed")  # GET only


def test_a_credential_that_opens_the_route_gets_its_body_read() -> None:
    # Read to the end (16 chunks), then refused as not JSON: the control for the zeros above.
    assert call("/v1/match", {"X-API-Key": MATCH_KEY}) == (422, 16, "request.json_invalid")
