"""Rendering the coordinator's pages: the shared templates, `render`, and the error page.

    return render(request, "trial.html", {"trial": detail})
    return error_page(request, 404, "trial.not_found", "No trial NCT00000000 is in the library.")

Every page gets ``principal`` (who is signed in, or None) and ``csrf_token`` (for its POST
forms: ``{% include "_csrf.html" %}``), and the session cookie when one was just opened.
Templates autoescape everything: criterion text comes from registry records and facts from
patient records. An error page shows the stable error type and our own message, never the
request's input or an exception's text.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from app.ui import cookie

_HERE = Path(__file__).parent
UI_PREFIX = "/ui/"

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)

# Set by app/ui/access.py for the request: who is signed in, and the session's CSRF token.
PRINCIPAL_STATE = "ui_principal"
CSRF_STATE = "ui_csrf_token"


def is_ui_path(request: Request) -> bool:
    return request.url.path.startswith(UI_PREFIX)


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    page_context = {
        "principal": getattr(request.state, PRINCIPAL_STATE, None),
        "csrf_token": getattr(request.state, CSRF_STATE, ""),
    } | context
    response = templates.TemplateResponse(request, template, page_context, status_code=status_code)
    cookie.apply(request, response)
    return response


def redirect(request: Request, to: str) -> RedirectResponse:
    """303 to a page of ours (after a POST, or to sign in)."""
    response = RedirectResponse(to, status_code=303)
    cookie.apply(request, response)
    return response


def error_page(
    request: Request,
    status_code: int,
    error_type: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        title = HTTPStatus(status_code).phrase
    except ValueError:
        title = "Error"
    response = render(
        request,
        "error.html",
        {"title": title, "status": status_code, "error_type": error_type, "message": message},
        status_code=status_code,
    )
    for name, value in (headers or {}).items():
        if name.lower() != "www-authenticate":  # a browser would pop up its own dialog
            response.headers[name] = value
    return response
