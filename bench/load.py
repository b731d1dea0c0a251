"""Load benchmark: `trialmatch serve` against a parse-only ASGI app on the same server settings.

Both servers are started side by side on free loopback ports with the same uvicorn options
(``app.cli.uvicorn_options``): the parse-only app (``parse_only`` below) reads the body,
``orjson.loads`` it and answers 200; trialmatch runs the whole match on a fresh store. Each
is driven in turn by a bounded async client (httpx) with the same 200-resource record
(``bench/normalize.py``'s ``record()``) at 16, 32 and 64 concurrent clients. Printed per
level: requests per second of each, their ratio, p50/p95/p99 latency, non-200 answers, and
whether every 200 of trialmatch has its audit row. Then, on trialmatch alone: a
5,000-resource record's match time against ``json.loads`` of its bytes (timed in a fresh
interpreter, so the benchmark's own objects do not slow the yardstick), and ``/healthz``
p99 while big matches run against its idle p99. Run::

    PYTHONPATH=. .venv/bin/python bench/load.py        # SQLite, and PostgreSQL if named:
    TRIALMATCH_BENCH_POSTGRES_URL=postgresql+psycopg://... PYTHONPATH=. .venv/bin/python \
        bench/load.py --workers 2

PostgreSQL is used too when ``TRIALMATCH_BENCH_POSTGRES_URL`` (or
``TRIALMATCH_TEST_POSTGRES_URL``) names a database; each run uses a schema of its own,
dropped afterwards. Everything is bounded: a fixed number of requests per level, a deadline
per phase, servers stopped at the end. Loopback only. The rate limit is turned off for
trialmatch (one client sends everything); authentication is the loopback mode.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.store.models import AuditEventRow
from bench.normalize import record

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
HEADERS = {"Content-Type": "application/fhir+json"}
MATCH_PATH = "/v1/match?as_of=2026-11-22&include_ineligible=true"


# --- the parse-only app ------------------------------------------------------------------


async def parse_only(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Read the whole body, ``orjson.loads`` it, answer 200 ``{"ok":true}``; nothing else."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    if body:
        orjson.loads(body)
    payload = b'{"ok":true}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def server_options(port: int, workers: int | None) -> dict[str, Any]:
    """The uvicorn options `trialmatch serve` uses, so both apps run on the same settings."""
    try:
        from app.cli import uvicorn_options
    except ImportError:  # before `serve` had options of its own: uvicorn.run's defaults
        return {"host": HOST, "port": port, "access_log": False}
    from app.config import Settings

    settings = Settings(host=HOST, port=port)
    return uvicorn_options(settings, workers=workers)


def _serve_parse_only(port: int, workers: int | None) -> None:
    import uvicorn

    uvicorn.run("bench.load:parse_only", **server_options(port, workers))


# --- servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start(name: str, argv: list[str], env: dict[str, str], port: int, logdir: Path) -> Server:
    log = logdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its workers
        )
    return Server(name, port, process, log)


def wait_ready(server: Server, path: str, deadline_s: float = 180.0) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited at start; see {server.log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.base + path, timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise SystemExit(f"{server.name} not ready within {deadline_s:.0f} s; see {server.log}")


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    timed_out: bool = False

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def non_200(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)

    def pct(self, q: float) -> float:
        """The q-th percentile latency in ms (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def drive(url: str, body: bytes, requests: int, clients: int, deadline_s: float) -> Run:
    """POST `body` `requests` times from `clients` concurrent connections."""
    run = Run()
    left = iter(range(requests))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:

        async def client() -> None:
            for _ in left:
                began = time.perf_counter()
                try:
                    status = (await http.post(url, content=body, headers=HEADERS)).status_code
                except httpx.HTTPError:
                    status = 0  # no answer: counted as a non-200
                run.latencies.append(time.perf_counter() - began)
                run.statuses[status] += 1

        began = time.perf_counter()
        tasks = [asyncio.create_task(client()) for _ in range(clients)]
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), deadline_s)
        except TimeoutError:
            run.timed_out = True
        run.seconds = time.perf_counter() - began
    return run


async def sample_health(base: str, samples: int, deadline_s: float) -> Run:
    run = Run()
    began = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(samples):
            if time.perf_counter() - began > deadline_s:
                run.timed_out = True
                break
            t = time.perf_counter()
            try:
                status = (await http.get(base + "/healthz")).status_code
            except httpx.HTTPError:
                status = 0
            run.latencies.append(time.perf_counter() - t)
            run.statuses[status] += 1
            await asyncio.sleep(0.005)
    run.seconds = time.perf_counter() - began
    return run


async def during(background: Callable[[], Awaitable[None]], jobs: int, measure: Any) -> Any:
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            await background()

    tasks = [asyncio.create_task(loop()) for _ in range(jobs)]
    await asyncio.sleep(0.5)  # let the big matches start
    try:
        return await measure
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        action()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


_CLEAN_PARSE = """
import json, statistics, sys, time
import orjson
body = open(sys.argv[1], "rb").read()
def median(action):
    times = []
    for _ in range(int(sys.argv[2])):
        t = time.perf_counter()
        action()
        times.append(time.perf_counter() - t)
    return statistics.median(times)
print(median(lambda: json.loads(body)), median(lambda: orjson.loads(body)))
"""


def clean_parse_seconds(body: bytes, runs: int, tmp: Path) -> tuple[float, float]:
    """json.loads and orjson.loads of ``body``, each the median of ``runs``, timed in a fresh
    interpreter: in this process the cyclic collector would also scan the benchmark's own
    objects on every parse and inflate the yardstick."""
    path = tmp / "parse-body.json"
    path.write_bytes(body)
    out = subprocess.run(
        [sys.executable, "-c", _CLEAN_PARSE, str(path), str(runs)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.split()
    return float(out[0]), float(out[1])


# --- stores ------------------------------------------------------------------------------


@contextlib.contextmanager
def store(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh store's URL: a SQLite file, or a new schema of the PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    base = (
        os.environ.get("TRIALMATCH_BENCH_POSTGRES_URL")
        or os.environ["TRIALMATCH_TEST_POSTGRES_URL"]
    )
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def audited_ok(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).where(AuditEventRow.status == 200)
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


# --- the benchmark -----------------------------------------------------------------------


def line(*cells: object) -> None:
    print("  ".join(f"{c:>10}" if not isinstance(c, str) else f"{c:<10}" for c in cells))


async def bench_backend(backend: str, args: argparse.Namespace, tmp: Path) -> None:
    small = record(200)
    big = record(5000)
    with store(backend, tmp) as url:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "TRIALMATCH_DATABASE_URL": url,
            "TRIALMATCH_RATE_LIMIT_PER_MINUTE": "0",
            "TRIALMATCH_HOST": HOST,
            "TRIALMATCH_LOG_LEVEL": "WARNING",
        }
        env.pop("TRIALMATCH_API_KEYS", None)
        env.pop("TRIALMATCH_AUTH_ISSUER", None)
        workers = ["--workers", str(args.workers)] if args.workers else []
        p_port, t_port = free_port(), free_port()
        parse = start(
            "parse-only",
            [sys.executable, "-m", "bench.load", "--serve-parse-only", str(p_port), *workers],
            env,
            p_port,
            tmp,
        )
        trial_env = {**env, "TRIALMATCH_PORT": str(t_port)}
        trialmatch_bin = str(Path(sys.executable).parent / "trialmatch")
        tm = start("trialmatch", [trialmatch_bin, "serve", *workers], trial_env, t_port, tmp)
        try:
            wait_ready(parse, "/healthz")
            wait_ready(tm, "/readyz")
            await drive(parse.base + "/", small, 50, 4, args.deadline)  # warm-up
            await drive(tm.base + MATCH_PATH, small, 50, 4, args.deadline)
            sent_ok = 50
            print(
                f"\n{backend}: 200-resource record ({len(small):,} bytes), "
                f"{args.requests} requests per level, workers {args.workers or 'default'}"
            )
            line("clients", "app", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-200", "ratio")
            for clients in args.clients:
                base = await drive(parse.base + "/", small, args.requests, clients, args.deadline)
                run = await drive(
                    tm.base + MATCH_PATH, small, args.requests, clients, args.deadline
                )
                sent_ok += run.statuses[200]
                for name, r, ratio in (("parse-only", base, ""), ("trialmatch", run, "")):
                    cells: list[object] = [
                        str(clients),
                        name,
                        f"{r.rate:.1f}",
                        f"{r.pct(50):.0f}",
                        f"{r.pct(95):.0f}",
                        f"{r.pct(99):.0f}",
                        r.non_200,
                    ]
                    if name == "trialmatch":
                        ratio = f"{run.rate / base.rate:.3f}" if base.rate else "-"
                    line(*cells, ratio + (" TIMED OUT" if r.timed_out else ""))
                if run.non_200:
                    print(f"    non-200 answers: {dict(run.statuses)}")

            if not args.skip_big:
                stdlib, fast = clean_parse_seconds(big, 7, tmp)
                big_run = await drive(tm.base + MATCH_PATH, big, args.big_runs, 1, args.deadline)
                sent_ok += big_run.statuses[200]
                match_s = statistics.median(big_run.latencies)
                print(
                    f"\n{backend}: 5,000-resource record ({len(big):,} bytes), "
                    f"{args.big_runs} matches one at a time"
                )
                print(
                    f"  json.loads {1000 * stdlib:.1f} ms (orjson.loads {1000 * fast:.1f} ms); "
                    f"POST /v1/match median {1000 * match_s:.0f} ms: "
                    f"{match_s / stdlib:.1f}x json.loads; non-200 {big_run.non_200}"
                )

                idle = await sample_health(tm.base, args.health_samples, args.deadline)
                big_ok: Counter[int] = Counter()

                async def one_big() -> None:
                    async with httpx.AsyncClient(timeout=120) as http:
                        answer = await http.post(tm.base + MATCH_PATH, content=big, headers=HEADERS)
                        big_ok[answer.status_code] += 1

                busy = await during(
                    one_big,
                    args.big_clients,
                    sample_health(tm.base, args.health_samples, args.deadline),
                )
                sent_ok += big_ok[200]
                ratio = busy.pct(99) / idle.pct(99)
                print(
                    f"  /healthz p99 idle {idle.pct(99):.1f} ms; during {args.big_clients} "
                    f"concurrent big matches {busy.pct(99):.1f} ms: {ratio:.1f}x idle "
                    f"(p50 {idle.pct(50):.1f} / {busy.pct(50):.1f} ms; "
                    f"big matches {dict(big_ok)})"
                )
        finally:
            for server in (parse, tm):
                if server.process.poll() is not None:
                    tail = server.log.read_text(errors="replace").splitlines()[-15:]
                    print(f"  {server.name} stopped by itself; its log ends:", *tail, sep="\n    ")
                server.stop()
        rows = audited_ok(url)
        verdict = "every 200 has its row" if rows == sent_ok else "MISMATCH"
        print(f"  audit: {sent_ok} answers 200, {rows} audit rows with status 200: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve-parse-only", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=None, help="uvicorn workers, both apps")
    parser.add_argument("--requests", type=int, default=400, help="requests per level")
    parser.add_argument(
        "--clients", type=lambda s: [int(x) for x in s.split(",")], default=[16, 32, 64]
    )
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds per phase")
    parser.add_argument("--big-runs", type=int, default=5)
    parser.add_argument("--big-clients", type=int, default=2)
    parser.add_argument("--health-samples", type=int, default=300)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    if args.serve_parse_only:
        _serve_parse_only(args.serve_parse_only, args.workers)
        return
    backends = args.backend or ["sqlite"] + (
        ["postgresql"]
        if os.environ.get("TRIALMATCH_BENCH_POSTGRES_URL")
        or os.environ.get("TRIALMATCH_TEST_POSTGRES_URL")
        else []
    )
    with tempfile.TemporaryDirectory(prefix="trialmatch-load-") as tmp:
        for backend in backends:
            asyncio.run(bench_backend(backend, args, Path(tmp)))


if __name__ == "__main__":
    main()
