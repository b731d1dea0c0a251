"""`/healthz` latency while large unauthenticated uploads are refused, against idle.

The service runs under a real uvicorn on a free loopback port, with `trialmatch serve`'s
options (``app.cli.uvicorn_options``) and an API key configured (so a request without one is
unauthenticated).
Several clients each send a large ``POST /v1/match`` with no credential, over and over,
while one client times ``GET /healthz``; the same is timed with nothing else going on.
The gate (app/auth/gate.py) answers the uploads 401 before reading their bodies, so the
event loop stays free. Example::

    PYTHONPATH=. .venv/bin/python bench/unauthenticated_uploads.py --uploads 6 --mb 20

Prints p50/p90/p99 of `/healthz` idle and during the uploads, and their ratio.
`tests/security/test_hostile_load.py` runs the same harness, smaller, with a loose bound.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from app.auth.api_keys import new_api_key
from app.cli import uvicorn_options
from app.config import Settings
from app.main import create_app

CHUNK = 64 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The app under uvicorn in a thread, with the options `trialmatch serve` uses (its
    protocol, limits and proxy options), on one worker and a free port."""
    port = free_port()
    options = uvicorn_options(settings.model_copy(update={"port": port}), workers=1)
    options.update(loop="asyncio", log_level="warning")  # uvloop is for the real process
    config = uvicorn.Config(create_app(settings), **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def guarded_settings(folder: Path, **overrides: object) -> Settings:
    """A fresh SQLite store and one API key: callers without it are unauthenticated."""
    _, entry = new_api_key("bench", ["trialmatch/match"])
    values: dict[str, object] = {
        "database_url": f"sqlite:///{folder / 'store.db'}",
        "api_keys": entry.line(),
        "rate_limit_per_minute": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def upload(base: str, size: int) -> int | None:
    """One unauthenticated POST of `size` bytes; the status answered, or None if the
    connection was closed before a status line could be read."""
    host, port = base.removeprefix("http://").split(":")
    # Bracket-heavy, as a Bundle is, so a depth scan would do all its work on it.
    unit = b'{"a": [1, "[x]"]}, '
    body = (unit * (CHUNK // len(unit) + 1))[:CHUNK]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST /v1/match HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/fhir+json\r\nContent-Length: {size}\r\n\r\n"
        )
        try:
            sock.sendall(head.encode())
            sent = 0
            while sent < size:
                sock.sendall(body[: min(CHUNK, size - sent)])
                sent += CHUNK
        except OSError:
            pass  # answered and closed before the body was all sent: what the gate does
        try:
            status_line = sock.recv(64).split(b"\r\n", 1)[0].split()
            return int(status_line[1]) if len(status_line) > 1 else None
        except (OSError, ValueError):
            return None


def healthz_latencies(base: str, count: int, pause: float = 0.005) -> list[float]:
    """Seconds each of `count` sequential `GET /healthz` took, on one kept-alive connection."""
    times: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/healthz")
        for _ in range(count):
            started = time.perf_counter()
            response = client.get("/healthz")
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"/healthz answered {response.status_code}")
            time.sleep(pause)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def under_uploads(
    base: str, *, uploads: int, size: int, probes: int
) -> tuple[list[float], list[int | None]]:
    """`/healthz` latencies while `uploads` clients each upload repeatedly; and the statuses
    the uploads got. Stops by itself: the uploaders end when the probes are done."""
    done = threading.Event()
    statuses: list[int | None] = []

    def uploader() -> None:
        while not done.is_set():
            statuses.append(upload(base, size))

    threads = [threading.Thread(target=uploader, daemon=True) for _ in range(uploads)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # let the uploads get going
    try:
        latencies = healthz_latencies(base, probes)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=30)
    return latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--uploads", type=int, default=6, help="parallel uploading clients")
    parser.add_argument("--mb", type=float, default=20.0, help="size of each upload, MB")
    parser.add_argument("--probes", type=int, default=200, help="/healthz requests timed")
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    with tempfile.TemporaryDirectory() as folder, served(guarded_settings(Path(folder))) as base:
        idle = healthz_latencies(base, args.probes)
        busy, statuses = under_uploads(base, uploads=args.uploads, size=size, probes=args.probes)
    print(f"{args.uploads} clients uploading {args.mb:g} MB each without a credential")
    print(f"uploads answered: {len(statuses)}, of them 401: {statuses.count(401)}")
    for name, values in (("idle", idle), ("during uploads", busy)):
        p50, p90, p99 = (percentile(values, q) * 1000 for q in (0.5, 0.9, 0.99))
        print(f"/healthz {name:>15}: p50 {p50:6.2f} ms  p90 {p90:6.2f} ms  p99 {p99:6.2f} ms")
    print(f"p90 ratio (during / idle): {percentile(busy, 0.9) / percentile(idle, 0.9):.1f}")


if __name__ == "__main__":
    main()
