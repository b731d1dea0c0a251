"""The match report routes (app/ui/match_routes.py) through the started service: the forms,
a posted Bundle, an EHR pull, the report a CDS Hooks card links to; CSRF, scopes, audit rows,
errors as pages, and no patient data in any URL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.auth.api_keys import new_api_key
from app.config import REPO_ROOT, Settings
from app.limits.body import UNREAD_BODY_REFUSALS
from app.main import create_app
from app.store.audit import AuditEvent, list_events
from app.store.models import MatchReportRow
from tests.cds_hooks.conftest import HOOK_URL, hook_call, prefetch_of
from tests.fhir.conftest import sekmet_server  # noqa: F401 (a fixture, for the EHR pull)
from tests.fhir.test_patients_route import as_transaction
from tests.ui.report_html import Element, parse_html

LOOPBACK = ("127.0.0.1", 50000)
REMOTE = ("10.20.30.40", 41000)
EXAMPLES = REPO_ROOT / "examples" / "patients"
BUNDLED = REPO_ROOT / "criteria"
AS_OF = "2026-11-23"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MATCHER_KEY, MATCHER = new_api_key("lab-engine", ["trialmatch/match"])
READER_KEY, READER = new_api_key("chart-reader", ["trialmatch/patient.read"])
# What must never come back in a page, a URL or a header: a name and an MRN.
SECRET = "Zebulon Quixotic-Marchbanks MRN-99-4471"


def example(name: str) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return bundle


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def settings_for(database_url: str, **extra: Any) -> Settings:
    return Settings(
        database_url=database_url, criteria_dir=BUNDLED, rate_limit_per_minute=0, **extra
    )


@pytest.fixture
def local(database_url: str) -> Iterator[TestClient]:
    """The loopback default: no sign-in on this machine; the bundled library."""
    with TestClient(create_app(settings_for(database_url)), client=LOOPBACK) as client:
        yield client


def token(client: TestClient) -> str:
    return csrf_of(client.get("/ui/match").text)


def audit_rows(client: TestClient, route: str) -> list[AuditEvent]:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return [e for e in list_events(session, limit=100) if e.route == route]


def ranked(page: Element) -> list[tuple[str, str]]:
    rows = page.find("table", class_="ranking").find("tbody").find_all("tr")
    return [
        (r.find("span", class_="nct").text(), r.find("span", class_="badge").text()) for r in rows
    ]


STATUS_WORDS = {
    "eligible": "✓ Eligible",
    "possibly_eligible": "? Possibly eligible",
    "ineligible": "✗ Ineligible",
}


def api_ranking(client: TestClient, body: bytes) -> list[tuple[str, str]]:
    answer = client.post(
        f"/v1/match?as_of={AS_OF}&include_ineligible=true",
        content=body,
        headers={"content-type": "application/fhir+json"},
    )
    assert answer.status_code == 200
    return [(m["trial"], STATUS_WORDS[m["status"]]) for m in answer.json()["matches"]]


def no_patient_in_urls(response: Any, *needles: str) -> None:
    for hop in [*response.history, response]:
        assert all(n not in str(hop.url) for n in needles)
        assert all(n not in hop.headers.get("location", "") for n in needles)


def test_the_form_page_has_two_post_forms_with_labels_and_csrf(local: TestClient) -> None:
    response = local.get("/ui/match")
    assert response.status_code == 200
    page = parse_html(response.text)
    forms = page.find("main").find_all("form")
    assert [f.attr("action") for f in forms] == ["/ui/match"]  # no EHR configured here
    assert all(f.attr("method") == "post" for f in forms)
    assert forms[0].attr("enctype") == "multipart/form-data"
    labels = {label.attr("for") for label in page.find_all("label")}
    fields = [e for e in forms[0].iter() if e.tag in ("input", "textarea")]
    for field in fields:
        if field.attrs.get("type") != "hidden":
            assert field.attr("id") in labels, field.attrs
    assert [f.attr("name") for f in fields if f.attrs.get("type") == "hidden"] == ["csrf_token"]
    assert "No EHR is configured" in page.find("main").text()
    assert not page.find_all("script")


def test_a_pasted_bundle_gives_the_report_of_v1_match(local: TestClient) -> None:
    body = (EXAMPLES / "rectal_early_low_eligible.json").read_bytes()
    response = local.post(
        "/ui/match",
        data={
            "csrf_token": token(local),
            "bundle": body.decode(),
            "as_of": AS_OF,
            "include_ineligible": "true",
        },
    )
    assert response.status_code == 200, response.text[:300]
    assert response.headers["cache-control"] == "no-store"
    page = parse_html(response.text)
    assert ranked(page) == api_ranking(local, body)
    assert len(ranked(page)) == 3
    no_patient_in_urls(response, "rectal-early-low")
    [row] = audit_rows(local, "/ui/match")
    assert (row.method, row.status, row.outcome) == ("POST", 200, "ok")
    assert row.patient_ref == "Patient/rectal-early-low"
    assert row.trials_returned == 3


def test_an_uploaded_file_is_read_and_ineligible_trials_are_left_out_by_default(
    local: TestClient,
) -> None:
    body = (EXAMPLES / "rectal_missing_staging_and_performance.json").read_bytes()
    response = local.post(
        "/ui/match",
        data={"csrf_token": token(local), "as_of": AS_OF},
        files={"bundle_file": ("patient.json", body, "application/fhir+json")},
    )
    assert response.status_code == 200, response.text[:300]
    shown = ranked(parse_html(response.text))
    assert shown == [t for t in api_ranking(local, body) if t[1] != STATUS_WORDS["ineligible"]]
    assert shown and all(status == "? Possibly eligible" for _, status in shown)


def test_a_blank_as_of_is_today(local: TestClient) -> None:
    body = (EXAMPLES / "rectal_early_low_eligible.json").read_text()
    response = local.post(
        "/ui/match", data={"csrf_token": token(local), "bundle": body, "as_of": ""}
    )
    assert response.status_code == 200
    about = parse_html(response.text).by_id("report-about").parent
    assert about is not None
    assert datetime.now(UTC).date().isoformat() in about.text()


def _hidden(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle with the secret in the Patient's name."""
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"]["name"] = [{"text": SECRET}]
    return bundle


@pytest.mark.parametrize(
    ("sent", "error_type"),
    [
        (f'{{"resourceType": "Bundle", "entry": [{{"name": "{SECRET}"', "request.json_invalid"),
        (json.dumps({"resourceType": "Patient", "name": [{"text": SECRET}]}), "bundle.invalid"),
        (
            json.dumps(
                {
                    "resourceType": "Bundle",
                    "entry": [{"resource": {"resourceType": "Condition", "note": SECRET}}],
                }
            ),
            "bundle.no_patient",
        ),
        (
            json.dumps(
                {
                    "resourceType": "Bundle",
                    "entry": [{"resource": {"resourceType": "Patient", "id": SECRET}}],
                }
            ),
            "bundle.invalid_patient_id",
        ),
        ("   ", "bundle.invalid"),
        ("[" * 100 + "]" * 100, "request.too_deep"),
    ],
)
def test_an_unreadable_bundle_is_an_error_page_that_echoes_nothing(
    local: TestClient, sent: str, error_type: str
) -> None:
    response = local.post("/ui/match", data={"csrf_token": token(local), "bundle": sent})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    page = parse_html(response.text)
    assert page.find("main").find("code").text() == error_type
    assert SECRET not in response.text and "Zebulon" not in response.text
    rows = audit_rows(local, "/ui/match")
    if error_type in UNREAD_BODY_REFUSALS:
        # As the API's body checks: a body refused as not JSON was not read, no row.
        assert rows == []
    else:
        [row] = rows
        assert (row.status, row.outcome, row.patient_ref) == (422, error_type, None)


def test_a_post_without_its_csrf_token_or_from_another_site_is_refused(local: TestClient) -> None:
    body = json.dumps(_hidden(example("rectal_early_low_eligible")))
    for data, headers in (
        ({"bundle": body}, {}),
        ({"bundle": body, "csrf_token": "not-the-token"}, {}),
        ({"bundle": body, "csrf_token": token(local)}, {"Origin": "https://evil.example"}),
        ({"bundle": body, "csrf_token": token(local)}, {"Sec-Fetch-Site": "cross-site"}),
    ):
        response = local.post("/ui/match", data=data, headers=headers)
        assert response.status_code == 403
        assert parse_html(response.text).find("main").find("code").text() == "ui.csrf_failed"
        assert SECRET not in response.text
    refused_ehr = local.post("/ui/match/ehr", data={"patient_id": "rectal-early-low"})
    assert refused_ehr.status_code == 403 and "ui.csrf_failed" in refused_ehr.text
    assert audit_rows(local, "/ui/match") == []  # refused before the route: nothing matched


def test_the_pages_need_their_scopes(database_url: str) -> None:
    settings = settings_for(database_url, api_keys=f"{MATCHER.line()};{READER.line()}")
    with TestClient(create_app(settings), client=REMOTE, base_url="http://tm.test") as client:
        first = client.get("/ui/match", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/ui/login?next=%2Fui%2Fmatch"
        as_reader = client.get("/ui/match", headers={"X-API-Key": READER_KEY})
        assert as_reader.status_code == 403  # patient.read does not open the match form
        as_matcher = client.get("/ui/match", headers={"X-API-Key": MATCHER_KEY})
        assert as_matcher.status_code == 200
        ehr = client.post(
            "/ui/match/ehr",
            data={"patient_id": "rectal-early-low", "csrf_token": csrf_of(as_matcher.text)},
            headers={"X-API-Key": MATCHER_KEY},
        )
        assert ehr.status_code == 403  # match does not open an EHR pull
        assert "auth.insufficient_scope" in ehr.text
        report = client.get("/ui/reports/" + "A" * 43, headers={"X-API-Key": MATCHER_KEY})
        assert report.status_code == 403
        unsigned = client.get("/ui/reports/" + "A" * 43, follow_redirects=False)
        assert unsigned.status_code == 303


def test_without_an_ehr_the_pull_is_an_error_page(local: TestClient) -> None:
    response = local.post(
        "/ui/match/ehr", data={"csrf_token": token(local), "patient_id": "rectal-early-low"}
    )
    assert response.status_code == 503
    assert parse_html(response.text).find("main").find("code").text() == "fhir.not_configured"


@pytest.fixture(scope="module")
def with_ehr(sekmet_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:  # noqa: F811
    bundle = example("rectal_local_excision_pt1_high_risk")
    put = httpx.post(
        sekmet_server,
        json=as_transaction(bundle),
        headers={"Content-Type": "application/fhir+json"},
        timeout=60,
    )
    assert put.status_code == 200, put.text[:300]
    url = f"sqlite:///{tmp_path_factory.mktemp('ui-ehr') / 'store.db'}"
    settings = settings_for(url, fhir_base_url=sekmet_server)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def test_an_ehr_pull_gives_the_report_of_the_patient_route(with_ehr: TestClient) -> None:
    patient_id = "rectal-te-pt1-high-risk"
    form = with_ehr.get("/ui/match")
    actions = [f.attr("action") for f in parse_html(form.text).find("main").find_all("form")]
    assert actions == ["/ui/match", "/ui/match/ehr"]
    response = with_ehr.post(
        "/ui/match/ehr",
        data={
            "csrf_token": csrf_of(form.text),
            "patient_id": patient_id,
            "as_of": AS_OF,
            "include_ineligible": "true",
        },
    )
    assert response.status_code == 200, response.text[:300]
    api = with_ehr.get(
        f"/v1/patients/{patient_id}/matches", params={"as_of": AS_OF, "include_ineligible": True}
    ).json()
    assert ranked(parse_html(response.text)) == [
        (m["trial"], STATUS_WORDS[m["status"]]) for m in api["matches"]
    ]
    no_patient_in_urls(response, patient_id)
    [row] = audit_rows(with_ehr, "/ui/match/ehr")
    assert (row.patient_ref, row.status, row.trials_returned) == (
        f"Patient/{patient_id}",
        200,
        len(api["matches"]),
    )


def test_an_ehr_pull_refuses_an_id_that_is_not_a_fhir_id(with_ehr: TestClient) -> None:
    response = with_ehr.post(
        "/ui/match/ehr", data={"csrf_token": token(with_ehr), "patient_id": f"../{SECRET}"}
    )
    assert response.status_code == 422
    assert parse_html(response.text).find("main").find("code").text() == "patient.invalid_id"
    assert SECRET not in response.text
    unknown = with_ehr.post(
        "/ui/match/ehr", data={"csrf_token": token(with_ehr), "patient_id": "no-such-patient-x"}
    )
    assert unknown.status_code == 404 and "patient.not_found" in unknown.text


def _card_report_link(client: TestClient, bundle: dict[str, Any]) -> tuple[list[Any], str]:
    patient_id = next(
        e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    answer = client.post(HOOK_URL, json=hook_call(patient_id, prefetch_of(bundle)))
    assert answer.status_code == 200
    cards = answer.json()["cards"]
    assert cards
    links = [link for card in cards for link in card["links"]]
    mine = [link for link in links if link["label"] == "Open the match report in trialmatch"]
    assert len(mine) == len(cards)
    assert len({link["url"].split("#")[0] for link in mine}) == 1  # one report per answer
    for card, link in zip(cards, mine, strict=True):
        assert link["type"] == "absolute"
        # Still the trial's record on ClinicalTrials.gov beside it.
        assert any("clinicaltrials.gov/study/" in k["url"] for k in card["links"])
    url = mine[0]["url"]
    assert patient_id not in url
    return cards, url


def test_a_cds_card_links_to_the_report_of_its_answer(local: TestClient) -> None:
    bundle = example("rectal_early_low_eligible")
    cards, url = _card_report_link(local, bundle)
    path, anchor = httpx.URL(url).path, httpx.URL(url).fragment
    assert re.fullmatch(r"/ui/reports/[A-Za-z0-9_-]{43}", path)
    response = local.get(path)
    assert response.status_code == 200
    page = parse_html(response.text)
    shown = [nct for nct, _ in ranked(page)]
    carded = [re.search(r"NCT\d{8}", c["summary"]).group(0) for c in cards]  # type: ignore[union-attr]
    assert shown[: len(carded)] == carded  # the report the cards were made from
    assert page.by_id(anchor).tag == "section"  # the link lands on its trial
    assert "a CDS Hooks card" in page.by_id("report-about").parent.text()  # type: ignore[union-attr]
    [row] = audit_rows(local, "/ui/reports/{report_id}")
    assert (row.method, row.status, row.patient_ref) == ("GET", 200, "Patient/rectal-early-low")
    assert row.trials_returned == len(shown)


def test_an_unknown_or_expired_report_is_a_404_page(local: TestClient) -> None:
    _, url = _card_report_link(local, example("rectal_missing_staging_and_performance"))
    path = httpx.URL(url).path
    assert local.get(path).status_code == 200
    with local.app.state.sessions.begin() as session:  # type: ignore[attr-defined]
        session.execute(update(MatchReportRow).values(expires_at=0.0))
    for gone in (path, "/ui/reports/" + "B" * 43, "/ui/reports/not-an-id"):
        response = local.get(gone)
        assert response.status_code == 404
        assert parse_html(response.text).find("main").find("code").text() == "ui.report_not_found"
    rows = audit_rows(local, "/ui/reports/{report_id}")
    assert [(r.status, r.outcome) for r in rows].count((404, "ui.report_not_found")) == 3


def test_the_routes_are_not_in_the_openapi_document(local: TestClient) -> None:
    paths = local.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/ui/")]


def _as_transaction(bundle: dict[str, Any]) -> dict[str, Any]:
    """The Bundle as an integration engine often sends it: a transaction whose entries
    carry urn:uuid fullUrls and requests, subjects pointing at the Patient's urn:uuid."""
    patient_urn = "urn:uuid:6f1d2a7e-8c43-4b8e-9a51-3c2f0e7d9b10"
    entries = []
    for index, entry in enumerate(bundle["entry"]):
        resource = dict(entry["resource"])
        kind = resource["resourceType"]
        url = patient_urn if kind == "Patient" else f"urn:uuid:00000000-0000-4000-8000-{index:012d}"
        if "subject" in resource:
            resource["subject"] = {"reference": patient_urn}
        entries.append(
            {"fullUrl": url, "resource": resource, "request": {"method": "POST", "url": kind}}
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _verge_in_mm_month_only(bundle: dict[str, Any]) -> dict[str, Any]:
    """The distance from the anal verge in millimetres, dated to the month only."""
    changed = json.loads(json.dumps(bundle))
    for entry in changed["entry"]:
        resource = entry["resource"]
        codes = [c.get("code") for c in resource.get("code", {}).get("coding", [])]
        if resource["resourceType"] == "Observation" and "33748-5" in codes:
            resource["valueQuantity"] = {
                "value": 50,
                "unit": "mm",
                "system": "http://unitsofmeasure.org",
                "code": "mm",
            }
            resource["effectiveDateTime"] = "2026-10"
    return changed


@pytest.mark.parametrize("shape", [_as_transaction, _verge_in_mm_month_only])
def test_hospital_shapes_of_a_bundle_give_the_report_of_v1_match(
    local: TestClient, shape: Any
) -> None:
    body = json.dumps(shape(example("rectal_early_low_eligible"))).encode()
    response = local.post(
        "/ui/match",
        data={
            "csrf_token": token(local),
            "bundle": body.decode(),
            "as_of": AS_OF,
            "include_ineligible": "true",
        },
    )
    assert response.status_code == 200, response.text[:300]
    assert ranked(parse_html(response.text)) == api_ranking(local, body)
