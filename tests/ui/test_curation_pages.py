"""The curation pages (app/ui/curation.py) on an imported ClinicalTrials.gov trial: the
registry's text beside the suggestion; accept, reject and edit through the one `curate`
path, attributed to the principal and audited with the page's route; refusals that write
nothing; CSRF and scope; a registry text changed since curation highlighted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.api_keys import new_api_key
from app.config import Settings
from app.eligibility.language import AgeRule, Criterion, Trial
from app.main import create_app
from app.registry.importer import import_paths
from app.store.audit import AuditEvent, list_events
from app.store.models import TrialRow
from app.store.repository import get_trial
from app.store.session import make_engine, make_session_factory
from tests.registry.conftest import CTGOV
from tests.ui.libraries import library_with_suggestions
from tests.ui.test_access import REMOTE, csrf_of, sign_in

LOOPBACK = ("127.0.0.1", 50000)
ROUTE = "/ui/trials/{nct_id}/criteria/{criterion_id}/curation"
AGE_TEXT = "Aged ≥18 years at signing of informed consent."
CURATOR_KEY, CURATOR = new_api_key(
    "curator", ["trialmatch/trials.read", "trialmatch/trials.curate"]
)
READER_KEY, READER = new_api_key("library-viewer", ["trialmatch/trials.read"])


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "library"
    return folder, library_with_suggestions(folder)


@pytest.fixture
def store(database_url: str) -> Iterator[sessionmaker[Session]]:
    """The service's store, read directly (after the client started and migrated it)."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def client(database_url: str, library: tuple[Path, str]) -> Iterator[TestClient]:
    """No authentication configured, the browser on this machine: the loopback principal."""
    settings = Settings(database_url=database_url, criteria_dir=library[0])
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


@pytest.fixture
def remote(database_url: str, library: tuple[Path, str]) -> Iterator[TestClient]:
    """API keys configured; a browser on another machine signs in."""
    settings = Settings(
        database_url=database_url,
        criteria_dir=library[0],
        api_keys=f"{CURATOR.line()};{READER.line()}",
        rate_limit_per_minute=0,
    )
    with TestClient(create_app(settings), client=REMOTE, base_url="http://tm.test") as client:
        yield client


def page_of(client: TestClient, nct_id: str) -> str:
    response = client.get(f"/ui/trials/{nct_id}/curate")
    assert response.status_code == 200, response.text
    return response.text


def section(page: str, criterion_id: str) -> str:
    """The HTML of one criterion's section of the curation page."""
    start = page.index(f'<section class="criterion" id="criterion-{criterion_id}"')
    return page[start : page.index("</section>", start)]


def counts_on(page: str) -> dict[str, int]:
    found = dict(re.findall(r'<dd id="count-(\w+)">(\d+)</dd>', page))
    return {name: int(found[name]) for name in ("curated", "suggested", "text")}


def post(
    client: TestClient,
    nct_id: str,
    criterion_id: str,
    data: dict[str, str],
    *,
    csrf: bool = True,
) -> Any:
    token = {"csrf_token": csrf_of(page_of(client, nct_id))} if csrf else {}
    return client.post(
        f"/ui/trials/{nct_id}/criteria/{criterion_id}/curation",
        data={**data, **token},
        follow_redirects=False,
    )


def stored(store: sessionmaker[Session], nct_id: str) -> Trial:
    with store() as session:
        row = get_trial(session, nct_id)
        assert row is not None
        return Trial.model_validate(row.document)


def criterion(store: sessionmaker[Session], nct_id: str, criterion_id: str) -> Criterion:
    return next(c for c in stored(store, nct_id).criteria if c.id == criterion_id)


def snapshot(store: sessionmaker[Session], nct_id: str) -> tuple[Any, ...]:
    with store() as session:
        row = session.execute(
            select(TrialRow.content_hash, TrialRow.updated_at, TrialRow.document).where(
                TrialRow.nct_id == nct_id
            )
        ).one()
    return tuple(row)


def curations(store: sessionmaker[Session], nct_id: str) -> list[AuditEvent]:
    with store() as session:
        return list_events(session, trial_ref=nct_id)


def test_each_criterion_shows_the_registry_text_beside_the_suggested_rule(
    client: TestClient, library: tuple[Path, str]
) -> None:
    nct_id = library[1]
    page = page_of(client, nct_id)
    api = client.get(f"/v1/trials/{nct_id}").json()
    assert page.count('<section class="criterion"') == len(api["criteria"]) == 27
    assert counts_on(page) == api["encodings"] == {"curated": 0, "suggested": 7, "text": 20}
    age = section(page, "inc-1")
    assert f'<blockquote class="verbatim">{AGE_TEXT}</blockquote>' in age
    assert "Suggested rule (criteria language)" in age and "<pre>op: age\ngte: 18.0</pre>" in age
    # The edit form is prefilled with the suggestion; each form carries the CSRF token.
    assert '<textarea id="criterion-inc-1-rule" name="rule"' in age
    assert ">op: age\ngte: 18.0</textarea>" in age
    assert '<label for="criterion-inc-1-rule">' in age
    assert age.count('name="csrf_token"') == age.count("<form") == 3
    assert 'value="accept"' in age and 'value="reject"' in age and 'value="edit"' in age
    # A text criterion: no rule, nothing to accept; it can be confirmed or given a rule.
    histology = section(page, "inc-2")
    assert "Histologically confirmed MBC, current stage IV." in histology
    assert "No rule: for a person to decide." in histology
    assert 'value="accept"' not in histology and 'value="reject"' in histology
    assert "></textarea>" in histology


def test_the_trial_page_links_to_curation_only_while_something_is_uncurated(
    client: TestClient, library: tuple[Path, str]
) -> None:
    link = f'<a href="/ui/trials/{library[1]}/curate">'
    assert link in client.get(f"/ui/trials/{library[1]}").text
    assert "/curate" not in client.get("/ui/trials/NCT06949098").text  # all 11 curated


def test_accept_curates_updates_the_counts_and_writes_one_audit_row(
    client: TestClient, library: tuple[Path, str], store: sessionmaker[Session]
) -> None:
    nct_id = library[1]
    before = client.get(f"/v1/trials/{nct_id}").json()["encodings"]
    response = post(client, nct_id, "inc-0.b", {"action": "accept"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/ui/trials/{nct_id}/curate#criterion-inc-0.b"
    after = client.get(f"/v1/trials/{nct_id}").json()["encodings"]
    assert after == {**before, "curated": 1, "suggested": before["suggested"] - 1}
    page = client.get(response.headers["location"]).text
    assert counts_on(page) == after
    accepted = criterion(store, nct_id, "inc-0.b")
    assert accepted.encoding == "curated" and accepted.rule is not None
    assert accepted.curated_by == "loopback" and accepted.curated_at is not None
    assert "Curated by</span> loopback at" in section(page, "inc-0.b")
    assert 'value="accept"' not in section(page, "inc-0.b")
    (event,) = curations(store, nct_id)
    assert (event.client_id, event.auth_method, event.method) == ("loopback", "loopback", "POST")
    assert (event.route, event.status, event.outcome) == (ROUTE, 303, "curation.accepted")
    assert event.criterion_ref == "inc-0.b" and event.patient_ref is None
    assert event.change is not None
    assert event.change["before"]["encoding"] == "suggested"
    assert event.change["after"]["encoding"] == "curated"


def test_a_signed_in_curator_is_recorded_by_client_id(
    remote: TestClient, library: tuple[Path, str], store: sessionmaker[Session]
) -> None:
    nct_id = library[1]
    sign_in(remote, CURATOR_KEY, f"/ui/trials/{nct_id}/curate")
    response = post(remote, nct_id, "inc-8", {"action": "accept"})
    assert response.status_code == 303
    assert criterion(store, nct_id, "inc-8").curated_by == "apikey:curator"
    (event,) = curations(store, nct_id)
    assert (event.client_id, event.auth_method, event.route) == ("apikey:curator", "session", ROUTE)


def test_reject_leaves_a_review_only_curated_criterion(
    client: TestClient, library: tuple[Path, str], store: sessionmaker[Session]
) -> None:
    nct_id = library[1]
    assert post(client, nct_id, "inc-1", {"action": "reject"}).status_code == 303
    rejected = criterion(store, nct_id, "inc-1")
    assert (rejected.encoding, rejected.review, rejected.rule) == ("curated", True, None)
    age = section(page_of(client, nct_id), "inc-1")
    assert "No rule: for a person to decide." in age and "The suggested reading was rejected" in age
    assert [e.outcome for e in curations(store, nct_id)] == ["curation.rejected"]


def test_edit_gives_a_text_criterion_a_rule(
    client: TestClient, library: tuple[Path, str], store: sessionmaker[Session]
) -> None:
    nct_id = library[1]
    before = client.get(f"/v1/trials/{nct_id}").json()["encodings"]
    data = {"action": "edit", "rule": "op: age\ngte: 21\n", "note": "Stricter, for the test."}
    assert post(client, nct_id, "inc-2", data).status_code == 303
    edited = criterion(store, nct_id, "inc-2")
    assert edited.encoding == "curated" and edited.rule == AgeRule(op="age", gte=21)
    assert edited.note == "Stricter, for the test."
    after = client.get(f"/v1/trials/{nct_id}").json()["encodings"]
    assert after == {**before, "curated": 1, "text": before["text"] - 1}
    assert "<pre>op: age\ngte: 21.0</pre>" in section(page_of(client, nct_id), "inc-2")
    assert [e.outcome for e in curations(store, nct_id)] == ["curation.edited"]


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("op: [age\n", "trial.yaml_syntax"),  # not YAML
        ("op: age\ngte: eighteen\n", "trial.float_parsing"),  # YAML, not a rule
        ("op: lab\nanalyte: neutrophils\nunit: g/L\ngte: 1\n", "trial.unit_mismatch"),
        ("", "Give the rule as YAML"),
    ],
)
def test_a_bad_rule_is_refused_beside_its_criterion_and_nothing_is_written(
    client: TestClient,
    library: tuple[Path, str],
    store: sessionmaker[Session],
    rule: str,
    said: str,
) -> None:
    nct_id = library[1]
    unchanged = snapshot(store, nct_id)
    response = post(client, nct_id, "inc-1", {"action": "edit", "rule": rule})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    age = section(response.text, "inc-1")
    assert "Not saved (curation.invalid_rule)" in age and said in age
    assert "Not saved" not in section(response.text, "inc-0.b")
    assert f">{rule}</textarea>" in age  # what was typed stays in the form
    assert snapshot(store, nct_id) == unchanged
    assert curations(store, nct_id) == []


def test_an_action_the_encoding_does_not_allow_is_a_409(
    client: TestClient, library: tuple[Path, str], store: sessionmaker[Session]
) -> None:
    nct_id = library[1]
    unchanged = snapshot(store, nct_id)
    refused = post(client, nct_id, "inc-2", {"action": "accept"})  # a text criterion
    assert refused.status_code == 409
    assert "Not saved (curation.not_suggested)" in section(refused.text, "inc-2")
    assert post(client, nct_id, "inc-2", {"action": "delete"}).status_code == 422
    missing = post(client, nct_id, "inc-99", {"action": "accept"})
    assert missing.status_code == 404 and "curation.criterion_not_found" in missing.text
    assert snapshot(store, nct_id) == unchanged
    assert curations(store, nct_id) == []


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_written(
    client: TestClient, library: tuple[Path, str], store: sessionmaker[Session]
) -> None:
    nct_id = library[1]
    unchanged = snapshot(store, nct_id)
    refused = post(client, nct_id, "inc-0.b", {"action": "accept"}, csrf=False)
    assert refused.status_code == 403 and "ui.csrf_failed" in refused.text
    forged = client.post(
        f"/ui/trials/{nct_id}/criteria/inc-0.b/curation",
        data={"action": "accept", "csrf_token": csrf_of(page_of(client, nct_id))},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "ui.csrf_failed" in forged.text
    assert snapshot(store, nct_id) == unchanged
    assert curations(store, nct_id) == []


def test_without_the_curate_scope_the_page_and_the_form_are_refused(
    remote: TestClient, library: tuple[Path, str], store: sessionmaker[Session]
) -> None:
    nct_id = library[1]
    assert remote.get(f"/ui/trials/{nct_id}/curate", follow_redirects=False).status_code == 303
    sign_in(remote, READER_KEY)
    assert remote.get(f"/ui/trials/{nct_id}").status_code == 200  # the trial page is readable
    page = remote.get(f"/ui/trials/{nct_id}/curate")
    assert page.status_code == 403
    assert "auth.insufficient_scope" in page.text and "trialmatch/trials.curate" in page.text
    assert AGE_TEXT not in page.text
    unchanged = snapshot(store, nct_id)
    token = csrf_of(remote.get(f"/ui/trials/{nct_id}").text)
    refused = remote.post(
        f"/ui/trials/{nct_id}/criteria/inc-0.b/curation",
        data={"action": "accept", "csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 403 and "auth.insufficient_scope" in refused.text
    assert snapshot(store, nct_id) == unchanged


def test_a_registry_text_changed_since_curation_is_highlighted_until_edited(
    client: TestClient,
    library: tuple[Path, str],
    store: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    nct_id = library[1]
    assert post(client, nct_id, "inc-1", {"action": "accept"}).status_code == 303
    assert "Changed in the registry" not in page_of(client, nct_id)
    # The registry now says 21: re-imported, the curated inc-1 is kept and flagged.
    record = json.loads((CTGOV / f"{nct_id}.json").read_bytes())
    module = record["protocolSection"]["eligibilityModule"]
    new_text = AGE_TEXT.replace("18", "21")
    module["eligibilityCriteria"] = module["eligibilityCriteria"].replace(AGE_TEXT, new_text)
    changed = tmp_path / "registry" / f"{nct_id}.json"
    changed.parent.mkdir()
    changed.write_text(json.dumps(record), encoding="utf-8")
    (summary,) = import_paths([changed], store)
    assert summary.error is None and any(f.startswith("inc-1:") for f in summary.flags)
    kept = criterion(store, nct_id, "inc-1")
    assert (kept.text, kept.registry_text, kept.encoding) == (AGE_TEXT, new_text, "curated")

    page = page_of(client, nct_id)
    assert 'href="#criterion-inc-1">inc-1</a>' in page  # listed at the top
    age = section(page, "inc-1")
    assert "Changed in the registry since curation" in age
    assert f'<blockquote class="verbatim old">{AGE_TEXT}</blockquote>' in age
    assert f'<blockquote class="verbatim new">{new_text}</blockquote>' in age
    assert "Changed in the registry" not in section(page, "inc-0.b")

    # Editing takes up the registry's words; the highlight goes.
    assert (
        post(client, nct_id, "inc-1", {"action": "edit", "rule": "op: age\ngte: 21"}).status_code
        == 303
    )
    edited = criterion(store, nct_id, "inc-1")
    assert (edited.text, edited.registry_text) == (new_text, None)
    assert "Changed in the registry" not in page_of(client, nct_id)
    (again,) = import_paths([changed], store)
    assert again.flags == [] and criterion(store, nct_id, "inc-1").registry_text is None
