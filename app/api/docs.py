"""The API documentation pages, ``/docs`` (Swagger UI) and ``/redoc``, with every asset
served by the service itself, so they load on a hospital network with no internet.

FastAPI's own pages fetch Swagger UI and ReDoc from a public CDN (and ReDoc Google's fonts);
`create_app` turns them off and includes this router instead. The JavaScript and CSS are the
files the pinned ``fastapi-offline`` package ships (Swagger UI: Apache-2.0; ReDoc: MIT; the
licences are named in that package's metadata), served at ``/docs/assets/{name}``::

    GET /docs                             # Swagger UI page
    GET /redoc                            # ReDoc page
    GET /docs/assets/swagger-ui-bundle.js # one of `ASSETS`, else 404

The pages' content security policy (app/security/headers.py) allows this origin only.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response

from app.errors import NotFound

router = APIRouter(include_in_schema=False)

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
# The files served, by name, with their media type.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
# The assets change only with the pinned package: let browsers keep them a day.
ASSET_CACHE = "public, max-age=86400"
_STATIC = files("fastapi_offline") / "static"


@cache
def _asset_bytes(name: str) -> bytes:
    """Read once (about 2.8 MB in all), then served from memory."""
    return (_STATIC / name).read_bytes()


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get(DOCS_URL)
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
        # No validator badge: it would send the document to swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC_URL)
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )


@router.get(ASSETS_URL + "/{name}")
async def asset(name: Annotated[str, Path(max_length=64)]) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound("request.not_found", "No such resource.", loc=["path", "name"])
    return Response(
        _asset_bytes(name),
        media_type=media_type,
        headers={"Cache-Control": ASSET_CACHE},
    )
