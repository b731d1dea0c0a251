"""The trial library pages (app/ui): rendered for the bundled library, filtered, escaped,
guarded like /v1/trials."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from app.auth.api_keys import new_api_key
from app.config import REPO_ROOT, Settings
from app.main import create_app
from tests.conftest import TRIAL_FIXTURES

LOOPBACK = ("127.0.0.1", 50000)
BUNDLED = REPO_ROOT / "criteria"
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """A started service on a new store whose library is the bundled criteria/ trials."""
    settings = Settings(database_url=database_url, criteria_dir=BUNDLED)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def test_the_list_shows_every_bundled_trial_with_its_encoding_counts(client: TestClient) -> None:
    response = client.get("/ui/trials")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="en">' in page and "<main>" in page
    for nct_id in ("NCT06043999", "NCT06122493", "NCT06949098"):
        assert f'<a href="/ui/trials/{nct_id}">{nct_id}</a>' in page
    assert "Trials 1 to 3 of 3." in page
    assert "Tumor Local Excision +Postoperative Adjuvant Chemoradiotherapy" in page
    # NCT06949098's 11 criteria, all curated: the same counts /v1/trials gives.
    api = client.get("/v1/trials/NCT06949098").json()["encodings"]
    row = page.split('<a href="/ui/trials/NCT06949098">')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="number">')[1:]]
    assert cells == [str(api["curated"]), str(api["suggested"]), str(api["text"])]
    assert api["curated"] == 11
    # Every form field has its label.
    for field in ("condition", "status", "phase"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page


def test_search_by_condition_filters(client: TestClient) -> None:
    page = client.get("/ui/trials", params={"condition": "stage i"}).text
    assert "Trials 1 to 1 of 1." in page
    assert "/ui/trials/NCT06949098" in page
    assert "/ui/trials/NCT06043999" not in page
    assert 'value="stage i"' in page  # the form keeps what was searched
    empty = client.get("/ui/trials", params={"condition": "melanoma"}).text
    assert "No trial matches these filters." in empty


def test_status_and_phase_filter(client: TestClient) -> None:
    listed = client.get("/ui/trials", params={"phase": "Phase 2", "status": "RECRUITING"}).text
    assert "/ui/trials/NCT06949098" in listed
    assert "/ui/trials/NCT06043999" not in listed  # no phase recorded
    assert '<option value="Phase 2" selected>' in listed
    refused = client.get("/ui/trials", params={"status": "NOT_A_STATUS"})
    assert refused.status_code == 422
    assert "Unknown recruitment status." in refused.text
    assert "NOT_A_STATUS" not in refused.text


def test_the_trial_page_shows_metadata_sites_and_every_criterion(client: TestClient) -> None:
    response = client.get("/ui/trials/NCT06949098")
    assert response.status_code == 200
    page = response.text
    assert '<h1><span class="nct">NCT06949098</span> Tumor Local Excision' in page
    assert "Hebei Medical University" in page
    assert '<th scope="row">The Fourth Hospital of Hebei Medical University</th>' in page
    assert "Shijiazhuang" in page
    criteria = client.get("/v1/trials/NCT06949098").json()["criteria"]
    assert page.count('<section class="criterion"') == len(criteria) == 11
    assert "ECOG performance status 0-1" in page
    assert "<pre>op: performance\nlte: 1.0\nscale: ecog</pre>" in page
    assert "The registry&#39;s 18 to 75 years is checked as registry-age." in page
    # Headings in order: one h1, then h2 sections, then an h3 per criterion.
    assert page.count("<h1") == 1
    assert page.index("<h2>Criteria</h2>") < page.index("<h3")


def test_a_review_criterion_says_a_person_decides(client: TestClient) -> None:
    page = client.get("/ui/trials/NCT06043999").text
    assert "No rule: for a person to decide." in page


def test_unknown_and_malformed_ids_answer_an_html_404(client: TestClient) -> None:
    unknown = client.get("/ui/trials/NCT00000000")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")
    assert "No trial NCT00000000 is in the library." in unknown.text
    odd = client.get("/ui/trials/%3Cb%3Ehello%3Cb%3E")
    assert odd.status_code == 404
    assert "hello" not in odd.text and "<b>" not in odd.text
    assert "No trial has this id." in odd.text


def test_pages_have_a_script_free_policy_and_their_own_style_sheet(client: TestClient) -> None:
    policy = client.get("/ui/trials").headers["content-security-policy"]
    assert "script-src" not in policy and "unsafe-inline" not in policy
    assert "default-src 'none'" in policy and "style-src 'self'" in policy
    assert "form-action 'self'" in policy
    sheet = client.get("/ui/static/trialmatch.css")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/css")
    assert "@media" in sheet.text
    # The API keeps its own policy.
    api = client.get("/v1/trials").headers["content-security-policy"]
    assert api == "default-src 'none'; frame-ancestors 'none'"


def test_the_pages_are_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/ui")]


@pytest.fixture
def script_client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A library of one fixture trial whose first criterion's text holds a script tag."""
    folder = tmp_path / "library"
    folder.mkdir()
    source = TRIAL_FIXTURES / "NCT90000001.yaml"
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    document["criteria"][0]["text"] = f"ECOG 0-1 {SCRIPT}"
    (folder / source.name).write_text(yaml.safe_dump(document), encoding="utf-8")
    settings = Settings(database_url=database_url, criteria_dir=folder)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def test_criterion_text_is_escaped(script_client: TestClient) -> None:
    response = script_client.get("/ui/trials/NCT90000001")
    assert response.status_code == 200
    assert "<script" not in response.text
    assert "ECOG 0-1 &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in response.text


READER_KEY, READER = new_api_key("library-viewer", ["trialmatch/trials.read"])
MATCHER_KEY, MATCHER = new_api_key("lab-engine", ["trialmatch/match"])


@pytest.fixture
def remote(database_url: str) -> Iterator[TestClient]:
    """A started service with API keys, called from an address that is not loopback."""
    settings = Settings(
        database_url=database_url,
        criteria_dir=TRIAL_FIXTURES,
        api_keys=f"{READER.line()};{MATCHER.line()}",
        rate_limit_per_minute=0,
    )
    with TestClient(create_app(settings), client=("10.20.30.40", 41000)) as client:
        yield client


@pytest.mark.parametrize(
    ("page", "api"),
    [("/ui/trials", "/v1/trials"), ("/ui/trials/NCT90000001", "/v1/trials/NCT90000001")],
)
def test_a_remote_caller_is_refused_like_the_api(remote: TestClient, page: str, api: str) -> None:
    # No credential: the API answers 401, the page sends the person to sign in.
    assert remote.get(api).status_code == 401
    anonymous = remote.get(page, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/ui/login?next={page.replace('/', '%2F')}"
    # A credential without the scope: 403 from both, the page in HTML with the same type.
    assert remote.get(api, headers={"X-API-Key": MATCHER_KEY}).status_code == 403
    refused = remote.get(page, headers={"X-API-Key": MATCHER_KEY})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "auth.insufficient_scope" in refused.text
    assert "NCT90000001" not in refused.text.split("<main>")[1] or page == "/ui/trials"
    allowed = remote.get(page, headers={"X-API-Key": READER_KEY})
    assert allowed.status_code == 200
    assert "NCT90000001" in allowed.text
