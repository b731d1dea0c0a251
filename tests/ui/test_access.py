"""Signing in to the coordinator's pages, the session cookie, CSRF, and refusals as pages."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth.api_keys import new_api_key
from app.auth.principal import Principal
from app.config import Settings
from app.main import create_app
from app.store.migrate import upgrade
from app.store.models import UiSessionRow
from app.store.session import make_engine, make_session_factory
from app.store.ui_sessions import find_session, open_session
from tests.conftest import TRIAL_FIXTURES

LOOPBACK = ("127.0.0.1", 50000)
REMOTE = ("10.20.30.40", 41000)
READER_KEY, READER = new_api_key("library-viewer", ["trialmatch/trials.read"])
MATCHER_KEY, MATCHER = new_api_key("lab-engine", ["trialmatch/match"])
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
def remote(database_url: str) -> Iterator[TestClient]:
    """Authentication configured (API keys); the browser is on another machine."""
    settings = Settings(
        database_url=database_url,
        criteria_dir=TRIAL_FIXTURES,
        api_keys=f"{READER.line()};{MATCHER.line()}",
        rate_limit_per_minute=0,
    )
    with TestClient(create_app(settings), client=REMOTE, base_url="http://tm.test") as client:
        yield client


@pytest.fixture
def local(database_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, criteria_dir=TRIAL_FIXTURES)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def sign_in(client: TestClient, key: str, next_page: str = "/ui/trials") -> str:
    form = client.get("/ui/login", params={"next": next_page})
    assert form.status_code == 200
    response = client.post(
        "/ui/login",
        data={"credential": key, "next": next_page, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_the_loopback_default_needs_no_sign_in_and_sets_a_safe_cookie(local: TestClient) -> None:
    page = local.get("/ui/trials")
    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("tm_ui=")
    for attribute in ("HttpOnly", "Path=/ui", "SameSite=lax"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain http on loopback; https sets it
    # Nobody signed in: no sign-out form, but the session's CSRF token is there for forms.
    assert "Sign out" not in page.text
    # The second page keeps the same session (no new cookie).
    assert "set-cookie" not in local.get("/ui/trials").headers


def test_the_store_keeps_only_a_hash_of_the_cookie(local: TestClient) -> None:
    cookie_id = local.get("/ui/trials").cookies["tm_ui"]
    sessions = local.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        rows = session.scalars(select(UiSessionRow)).all()
    assert rows and all(cookie_id not in (row.id_sha256, row.csrf_token) for row in rows)
    assert all(row.client_id is None for row in rows)  # loopback sessions hold no principal


def test_signing_in_with_an_api_key_opens_a_new_session(remote: TestClient) -> None:
    assert remote.get("/ui/trials", follow_redirects=False).status_code == 303
    before = remote.cookies["tm_ui"]
    assert sign_in(remote, READER_KEY, "/ui/trials/NCT90000001") == "/ui/trials/NCT90000001"
    after = remote.cookies["tm_ui"]
    assert after != before  # never the id the browser had before it signed in
    page = remote.get("/ui/trials/NCT90000001")
    assert page.status_code == 200
    assert "Signed in as apikey:library-viewer" in page.text
    assert READER_KEY not in page.text
    # The old id opens nothing any more.
    remote.cookies.set("tm_ui", before, domain="tm.test", path="/ui")
    assert remote.get("/ui/trials", follow_redirects=False).status_code == 303


def test_signing_out_closes_the_session(remote: TestClient) -> None:
    sign_in(remote, READER_KEY)
    page = remote.get("/ui/trials")
    signed_in = remote.cookies["tm_ui"]
    out = remote.post("/ui/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/ui/login"
    assert remote.get("/ui/trials", follow_redirects=False).status_code == 303
    remote.cookies.set("tm_ui", signed_in, domain="tm.test", path="/ui")
    assert remote.get("/ui/trials", follow_redirects=False).status_code == 303


def test_a_bad_credential_is_refused_without_being_echoed(remote: TestClient) -> None:
    form = remote.get("/ui/login")
    wrong = "tmk_not-a-key-of-ours"
    response = remote.post(
        "/ui/login", data={"credential": wrong, "csrf_token": csrf_of(form.text)}
    )
    assert response.status_code == 401
    assert "The credential was refused: unknown API key." in response.text
    assert wrong not in response.text
    assert remote.get("/ui/trials", follow_redirects=False).status_code == 303


def test_a_session_grants_only_the_scopes_it_signed_in_with(remote: TestClient) -> None:
    sign_in(remote, MATCHER_KEY)
    refused = remote.get("/ui/trials")
    assert refused.status_code == 403
    assert "auth.insufficient_scope" in refused.text
    assert "trialmatch/trials.read" in refused.text


def test_a_header_credential_wins_over_the_cookie_and_a_bad_one_is_refused(
    remote: TestClient,
) -> None:
    sign_in(remote, READER_KEY)
    bad = remote.get("/ui/trials", headers={"X-API-Key": "tmk_wrong"})
    assert bad.status_code == 401 and "auth.invalid_token" in bad.text
    assert "www-authenticate" not in bad.headers  # no browser dialog
    weaker = remote.get("/ui/trials", headers={"X-API-Key": MATCHER_KEY})
    assert weaker.status_code == 403


@pytest.mark.parametrize(
    "forged",
    [
        {"data": {}, "headers": {}},  # no token
        {"data": {"csrf_token": "x" * 43}, "headers": {}},  # someone else's guess
        {"data": None, "headers": {"Origin": "https://evil.example"}},  # right token, wrong site
        {"data": None, "headers": {"Sec-Fetch-Site": "cross-site"}},
    ],
)
def test_a_form_without_its_csrf_token_or_from_another_site_is_refused(
    remote: TestClient, forged: dict[str, dict[str, str] | None]
) -> None:
    form = remote.get("/ui/login")
    data = forged["data"] if forged["data"] is not None else {"csrf_token": csrf_of(form.text)}
    response = remote.post(
        "/ui/login",
        data={"credential": READER_KEY, **data},
        headers=forged["headers"] or {},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "ui.csrf_failed" in response.text
    assert READER_KEY not in response.text
    assert remote.get("/ui/trials", follow_redirects=False).status_code == 303


def test_the_same_origin_is_accepted(remote: TestClient) -> None:
    form = remote.get("/ui/login")
    response = remote.post(
        "/ui/login",
        data={"credential": READER_KEY, "csrf_token": csrf_of(form.text)},
        headers={"Origin": "http://tm.test", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/ui/", "/v1/trials"])
def test_sign_in_never_redirects_off_our_pages(remote: TestClient, target: str) -> None:
    assert sign_in(remote, READER_KEY, target) == "/ui/trials"


def test_without_authentication_configured_only_this_machine_is_served(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url, criteria_dir=TRIAL_FIXTURES)
    with TestClient(create_app(settings), client=REMOTE) as client:
        page = client.get("/ui/trials", follow_redirects=False)
        assert page.status_code == 401
        assert page.headers["content-type"].startswith("text/html")
        assert "auth.required" in page.text


def test_unknown_pages_and_bad_queries_answer_pages(local: TestClient) -> None:
    missing = local.get("/ui/no-such-page")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "request.not_found" in missing.text
    bad = local.get("/ui/trials", params={"offset": "-5"})
    assert bad.status_code == 422 and "offset" in bad.text and "-5" not in bad.text


def test_a_session_ends_when_its_credential_does(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    now = time.time()
    soon = Principal(
        client_id="nurse", scopes=frozenset({"trialmatch/match"}), method="jwt", expires_at=now + 60
    )
    with sessions.begin() as session:
        short = open_session(session, soon, ttl_seconds=3600, now=now)
        long = open_session(session, None, ttl_seconds=3600, now=now)
    assert short.expires_at == pytest.approx(now + 60)
    assert long.expires_at == pytest.approx(now + 3600)
    with sessions() as session:
        found = find_session(session, short.cookie_id, now=now + 30)
        assert found is not None and found.principal is not None
        assert found.principal.method == "session" and found.principal.client_id == "nurse"
        assert find_session(session, short.cookie_id, now=now + 61) is None
        assert find_session(session, "x" * 500) is None
    engine.dispose()
