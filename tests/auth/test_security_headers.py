"""Security headers and CORS on the real application (`create_app`), and settings checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.auth.authenticator import AuthConfigError
from app.config import Settings
from app.main import create_app

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def _client(**settings: object) -> TestClient:
    return TestClient(create_app(Settings(**settings)), client=("127.0.0.1", 5))


@pytest.mark.parametrize("path", ["/healthz", "/nowhere", "/openapi.json"])
def test_every_response_carries_the_security_headers(path: str) -> None:
    response = _client().get(path)
    for name, value in EXPECTED.items():
        assert response.headers[name] == value
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_from_this_origin_only_and_cannot_be_framed(path: str) -> None:
    response = _client().get(path)
    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    # Nothing beyond this origin (and inline / data: / blob: within the page).
    sources = {source for value in policy.values() for source in value.split()}
    assert sources <= {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}
    assert response.headers["X-Frame-Options"] == "DENY"


def test_refusals_from_middleware_carry_them_too() -> None:
    response = _client(max_body_bytes=1024).post("/healthz", content=b"x" * 4096)
    assert response.status_code == 413
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_hsts_when_configured() -> None:
    response = _client(hsts_seconds=31536000).get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_cors_is_off_by_default() -> None:
    client = _client()
    response = client.get("/healthz", headers={"Origin": "https://ehr.example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options(
        "/healthz",
        headers={"Origin": "https://ehr.example.org", "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_cors_allows_only_the_configured_origins() -> None:
    client = _client(cors_origins="https://ehr.example.org, https://board.example.org")
    allowed = client.get("/healthz", headers={"Origin": "https://ehr.example.org"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ehr.example.org"
    other = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/healthz",
        headers={
            "Origin": "https://board.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://board.example.org"


@pytest.mark.parametrize("origins", ["*", "https://ehr.example.org/path", "ehr.example.org"])
def test_cors_refuses_wildcards_and_non_origins(origins: str) -> None:
    with pytest.raises(AuthConfigError, match="exact origins"):
        create_app(Settings(cors_origins=origins))


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"auth_issuer": "https://idp"}, "AUDIENCE"),
        ({"auth_issuer": "https://idp", "auth_audience": "tm"}, "JWKS_URL or"),
        (
            {
                "auth_issuer": "https://idp",
                "auth_audience": "tm",
                "auth_jwks_url": "http://idp.example.org/jwks",
            },
            "must be https",
        ),
        (
            {
                "auth_issuer": "https://idp",
                "auth_audience": "tm",
                "auth_jwks_url": "https://idp/jwks",
                "auth_jwks_file": Path("/etc/hostname"),
            },
            "not both",
        ),
        ({"auth_audience": "tm"}, "without TRIALMATCH_AUTH_ISSUER"),
        ({"api_keys": "nonsense"}, "entry 1"),
    ],
)
def test_incomplete_auth_settings_refuse_to_start(
    settings: dict[str, object], complaint: str
) -> None:
    with pytest.raises(AuthConfigError, match=complaint):
        create_app(Settings(**settings))
