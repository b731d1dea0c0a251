"""Drive the coordinator's pages in headless Chromium, as a person would: a live service on
loopback, Debian's own Chromium (driven by Playwright, never a browser Playwright downloads),
the network cut off except loopback, a screenshot per step.

Example::

    with live_service(tmp_path) as base_url, chromium() as browser:
        session = BrowserSession.open(browser, base_url)
        session.goto("/ui/trials")
        session.fill("Condition", "rectal")
        session.click("Search")
        assert "NCT06949098" in session.text()
        session.screenshot("trial-search")
        session.assert_clean()  # nothing from outside 127.0.0.1, no console error, no CSP report

Fields are found by their ``<label>`` text and buttons and links by their accessible name,
so a step fails when a page loses its labels, not only when it loses its text. A POST form
(with its hidden ``csrf_token`` and the session cookie) is driven the same way: fill, click.
An export is ``name, data = session.download("Export CSV")``.

Chromium is found on the PATH (``apt-get install chromium``). Where it is missing the tests
skip, unless ``TRIALMATCH_REQUIRE_BROWSER=1`` (set by .ci/run): then they fail. Screenshots go
to ``$TRIALMATCH_SCREENSHOT_DIR``, else ``<repo>/artifacts/screenshots``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    ViewportSize,
    sync_playwright,
)

from app.config import REPO_ROOT, Settings
from app.main import create_app

REQUIRE_ENV = "TRIALMATCH_REQUIRE_BROWSER"
SCREENSHOT_ENV = "TRIALMATCH_SCREENSHOT_DIR"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
TABLET: ViewportSize = {"width": 768, "height": 1024}
# Every request but loopback goes to a proxy that is not there, and no host name resolves:
# a page that reaches for the internet shows it as a failed request, never as a slow test.
CHROMIUM_ARGS = (
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
)
# Recorded from inside the page: CSP violations also reach the console, but this names the
# directive and the blocked address without parsing a message. An init script runs before
# the page's own and is not subject to its policy.
_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """The browser's path; skip the test where it is absent, or fail where it is required."""
    path = chromium_path()
    if path is None:
        reason = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 requires it")
        pytest.skip(reason)
    return path


def screenshot_dir() -> Path:
    configured = os.environ.get(SCREENSHOT_ENV)
    return Path(configured) if configured else REPO_ROOT / "artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_service(tmp_dir: Path, **settings_overrides: Any) -> Iterator[str]:
    """The real app under uvicorn in a thread on a free loopback port; yields its base URL.

    A new SQLite store in `tmp_dir`, loaded from the bundled library (criteria/) on start;
    `settings_overrides` are further `Settings` or replace these (``api_keys=...`` to require
    a sign-in, ``criteria_dir=...`` for another library).
    """
    port = free_port()
    options: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_dir / 'store.db'}",
        "criteria_dir": REPO_ROOT / "criteria",
        "port": port,
        # A test clicks faster than a person; the limiter is tested on its own.
        "rate_limit_per_minute": 0,
    }
    settings = Settings(**(options | settings_overrides))
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, loop="asyncio", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the service stopped while starting"
        assert time.monotonic() < deadline, "the service did not start in 30 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium under Playwright, which gives it a fresh temporary profile
    (its launch refuses ``--user-data-dir``; each `BrowserSession` adds a fresh context)."""
    path = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class BrowserSession:
    """One person's tab: its own cookies, and a record of what the pages asked for and said.

    Made by `open`; every path is relative to the service, every wait is Playwright's own
    (an element is waited for until it is there, at most `timeout_ms`).
    """

    context: BrowserContext
    page: Page
    base_url: str
    shots: Path
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    # (message, the address it is about): a failed load names the resource.
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    # Addresses whose failure is no fault of a page: the favicon the browser asks for by
    # itself (the service has none), an error page a step asked for, a download.
    expected_failures: set[str] = field(default_factory=set)

    @classmethod
    def open(
        cls,
        browser: Browser,
        base_url: str,
        *,
        viewport: ViewportSize = DESKTOP,
        timeout_ms: float = 10_000,
    ) -> BrowserSession:
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(timeout_ms)
        context.add_init_script(_CSP_LISTENER)
        page = context.new_page()
        session = cls(context=context, page=page, base_url=base_url, shots=screenshot_dir())
        session.expected_failures.add(base_url + "/favicon.ico")
        page.on("request", lambda request: session.requests.append(request.url))
        page.on("requestfailed", lambda request: session.failed_requests.append(request.url))
        page.on("console", session._on_console)
        page.on("pageerror", lambda error: session.console_errors.append((str(error), "")))
        return session

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append((message.text, message.location.get("url", "")))

    def close(self) -> None:
        self.context.close()

    # Moving about -------------------------------------------------------------------------

    def goto(self, path: str, *, status: int = 200) -> None:
        """Open a page of the service, which must answer `status` (an error page's 4xx is
        then expected, and its console line is not counted against the page)."""
        url = self.base_url + path
        if status >= 400:
            self.expected_failures.add(url)
        response = self.page.goto(url, wait_until="load")
        assert response is not None, f"no response for {path}"
        assert response.status == status, f"{path} answered {response.status}, not {status}"

    def fill(self, label: str, value: str) -> None:
        """Type into the field labelled `label`, or choose the option `value` of a <select>."""
        target = self.page.get_by_label(label, exact=True)
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(label=value)
        else:
            target.fill(value)

    def _control(self, text: str) -> Locator:
        return self.page.get_by_role("button", name=text, exact=True).or_(
            self.page.get_by_role("link", name=text, exact=True)
        )

    def click(self, text: str, *, navigates: bool = True) -> None:
        """Press the button or follow the link named `text`, and wait until the page it
        leads to has loaded (after any redirect, as a POST form's answer often is)."""
        if not navigates:
            self._control(text).click()
            return
        with self.page.expect_navigation(wait_until="load"):
            self._control(text).click()

    def download(self, text: str) -> tuple[str, bytes]:
        """Follow the link or press the button named `text` that answers a file (an export):
        the file name the service suggests, and the file's bytes."""
        with self.page.expect_download() as info:
            self._control(text).click()
        download = info.value
        self.expected_failures.add(download.url)
        return download.suggested_filename, Path(download.path()).read_bytes()

    def set_viewport(self, size: ViewportSize) -> None:
        self.page.set_viewport_size(size)

    # Reading ------------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The current address, less the service's origin (path and query)."""
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def text(self) -> str:
        """What a person reads on the page (rendered text, not markup)."""
        return self.page.inner_text("body")

    def heading(self) -> str:
        return self.page.locator("h1").inner_text()

    def column(self, header: str) -> list[str]:
        """The cells under the column `header` of the page's first table, top to bottom."""
        table = self.page.locator("table").first
        headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
        assert header in headers, f"no column {header!r} in {headers}"
        index = headers.index(header) + 1
        return table.locator(f"tbody tr > :nth-child({index})").all_inner_texts()

    def screenshot(self, name: str) -> Path:
        """Save the whole page as `name`.png in the screenshot folder."""
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", name), f"not a file name: {name!r}"
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    # Checks -------------------------------------------------------------------------------

    def assert_no_external_requests(self) -> None:
        """Every resource any page of this session asked for came from the service."""
        origin = self.base_url + "/"
        outside = [url for url in self.requests if not url.startswith(origin)]
        assert not outside, f"requests outside {self.base_url}: {outside}"

    def assert_no_console_errors(self) -> None:
        """No console error (a failed load or a CSP refusal shows there), no CSP report."""
        violations = self.page.evaluate("window.__cspViolations || []")
        assert not violations, f"content security policy violations: {violations}"
        failed = [url for url in self.failed_requests if url not in self.expected_failures]
        assert not failed, f"requests that failed: {failed}"
        errors = [e for e in self.console_errors if e[1] not in self.expected_failures]
        assert not errors, f"console errors (message, address): {errors}"

    def assert_stylesheet_applied(self) -> None:
        """The service's style sheet loaded and styles the page (not the browser's defaults)."""
        sheets = self.page.evaluate(
            "[...document.styleSheets].map(s => [s.href, s.cssRules.length])"
        )
        assert [self.base_url + "/ui/static/trialmatch.css"] == [href for href, _ in sheets]
        assert all(rules > 0 for _, rules in sheets), sheets
        # Unstyled, the header's band would be transparent and the body would keep its margin.
        band, margin = self.page.evaluate(
            "[getComputedStyle(document.querySelector('header.site')).backgroundColor,"
            " getComputedStyle(document.body).margin]"
        )
        assert band != "rgba(0, 0, 0, 0)" and margin == "0px", (band, margin)

    def assert_no_horizontal_overflow(self) -> None:
        """Nothing makes the page wider than the window (wide tables scroll in their box)."""
        scroll, client = self.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"the page is {scroll} px wide in a {client} px window"

    def assert_clean(self) -> None:
        self.assert_no_external_requests()
        self.assert_no_console_errors()
