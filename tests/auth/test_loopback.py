"""The loopback rule: no authentication configured means this machine only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.auth.api_keys import new_api_key
from app.auth.loopback import UnsafeBind, ensure_safe_bind, is_loopback_host
from app.cli import cli
from app.config import Settings, get_settings
from app.main import create_app
from tests.auth.conftest import error_type, guarded_app


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)
    ensure_safe_bind(Settings(host=host))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "10.0.0.5", "trialmatch.example.org"])
def test_other_hosts_without_auth_refuse_to_start(host: str) -> None:
    with pytest.raises(UnsafeBind) as refused:
        ensure_safe_bind(Settings(host=host))
    message = str(refused.value)
    assert "no authentication is configured" in message
    assert "TRIALMATCH_AUTH_ISSUER" in message
    assert "TRIALMATCH_API_KEYS" in message


def test_other_hosts_with_auth_may_start() -> None:
    _, entry = new_api_key("engine", ["trialmatch/match"])
    ensure_safe_bind(Settings(host="0.0.0.0", api_keys=entry.line()))


def test_app_factory_refuses_a_public_address_without_auth() -> None:
    with pytest.raises(UnsafeBind, match=r"0\.0\.0\.0"):
        create_app(Settings(host="0.0.0.0"))


def test_serve_refuses_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALMATCH_HOST", "0.0.0.0")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "Refusing to start" in result.output
    assert "0.0.0.0" in result.output


def test_without_auth_a_loopback_peer_gets_every_scope() -> None:
    client = TestClient(guarded_app(Settings(rate_limit_per_minute=0)), client=("127.0.0.1", 5))
    response = client.get("/v1/trials")
    assert response.status_code == 200
    assert response.json() == {"client": "loopback", "method": "loopback"}
    assert client.get("/v1/patients/p1/matches").status_code == 200


def test_without_auth_a_remote_peer_is_refused() -> None:
    """A server started around the check (uvicorn --host 0.0.0.0) still serves no one else."""
    client = TestClient(guarded_app(Settings(rate_limit_per_minute=0)), client=("192.0.2.7", 5))
    response = client.get("/v1/trials")
    assert response.status_code == 401
    assert error_type(response) == "auth.required"
    assert client.get("/healthz").status_code == 200
