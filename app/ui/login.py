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

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import Headers

from app.errors import ApiError
from app.store.ui_sessions import UiSession, close_session, open_session
from app.ui import cookie
from app.ui.access import (
    CsrfChecked,
    browser_session,
    current_principal,
    session_ttl,
    store_sessions,
    use_session,
)
from app.ui.pages import redirect, render

router = APIRouter(prefix="/ui", include_in_schema=False)
HOME = "/ui/trials"


def safe_next(value: str | None) -> str:
    """`value` if it is a path of our pages, else the home page."""
    if value and value.startswith("/ui/") and "//" not in value and "\\" not in value:
        return value
    return HOME


def _configured(request: Request) -> bool:
    return bool(request.app.state.authenticator.configured)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    await current_principal(request)
    return render(
        request,
        "login.html",
        {"next": safe_next(next), "configured": _configured(request), "error": None},
    )


@router.post("/login", dependencies=[CsrfChecked])
async def login(
    request: Request,
    credential: Annotated[str, Form(max_length=8192)] = "",
    next: Annotated[str, Form(max_length=2048)] = HOME,
) -> Response:
    before = await browser_session(request)
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
                "configured": _configured(request),
                "error": exc.details[0].msg,
            },
            status_code=401,
        )
    sessions = store_sessions(request)

    def sign_in() -> UiSession:
        with sessions.begin() as session:
            close_session(session, before.cookie_id)
            return open_session(session, principal, ttl_seconds=session_ttl(request))

    opened = await anyio.to_thread.run_sync(sign_in)
    cookie.remember(request, opened)
    use_session(request, opened)
    return redirect(request, target)


@router.post("/logout", dependencies=[CsrfChecked])
async def logout(request: Request) -> Response:
    before = await browser_session(request)
    sessions = store_sessions(request)

    def sign_out() -> UiSession:
        with sessions.begin() as session:
            close_session(session, before.cookie_id)
            return open_session(session, None, ttl_seconds=session_ttl(request))

    opened = await anyio.to_thread.run_sync(sign_out)
    cookie.remember(request, opened)
    use_session(request, opened)
    return redirect(request, "/ui/login")
