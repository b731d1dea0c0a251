"""``/docs`` and ``/redoc`` render in headless Chromium with the network cut off: every
request but loopback goes to a proxy that is not there, and no host name resolves.

Skipped where Chromium is not installed (``apt-get install chromium``), unless
TRIALMATCH_REQUIRE_BROWSER=1 (.ci/run): then it fails. The page and asset checks of
tests/api/test_docs.py run everywhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from app.config import Settings
from app.main import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Where the browser is required (.ci/run), a missing one fails the test instead.
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("TRIALMATCH_REQUIRE_BROWSER") != "1",
    reason="Chromium is not installed",
)
# Text only the rendered page holds: it comes from /openapi.json, drawn by the script.
RENDERED = "CodeX trial matching"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    db = tmp_path_factory.mktemp("docs-browser") / "store.db"
    settings = Settings(database_url=f"sqlite:///{db}", port=port, rate_limit_per_minute=0)
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, loop="asyncio", log_level="warning"
    )
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


def rendered_dom(port: int, page: str, profile: Path) -> tuple[str, str]:
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            # The network cut off: loopback only (Chromium never proxies it).
            "--proxy-server=http://127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=15000",
            "--dump-dom",
            f"http://127.0.0.1:{port}{page}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.stdout, result.stderr


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_render_with_no_network(server: int, page: str, tmp_path: Path) -> None:
    dom, log = rendered_dom(server, page, tmp_path / "profile")
    assert RENDERED in dom, log[-2000:]
    # No script or style of ours failed to load.
    assert f"127.0.0.1:{server}/docs/assets" not in log
