"""Body size (413), JSON depth (422) and rate (429) limits, through a real uvicorn server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.auth.api_keys import new_api_key
from app.config import Settings
from app.limits.json_depth import exceeds_depth
from app.limits.rate import TokenBucketLimiter
from tests.auth.conftest import error_type, guarded_app

LIMIT = 64 * 1024


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app behind a real uvicorn on 127.0.0.1, for as long as the block runs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", ws="none", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    settings = Settings(max_body_bytes=LIMIT, max_json_depth=32, rate_limit_per_minute=0)
    with serving(guarded_app(settings)) as url:
        yield url


def test_declared_content_length_over_the_limit_is_413(base_url: str) -> None:
    body = b'{"pad": "' + b"x" * LIMIT + b'"}'
    response = httpx.post(
        f"{base_url}/v1/match", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert error_type(response) == "request.too_large"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_chunked_body_over_the_limit_is_413(base_url: str) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(64):  # 64 x 4 KiB = four times the limit, with no Content-Length
            sent += 1
            yield b" " * 4096

    response = httpx.post(f"{base_url}/v1/match", content=chunks())
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    assert response.status_code == 413
    assert error_type(response) == "request.too_large"


def test_body_under_the_limit_reaches_the_route(base_url: str) -> None:
    payload = {"pad": "x" * (LIMIT // 2)}
    response = httpx.post(f"{base_url}/v1/match", json=payload)
    assert response.status_code == 200
    assert response.json()["got"] == payload


def test_chunked_body_under_the_limit_reaches_the_route(base_url: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"a": '
        yield b'"chunked"}'

    response = httpx.post(
        f"{base_url}/v1/match", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["got"] == {"a": "chunked"}


def test_json_nested_too_deep_is_422_before_parsing(base_url: str) -> None:
    deep = b"[" * 20_000 + b"]" * 20_000  # under the size limit
    response = httpx.post(
        f"{base_url}/v1/match", content=deep, headers={"Content-Type": "application/fhir+json"}
    )
    assert response.status_code == 422
    assert error_type(response) == "request.too_deep"


def test_json_at_the_depth_limit_is_accepted(base_url: str) -> None:
    body = b"[" * 32 + b"]" * 32
    response = httpx.post(
        f"{base_url}/v1/match", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": null}]}', 3),
        (b'{"a": "[[[[{{{{"}', 1),
        (b'{"a": "quote \\" then [[[[ and \\\\", "b": [[]]}', 3),
        (b'["\\\\", ["\\"[", [[]]]]', 4),
    ],
)
def test_depth_ignores_brackets_inside_strings(body: bytes, depth: int) -> None:
    assert not exceeds_depth(body, depth)
    assert exceeds_depth(body, depth - 1)


def test_rate_limit_answers_429_with_retry_after() -> None:
    key, entry = new_api_key("engine", ["trialmatch/trials.read"])
    other_key, other = new_api_key("other", ["trialmatch/trials.read"])
    settings = Settings(
        api_keys=f"{entry.line()};{other.line()}", rate_limit_per_minute=6, rate_limit_burst=2
    )
    client = TestClient(guarded_app(settings), client=("10.1.2.3", 40000))
    first, second, third = (client.get("/v1/trials", headers={"X-API-Key": key}) for _ in range(3))
    assert (first.status_code, second.status_code) == (200, 200)
    assert third.status_code == 429
    assert error_type(third) == "request.rate_limited"
    # 6 a minute is one every 10 s: the wait is 10 s, rounded up to whole seconds.
    assert 9 <= int(third.headers["Retry-After"]) <= 10
    # Buckets are per client: another key from the same address is still served.
    assert client.get("/v1/trials", headers={"X-API-Key": other_key}).status_code == 200
    # Probes are never limited.
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))


def test_unauthenticated_callers_are_limited_per_address() -> None:
    settings = Settings(
        api_keys=new_api_key("e", ["trialmatch/match"])[1].line(),
        rate_limit_per_minute=60,
        rate_limit_burst=1,
    )
    app = guarded_app(settings)
    first = TestClient(app, client=("198.51.100.1", 1))
    assert first.get("/v1/trials").status_code == 401
    assert first.get("/v1/trials").status_code == 429
    assert TestClient(app, client=("198.51.100.2", 1)).get("/v1/trials").status_code == 401


def test_token_bucket_refills_at_the_rate() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(per_minute=60, burst=3, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(1.0)
    now[0] += 0.5
    assert limiter.take("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.take("a") == 0.0
    now[0] += 100  # a long pause refills to the burst, no further
    assert [limiter.take("a") for _ in range(4)][-1] > 0


def test_token_bucket_forgets_the_longest_idle_client_first() -> None:
    limiter = TokenBucketLimiter(per_minute=1, burst=1, clock=lambda: 0.0, max_clients=2)
    limiter.take("a")
    limiter.take("b")
    limiter.take("c")  # "a" is forgotten, so it starts again from a full bucket
    assert limiter.take("a") == 0.0
    assert limiter.take("c") > 0
