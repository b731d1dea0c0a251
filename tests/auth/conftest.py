"""Fixtures for the auth tests: a real JWKS served over HTTP, signing keys, and a small app.

The JWKS server is `http.server` on 127.0.0.1 in a thread; tests change what it serves
(`jwks.publish(...)`) to rotate keys, and read `jwks.hits` to see when trialmatch fetched.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey

from app.auth import MatchPrincipal, PatientReadPrincipal, TrialsReadPrincipal
from app.config import Settings
from app.errors import ApiError
from app.security import install_security

ISSUER = "https://idp.test.example/realms/hospital"
AUDIENCE = "trialmatch"


class JwksServer:
    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.hits = 0
        self.status = 200
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                body = json.dumps(server.document).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def publish(self, *keys: Key) -> None:
        self.document = {"keys": [key.as_dict(private=False) for key in keys]}


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture(scope="session")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})


@pytest.fixture(scope="session")
def rsa_key_rotated() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-2", "use": "sig"})


@pytest.fixture(scope="session")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "svc-42",
        "client_id": "tumor-board-app",
        "iat": now,
        "exp": now + 300,
        "scope": "trialmatch/match trialmatch/trials.read",
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def mint(key: Key, alg: str = "RS256", **overrides: Any) -> str:
    header = {"alg": alg, "kid": key.kid}
    return jwt.encode(header, claims(**overrides), key, algorithms=[alg])


def jwt_settings(jwks: JwksServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auth_issuer": ISSUER,
        "auth_audience": AUDIENCE,
        "auth_jwks_url": jwks.url,
        "auth_jwks_min_refresh_seconds": 0,
        "rate_limit_per_minute": 0,
    }
    values.update(overrides)
    return Settings(**values)


def guarded_app(settings: Settings) -> FastAPI:
    """A small app with one route per scope, secured the way create_app secures the real one."""
    app = FastAPI()

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)

    router = APIRouter()

    @router.post("/v1/match")
    async def match(principal: MatchPrincipal, request: Request) -> dict[str, Any]:
        payload = await request.json()
        return {"client": principal.client_id, "method": principal.method, "got": payload}

    @router.get("/v1/patients/{patient_id}/matches")
    async def patient(principal: PatientReadPrincipal) -> dict[str, str]:
        return {"client": principal.client_id}

    @router.get("/v1/trials")
    async def trials(principal: TrialsReadPrincipal) -> dict[str, str]:
        return {"client": principal.client_id, "method": principal.method}

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(router)
    install_security(app, settings)
    return app


def error_type(response: Any) -> str:
    return str(response.json()["detail"][0]["type"])
