"""Signing in to the coordinator's pages in headless Chromium: a service that requires a
credential sends the browser to /ui/login; the sign-in form (a POST with its CSRF token,
answered by a session cookie) opens the page asked for; signing out closes the session.

This module's `live_url` replaces the conftest's: the same live service, with API keys.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.auth.api_keys import new_api_key
from tests.ui.browser import BrowserSession, live_service

READER_KEY, READER = new_api_key("library-viewer", ["trialmatch/trials.read"])
CREDENTIAL = "Access token or API key"


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_service(tmp_path_factory.mktemp("signed"), api_keys=READER.line()) as url:
        yield url


def test_sign_in_opens_the_page_asked_for_and_sign_out_closes_it(tab: BrowserSession) -> None:
    tab.goto("/ui/trials/NCT06949098")  # a 303 to the sign-in page, then its 200
    assert tab.path == "/ui/login?next=%2Fui%2Ftrials%2FNCT06949098"
    assert tab.heading() == "Sign in"
    tab.assert_stylesheet_applied()
    tab.screenshot("sign-in")

    tab.fill(CREDENTIAL, READER_KEY)
    tab.click("Sign in")
    assert tab.path == "/ui/trials/NCT06949098"
    assert "Signed in as apikey:library-viewer" in tab.text()
    assert READER_KEY not in tab.page.content()  # the key is not kept in the page
    cookies = {c["name"]: c for c in tab.context.cookies()}
    assert cookies["tm_ui"]["httpOnly"] is True
    tab.screenshot("signed-in-trial-page")

    tab.click("Sign out")
    assert tab.path == "/ui/login"
    tab.goto("/ui/trials")
    assert tab.path == "/ui/login?next=%2Fui%2Ftrials"


def test_a_wrong_key_is_refused_on_the_page(tab: BrowserSession) -> None:
    tab.goto("/ui/login")
    tab.fill(CREDENTIAL, "tmk_not-a-key")
    # The refusal is the sign-in page again, answered 401: expected, not a page's fault.
    tab.expected_failures.add(tab.base_url + "/ui/login")
    tab.click("Sign in")
    assert tab.page.get_by_role("alert").inner_text() != ""
    assert "tmk_not-a-key" not in tab.page.content()
    assert tab.page.get_by_label(CREDENTIAL).input_value() == ""
