"""Slow clients against the real server on loopback: uvicorn with trialmatch's httptools
protocol and options (`uvicorn_options`), the app with its body deadline. Bounded: every
socket has a timeout, every deadline here is under a second."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from app.cli import uvicorn_options
from app.config import Settings, get_settings
from app.main import create_app

HEADER_TIMEOUT = 0.6
BODY_TIMEOUT = 0.8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_settings_cache: None
) -> Iterator[int]:
    # The protocol reads its deadline from the process's settings, as under `trialmatch serve`.
    monkeypatch.setenv("TRIALMATCH_HEADER_TIMEOUT_SECONDS", str(HEADER_TIMEOUT))
    get_settings.cache_clear()
    port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        port=port,
        rate_limit_per_minute=0,
        body_timeout_seconds=BODY_TIMEOUT,
    )
    options = uvicorn_options(settings, workers=1)
    options.update(loop="asyncio", log_level="warning")  # uvloop is for the real process
    config = uvicorn.Config(create_app(settings), **options)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield port
    srv.should_exit = True
    thread.join(10)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Read until the server closes; True (and what it sent) if that is within `seconds`."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return False, received
    except ConnectionResetError:
        pass
    return True, received


def test_a_connection_that_sends_nothing_is_closed_after_the_header_deadline(server: int) -> None:
    with connect(server) as sock:
        began = time.monotonic()
        closed, received = closed_within(sock, HEADER_TIMEOUT + 3)
        assert closed and received == b""
        assert time.monotonic() - began >= HEADER_TIMEOUT * 0.8


def test_headers_trickled_a_byte_at_a_time_are_cut_off(server: int) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    with connect(server) as sock:
        began = time.monotonic()
        cut = False
        for byte in request:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            time.sleep(0.02)  # the whole request would take 5 s
            if time.monotonic() - began > HEADER_TIMEOUT + 2:
                break
        if not cut:
            cut, received = closed_within(sock, 2)
            assert b"200" not in received
        assert cut
        assert time.monotonic() - began < HEADER_TIMEOUT + 3


def test_a_body_trickled_past_its_deadline_gets_408_and_the_connection_closes(
    server: int,
) -> None:
    head = (
        b"POST /v1/match HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/fhir+json\r\nContent-Length: 1000\r\n\r\n"
    )
    with connect(server) as sock:
        sock.sendall(head)
        began = time.monotonic()
        for _ in range(20):  # 20 of the 1,000 bytes, over ~2 s
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.1)
        closed, received = closed_within(sock, 3)
    assert received.startswith(b"HTTP/1.1 408")
    assert b"request.timeout" in received
    assert b"x-content-type-options: nosniff" in received.lower()  # the security headers too
    assert closed
    assert time.monotonic() - began < BODY_TIMEOUT + 5


def test_a_prompt_client_on_the_same_server_is_served(server: int) -> None:
    with connect(server) as sock:
        time.sleep(HEADER_TIMEOUT / 3)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        closed, received = closed_within(sock, 5)
    assert closed
    assert received.startswith(b"HTTP/1.1 200")
