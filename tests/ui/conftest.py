"""Fixtures for the browser tests (tests/ui/browser.py): one live service and one headless
Chromium per test module, and a fresh `tab` (a `BrowserSession`) per test.

Example::

    def test_the_library_lists_a_trial(tab: BrowserSession) -> None:
        tab.goto("/ui/trials")
        assert "NCT06949098" in tab.text()
        tab.screenshot("library")

Every test that uses `tab` is also checked when it ends: no request left 127.0.0.1, no
console error, no CSP violation. A failing test leaves a screenshot, ``failed-<test>.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.ui.browser import BrowserSession, chromium, live_service

_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Kept so `tab` knows, as it is torn down, whether the test itself failed.
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_service(tmp_path_factory.mktemp("live-service")) as base_url:
        yield base_url


@pytest.fixture
def tab(
    request: pytest.FixtureRequest, chromium_browser: Browser, live_url: str
) -> Iterator[BrowserSession]:
    session = BrowserSession.open(chromium_browser, live_url)
    try:
        yield session
        report = request.node.stash.get(_CALL_REPORT, None)
        if report is not None and report.failed:
            name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
            session.screenshot(f"failed-{name}")
        elif report is not None and report.passed:
            session.assert_clean()
    finally:
        session.close()
