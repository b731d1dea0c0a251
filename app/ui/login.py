"""Signing a browser in and out of the coordinator's pages.

    GET  /ui/login                 the form: a bearer token or an API key (a password field)
    POST /ui/login                 credential=..., next=/ui/...  -> 303 to `next`, cookie set
    POST /ui/logout                -> 303 to /ui/login, the session closed

The credential is checked by the service's own authenticator, exactly as a request's header
would be; it is never stored or logged, only the principal it proved (client id, scopes) and
until when. The sign-in opens a new session and closes the old one. `next` is followed only
when it is one of our pages (no open redirect). With no authentication configured the pages
need no sign-in on this machine, and the form says so.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import Headers

from app.auth.loopback import auth_configured
from app.errors import ApiError
from app.ui.access import CsrfChecked, current_principal, replace_session
from app.ui.pages import redirect, render

router = APIRouter(prefix="/ui", include_in_schema=False)
HOME = "/ui/trials"


def safe_next(value: str | None) -> str:
    """`value` if it is a path of our pages, else the home page."""
    if value and value.startswith("/ui/") and "//" not in value and "\\" not in value:
        return value
    return HOME


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    await current_principal(request)
    return render(
        request,
        "login.html",
        {
            "next": safe_next(next),
            "configured": auth_configured(request.app.state.settings),
            "error": None,
        },
    )


@router.post("/login", dependencies=[CsrfChecked])
async def login(
    request: Request,
    credential: Annotated[str, Form(max_length=8192)] = "",
    next: Annotated[str, Form(max_length=2048)] = HOME,
) -> Response:
    target = safe_next(next)
    try:
        principal = await request.app.state.authenticator.authenticate(
            Headers({"authorization": f"Bearer {credential.strip()}"}), request.client
        )
    except ApiError as exc:
        # Our own reason only ("unknown API key", "expired"): never the credential.
        return render(
            request,
            "login.html",
            {
                "next": target,
                "configured": auth_configured(request.app.state.settings),
                "error": exc.details[0].msg,
            },
            status_code=401,
        )
    await replace_session(request, principal)
    return redirect(request, target)


@router.post("/logout", dependencies=[CsrfChecked])
async def logout(request: Request) -> Response:
    await replace_session(request, None)
    return redirect(request, "/ui/login")
