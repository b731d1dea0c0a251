"""The browser harness catches what it is there to catch: a request that leaves loopback
(and that the cut-off network refuses), a content security policy violation, an unlabelled
field. Without these, a green browser test would say nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.ui.browser import BrowserSession

OUTSIDE = "http://example.org/tracker.png"


def test_a_request_outside_loopback_is_seen_and_fails(
    chromium_browser: Browser, live_url: str
) -> None:
    session = BrowserSession.open(chromium_browser, live_url)
    try:
        # A page of our own making (no policy of the service's), served at the service's
        # origin, that reaches for the internet.
        def page_with_an_outside_image(route: Route) -> None:
            route.fulfill(content_type="text/html", body=f'<img src="{OUTSIDE}" alt="">')

        session.page.route(f"{live_url}/harness-check", page_with_an_outside_image)
        session.goto("/harness-check")
        session.page.wait_for_load_state("networkidle")
        with pytest.raises(AssertionError, match="requests outside"):
            session.assert_no_external_requests()
        # The proxy that is not there refused it: nothing was fetched from outside.
        assert OUTSIDE in session.failed_requests
    finally:
        session.close()


def test_a_csp_violation_is_seen(chromium_browser: Browser, live_url: str) -> None:
    session = BrowserSession.open(chromium_browser, live_url)
    try:
        session.goto("/ui/trials")
        session.assert_no_console_errors()
        # An inline style: the pages' policy allows only the service's own style sheet.
        session.page.evaluate(
            "document.head.appendChild(document.createElement('style')).textContent"
            " = 'body { color: red }'"
        )
        session.page.wait_for_function("window.__cspViolations.length > 0")
        with pytest.raises(AssertionError, match="style-src-elem blocked inline"):
            session.assert_no_console_errors()
    finally:
        session.close()


def test_fields_are_found_by_their_label_only(tab: BrowserSession) -> None:
    def form(route: Route) -> None:
        route.fulfill(
            content_type="text/html",
            body='<label for="c">Condition</label><input id="c"> <input name="unlabelled">',
        )

    tab.page.route(f"{tab.base_url}/harness-form", form)
    tab.goto("/harness-form")
    tab.page.set_default_timeout(1000)
    with pytest.raises(PlaywrightTimeoutError):
        tab.fill("unlabelled", "rectal")  # a name is not a label
    tab.fill("Condition", "rectal")
    assert tab.page.locator("#c").input_value() == "rectal"


def test_a_download_is_read_as_the_service_answers_it(tab: BrowserSession) -> None:
    def page(route: Route) -> None:
        route.fulfill(content_type="text/html", body='<a href="/harness-export">Export CSV</a>')

    def export(route: Route) -> None:
        route.fulfill(
            content_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="statuses.csv"'},
            body="trial,status\nNCT06949098,screened\n",
        )

    tab.page.route(f"{tab.base_url}/harness-page", page)
    tab.page.route(f"{tab.base_url}/harness-export", export)
    tab.goto("/harness-page")
    name, data = tab.download("Export CSV")
    assert name == "statuses.csv"
    assert data == b"trial,status\nNCT06949098,screened\n"
