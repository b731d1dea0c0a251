"""``/docs`` and ``/redoc`` load with no internet: every script, style and image they name is
served by the service itself, with the right media type."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

# What each page must load from us, and how the first bytes of each asset look.
PAGE_ASSETS = {
    "/docs": {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"},
    "/redoc": {"/docs/assets/redoc.standalone.js"},
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
REFERENCE = re.compile(r"""(?:src|href|url)\s*[=:(]\s*['"]?([^'")\s>]+)""")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("docs") / "store.db"
    settings = Settings(database_url=f"sqlite:///{db}", rate_limit_per_minute=0)
    with TestClient(create_app(settings), client=("127.0.0.1", 5)) as client:
        yield client


def references(html: str) -> set[str]:
    return set(REFERENCE.findall(html))


@pytest.mark.parametrize("page", sorted(PAGE_ASSETS))
def test_a_docs_page_names_no_address_outside_the_service(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "cdn" not in html.lower() and "googleapis" not in html
    assert re.findall(r"(?:https?:)?//[\w.-]+\.\w+", html) == []
    found = references(html)
    assert PAGE_ASSETS[page] <= found
    assert all(ref.startswith("/") for ref in found), found


@pytest.mark.parametrize("page", sorted(PAGE_ASSETS))
def test_every_asset_a_page_names_is_served_with_its_media_type(
    client: TestClient, page: str
) -> None:
    for ref in references(client.get(page).text):
        response = client.get(ref)
        assert response.status_code == 200, ref
        suffix = ref[ref.rfind(".") :]
        if ref == "/openapi.json":
            assert response.json()["info"]["title"] == "trialmatch"
            continue
        assert response.headers["content-type"].startswith(MEDIA_TYPES[suffix]), ref
        assert len(response.content) > 1000, ref
        assert response.headers["cache-control"] == "public, max-age=86400"


def test_the_assets_are_swagger_ui_and_redoc(client: TestClient) -> None:
    swagger = client.get("/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in swagger[:2000]
    assert ".swagger-ui" in client.get("/docs/assets/swagger-ui.css").text
    assert "Redoc" in client.get("/docs/assets/redoc.standalone.js").text[:2000]


def test_swagger_ui_sends_the_document_to_no_validator(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text


def test_only_the_bundled_assets_are_served(client: TestClient) -> None:
    for name in ("core.py", "..%2F__init__.py", "nothing.js"):
        assert client.get(f"/docs/assets/{name}").status_code == 404


def test_the_oauth2_redirect_page_is_served_and_the_documents_are_not_in_it(
    client: TestClient,
) -> None:
    assert client.get("/docs/oauth2-redirect").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(path.startswith(("/docs", "/redoc")) for path in paths)
