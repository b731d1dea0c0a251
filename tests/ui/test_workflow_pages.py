"""The match workflow pages (app/ui/workflow.py): record a status from a form, the list per
trial with its status filter, the CSV download; guarded, audited and CSRF-checked like the
rest of the coordinator's pages, with no patient reference in any URL."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.auth.api_keys import new_api_key
from app.config import REPO_ROOT, Settings
from app.main import create_app
from app.store.audit import AuditEvent, list_events
from app.store.workflow import history
from app.ui.pages import templates
from tests.ui.test_access import csrf_of, sign_in

TRIAL = "NCT06949098"
PAGE = f"/ui/trials/{TRIAL}/workflow"
DOWNLOAD = f"/ui/trials/{TRIAL}/workflow.csv"
BUNDLED = REPO_ROOT / "criteria"
LOOPBACK = ("127.0.0.1", 50000)
SCRIPT = "<script>alert('x')</script>"
COORDINATOR_KEY, COORDINATOR = new_api_key(
    "coordinator", ["trialmatch/workflow.write", "trialmatch/patient.read"]
)
READER_KEY, READER = new_api_key("nurse", ["trialmatch/patient.read"])
LIBRARY_KEY, LIBRARY = new_api_key("library-viewer", ["trialmatch/trials.read"])
URL_ATTRIBUTE = re.compile(r'(?:href|action|src)="([^"]*)"')


@pytest.fixture
def local(database_url: str) -> Iterator[TestClient]:
    """The loopback default (every scope), the bundled library."""
    settings = Settings(database_url=database_url, criteria_dir=BUNDLED)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


@pytest.fixture
def remote(database_url: str) -> Iterator[TestClient]:
    """API keys configured; the browser is on another machine and signs in."""
    settings = Settings(
        database_url=database_url,
        criteria_dir=BUNDLED,
        api_keys=f"{COORDINATOR.line()};{READER.line()};{LIBRARY.line()}",
        rate_limit_per_minute=0,
    )
    with TestClient(
        create_app(settings), client=("10.20.30.40", 41000), base_url="http://tm.test"
    ) as client:
        yield client


def record(
    client: TestClient, patient: str, status: str, note: str = "", trial: str = TRIAL
) -> str:
    """Post the page's own form (with its CSRF token); the redirect's target."""
    form = client.get(PAGE)
    assert form.status_code == 200
    response = client.post(
        f"/ui/trials/{trial}/workflow",
        data={"csrf_token": csrf_of(form.text), "patient": patient, "status": status, "note": note},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def rows_of(page: str) -> list[tuple[str, str]]:
    """(patient, status label) of each row of the list."""
    return re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td><span class="tag status-[a-z_]+">([^<]+)</span>', page
    )


def audit_rows(client: TestClient) -> list[AuditEvent]:
    with client.app.state.audit_sessions() as session:  # type: ignore[attr-defined]
        return list(reversed(list_events(session, limit=100)))


def test_a_status_recorded_from_the_form_is_listed_as_the_current_one(local: TestClient) -> None:
    assert record(local, "Patient/123", "contacted", "Phoned.") == f"{PAGE}?recorded=1"
    record(local, "Patient/456", "new")
    location = record(local, "Patient/123", "screened", "Seen in clinic.")
    assert "Patient" not in location and "123" not in location

    page = local.get(location)
    assert page.status_code == 200
    assert "Status recorded." in page.text
    assert rows_of(page.text) == [("Patient/123", "Screened"), ("Patient/456", "New")]
    assert "Seen in clinic." in page.text and "Phoned." not in page.text  # the current note
    with local.app.state.sessions() as session:  # type: ignore[attr-defined]
        steps = history(session, TRIAL, "Patient/123")
    assert [(e.status.value, e.note, e.recorded_by) for e in steps] == [
        ("contacted", "Phoned.", "loopback"),
        ("screened", "Seen in clinic.", "loopback"),
    ]


def test_the_status_filter_answers_who_is_in_screening(local: TestClient) -> None:
    record(local, "Patient/1", "screened")
    record(local, "Patient/2", "screened")
    record(local, "Patient/2", "enrolled")
    record(local, "Patient/3", "under_review")
    page = local.get(PAGE, params={"status": "screened"}).text
    assert rows_of(page) == [("Patient/1", "Screened")]
    assert '<option value="screened" selected>' in page
    assert f'href="{DOWNLOAD}?status=screened"' in page  # the download keeps the filter
    everyone = local.get(PAGE, params={"status": ""}).text  # the form's "Any"
    assert [patient for patient, _ in rows_of(everyone)] == ["Patient/3", "Patient/2", "Patient/1"]
    nobody = local.get(PAGE, params={"status": "deferred"}).text
    assert rows_of(nobody) == [] and "No patient's current status is “Deferred”." in nobody
    for field in ("status",):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page


def test_the_download_is_the_apis_csv_with_formulas_made_text(local: TestClient) -> None:
    record(local, "Patient/1", "screened", '=HYPERLINK("http://evil.example")')
    record(local, "Patient/2", "declined", "@SUM(A1)")
    record(local, "Patient/3", "screened", '+1, said "maybe"')
    download = local.get(DOWNLOAD, params={"status": "screened"})
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0][:5] == ["trial", "patient", "status", "status_label", "note"]
    assert [(row[1], row[4]) for row in rows[1:]] == [
        ("Patient/3", '\'+1, said "maybe"'),
        ("Patient/1", '\'=HYPERLINK("http://evil.example")'),
    ]
    api = local.get(f"/v1/trials/{TRIAL}/workflow.csv", params={"status": "screened"})
    assert api.text == download.text  # one code path


def test_pages_and_download_are_audited_by_route_template(local: TestClient) -> None:
    record(local, "Patient/123", "new")  # GET the page, then POST its form
    local.get(DOWNLOAD)
    rows = audit_rows(local)
    assert [(r.method, r.route, r.status, r.patient_ref, r.trial_ref) for r in rows] == [
        ("GET", "/ui/trials/{nct_id}/workflow", 200, None, TRIAL),
        ("POST", "/ui/trials/{nct_id}/workflow", 303, "Patient/123", TRIAL),
        ("GET", "/ui/trials/{nct_id}/workflow.csv", 200, None, TRIAL),
    ]
    assert all(r.outcome == "ok" and r.client_id == "loopback" for r in rows)


def test_a_note_is_escaped_on_the_page(local: TestClient) -> None:
    record(local, "Patient/1", "contacted", SCRIPT)
    page = local.get(PAGE).text
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_no_url_on_the_page_names_a_patient(local: TestClient) -> None:
    record(local, "Patient/pt-Zebulon-7731", "screened")
    page = local.get(PAGE).text
    assert "Patient/pt-Zebulon-7731" in page  # shown, in the table and the hidden field
    urls = URL_ATTRIBUTE.findall(page)
    assert f"/ui/trials/{TRIAL}/workflow" in urls and DOWNLOAD in urls
    assert all("Zebulon" not in url and "Patient" not in url for url in urls)


def test_the_form_carries_labels_the_token_and_the_patient_in_its_body(local: TestClient) -> None:
    record(local, "Patient/1", "new")
    page = local.get(PAGE).text
    for element in ("status", "note"):
        name = f"wf-{TRIAL}-Patient-1-{element}"
        assert f'<label for="{name}">' in page and f'id="{name}"' in page
    assert '<input type="hidden" name="patient" value="Patient/1">' in page
    assert '<option value="new" selected>New</option>' in page  # the current status
    # The form for a patient not listed yet asks for the reference.
    assert f'<label for="wf-{TRIAL}-new-patient">Patient reference</label>' in page


def test_the_partial_renders_for_another_page_per_trial() -> None:
    """As the match report includes it: one form per trial, for the report's patient."""
    source = (
        "{% for nct in trials %}{% with trial_id=nct, patient_ref=patient %}"
        '{% include "_workflow_form.html" %}{% endwith %}{% endfor %}'
    )
    html = templates.env.from_string(source).render(
        trials=["NCT06949098", "NCT06122493"], patient="Patient/123", csrf_token="tok-1"
    )
    assert html.count('<form class="workflow" method="post"') == 2
    assert 'action="/ui/trials/NCT06949098/workflow"' in html
    assert 'action="/ui/trials/NCT06122493/workflow"' in html
    assert html.count('<input type="hidden" name="csrf_token" value="tok-1">') == 2
    assert html.count('<input type="hidden" name="patient" value="Patient/123">') == 2
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == len(set(ids)) == 4  # status and note, per trial: no clash
    assert all(f'<label for="{i}">' in html for i in ids)
    assert html.count("<option ") == 2 * 8 and " selected" not in html
    # Two "Status" fields on one page: each label tells a screen reader which one it is.
    assert 'Status<span class="sr-only"> of Patient/123 on NCT06122493</span>' in html


def test_the_trial_page_links_to_its_workflow(local: TestClient) -> None:
    page = local.get(f"/ui/trials/{TRIAL}").text
    assert f'<a href="{PAGE}">Match workflow</a>' in page


def test_a_form_without_its_csrf_token_is_refused_and_nothing_recorded(
    local: TestClient,
) -> None:
    local.get(PAGE)
    forged = local.post(
        PAGE, data={"patient": "Patient/1", "status": "enrolled"}, follow_redirects=False
    )
    assert forged.status_code == 403 and "ui.csrf_failed" in forged.text
    form = local.get(PAGE)
    elsewhere = local.post(
        PAGE,
        data={"csrf_token": csrf_of(form.text), "patient": "Patient/1", "status": "enrolled"},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert elsewhere.status_code == 403 and "ui.csrf_failed" in elsewhere.text
    assert rows_of(local.get(PAGE).text) == []
    assert all(r.method == "GET" for r in audit_rows(local))  # refused before the route


def test_scopes_as_the_api_has_them(remote: TestClient) -> None:
    first = remote.get(PAGE, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/ui/login")
    login = remote.get("/ui/login")  # the session's token, but nobody signed in
    anonymous = remote.post(
        PAGE,
        data={"csrf_token": csrf_of(login.text), "patient": "Patient/1", "status": "new"},
        follow_redirects=False,
    )
    assert anonymous.status_code == 401 and "auth.required" in anonymous.text
    sign_in(remote, LIBRARY_KEY, PAGE)
    refused = remote.get(PAGE)
    assert refused.status_code == 403 and "trialmatch/patient.read" in refused.text
    assert remote.get(DOWNLOAD).status_code == 403
    sign_in(remote, READER_KEY, PAGE)
    page = remote.get(PAGE)
    assert page.status_code == 200
    denied = remote.post(
        PAGE,
        data={"csrf_token": csrf_of(page.text), "patient": "Patient/1", "status": "new"},
        follow_redirects=False,
    )
    assert denied.status_code == 403 and "trialmatch/workflow.write" in denied.text
    sign_in(remote, COORDINATOR_KEY, PAGE)
    assert record(remote, "Patient/1", "new") == f"{PAGE}?recorded=1"
    listed = remote.get(PAGE).text
    assert rows_of(listed) == [("Patient/1", "New")]
    assert "apikey:coordinator" in listed
    assert COORDINATOR_KEY not in listed


@pytest.mark.parametrize("path", ["/ui/trials/NCT00000000/workflow", "/ui/trials/nct-1/workflow"])
def test_an_unknown_trial_is_a_404_page(local: TestClient, path: str) -> None:
    page = local.get(path)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "trial.not_found" in page.text
    assert local.get(path + ".csv").status_code == 404
    form = local.get(PAGE)
    posted = local.post(
        path,
        data={"csrf_token": csrf_of(form.text), "patient": "Patient/1", "status": "new"},
        follow_redirects=False,
    )
    assert posted.status_code == 404 and "trial.not_found" in posted.text


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"patient": "Patient/1", "status": "in_screening"}, "status"),
        ({"patient": "Patient/Zebulon 7731", "status": "new"}, "patient"),
        ({"patient": "Patient/1", "status": "new", "note": "x" * 2001}, "note"),
    ],
)
def test_a_form_the_workflow_does_not_take_is_a_422_page_that_echoes_nothing(
    local: TestClient, fields: dict[str, str], named: str
) -> None:
    form = local.get(PAGE)
    response = local.post(PAGE, data={"csrf_token": csrf_of(form.text), **fields})
    assert response.status_code == 422
    assert f"Check these fields: {named}." in response.text
    assert "Zebulon" not in response.text and "in_screening" not in response.text
    assert "x" * 50 not in response.text
    assert rows_of(local.get(PAGE).text) == []


def test_an_unknown_status_filter_is_a_422_page(local: TestClient) -> None:
    page = local.get(PAGE, params={"status": "in_screening"})
    assert page.status_code == 422 and "request.enum" in page.text
    assert "in_screening" not in page.text
    assert local.get(DOWNLOAD, params={"status": "in_screening"}).status_code == 422
