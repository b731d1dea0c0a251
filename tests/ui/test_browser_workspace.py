"""A coordinator's morning in headless Chromium, network cut off: match a patient's Bundle
and read the report, record a workflow status from it, export the trial's statuses as CSV,
and accept a suggested criterion of an imported trial. Each step saves a screenshot.

This module's `live_url` replaces the conftest's: the bundled library plus one imported
ClinicalTrials.gov trial with suggestions (tests/ui/libraries.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from app.config import REPO_ROOT
from tests.ui.browser import BrowserSession, live_service
from tests.ui.libraries import library_with_suggestions

EXAMPLE = REPO_ROOT / "examples" / "patients" / "rectal_early_low_eligible.json"
PATIENT = "Patient/rectal-early-low"
TRIAL = "NCT06949098"
IMPORTED: dict[str, str] = {}


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("library")
    IMPORTED["nct"] = library_with_suggestions(folder)
    with live_service(tmp_path_factory.mktemp("workspace"), criteria_dir=folder) as url:
        yield url


def match_the_example(tab: BrowserSession) -> None:
    tab.goto("/ui/match")
    tab.fill("Paste the patient's FHIR R4 Bundle (JSON)", EXAMPLE.read_text(encoding="utf-8"))
    tab.click("Match the Bundle")


def test_match_a_bundle_and_read_the_report(tab: BrowserSession) -> None:
    match_the_example(tab)
    assert tab.path == "/ui/match"  # a POST: the patient is in no address
    assert PATIENT in tab.text()
    row = tab.page.locator("tr", has=tab.page.locator(f"a[href='#trial-{TRIAL}']")).first
    assert "Eligible" in row.inner_text()
    tab.assert_stylesheet_applied()
    tab.screenshot("match-report")


def test_record_a_status_from_the_report_and_export_the_csv(tab: BrowserSession) -> None:
    match_the_example(tab)
    whom = f" of {PATIENT} on {TRIAL}"
    tab.fill(f"Status{whom}", "Screened")
    tab.fill(f"Note{whom}", "Seen in clinic; consent visit booked.")
    tab.click(f"Record status{whom}")
    assert tab.path.startswith(f"/ui/trials/{TRIAL}/workflow")
    assert PATIENT not in tab.path
    listed = tab.text()
    assert PATIENT in listed and "Screened" in listed
    tab.screenshot("match-workflow")

    name, body = tab.download("Download CSV")
    assert name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    mine = [r for r in rows if PATIENT in r.values()]
    assert len(mine) == 1
    assert "screened" in mine[0].values() or "Screened" in mine[0].values()


def test_accept_a_suggested_criterion(tab: BrowserSession) -> None:
    nct = IMPORTED["nct"]
    tab.goto(f"/ui/trials/{nct}/curate")
    section = tab.page.locator("#criterion-inc-0\\.b")
    assert "suggested" in section.inner_text()
    tab.screenshot("curation-before")
    with tab.page.expect_navigation(wait_until="load"):
        section.get_by_role("button", name="Accept the suggestion", exact=True).click()
    assert tab.path == f"/ui/trials/{nct}/curate"
    section = tab.page.locator("#criterion-inc-0\\.b")
    text = section.inner_text()
    assert "curated" in text and "loopback" in text
    assert section.get_by_role("button", name="Accept the suggestion", exact=True).count() == 0
    tab.screenshot("curation-accepted")
