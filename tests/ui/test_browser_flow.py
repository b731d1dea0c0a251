"""The trial library pages in headless Chromium, with the network cut off: search, open a
trial, read its criteria; usable at 1280 px and on a tablet. Each step saves a screenshot
(tests/ui/browser.py says where).

Skipped where Chromium is not installed, unless TRIALMATCH_REQUIRE_BROWSER=1 (.ci/run).
Steps for the other pages go here, or in a module of their own beside it, using `tab`.
"""

from __future__ import annotations

import pytest

from tests.ui.browser import TABLET, BrowserSession

TRIAL = "NCT06949098"
TITLE = "Tumor Local Excision +Postoperative Adjuvant Chemoradiotherapy"
CRITERION = "Distal margin of primary tumor ≤8 cm from anal verge"


def test_search_the_library_and_open_a_trial(tab: BrowserSession) -> None:
    tab.goto("/ui/trials")
    assert tab.heading() == "Trial library"
    tab.assert_stylesheet_applied()
    assert "NCT06122493" in tab.column("NCT id")  # every trial, before a search

    tab.fill("Condition", "rectal")
    tab.click("Search")
    assert tab.path == "/ui/trials?condition=rectal&status=&phase="
    ids = tab.column("NCT id")
    assert TRIAL in ids
    assert "NCT06122493" not in ids  # the esophageal trial
    tab.screenshot("trial-search-rectal")

    tab.click(TRIAL)
    assert tab.path == f"/ui/trials/{TRIAL}"
    heading = tab.heading()
    assert heading.startswith(f"{TRIAL} {TITLE}")
    # The verbatim protocol text, as a person reads it on the page.
    verbatim = tab.page.locator("blockquote.verbatim").all_inner_texts()
    assert CRITERION in verbatim
    tab.assert_stylesheet_applied()
    tab.screenshot("trial-page")

    tab.assert_no_external_requests()
    tab.assert_no_console_errors()


def test_a_status_and_phase_search_keeps_its_choices(tab: BrowserSession) -> None:
    tab.goto("/ui/trials")
    tab.fill("Status", "RECRUITING")
    tab.fill("Phase", "Phase 2")
    tab.click("Search")
    assert TRIAL in tab.column("NCT id")
    assert tab.page.get_by_label("Status").input_value() == "RECRUITING"
    assert tab.page.get_by_label("Phase").input_value() == "Phase 2"


def test_an_unknown_trial_answers_a_page_of_its_own(tab: BrowserSession) -> None:
    tab.goto("/ui/trials/NCT00000000", status=404)
    assert "No trial NCT00000000 is in the library." in tab.text()
    tab.assert_stylesheet_applied()
    tab.screenshot("trial-not-found")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/ui/trials?condition=rectal", "tablet-trial-search"),
        (f"/ui/trials/{TRIAL}", "tablet-trial-page"),
    ],
)
def test_the_pages_fit_a_tablet(tab: BrowserSession, path: str, name: str) -> None:
    tab.set_viewport(TABLET)
    tab.goto(path)
    tab.assert_stylesheet_applied()
    tab.assert_no_horizontal_overflow()
    tab.screenshot(name)
