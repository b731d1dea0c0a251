"""Who is at the browser, and whether a form really came from our page.

The pages accept what the API accepts (a bearer token or an API key in the request's
headers, or the loopback default) and, for a person at a browser, a session opened by
signing in at ``/ui/login`` with one of those credentials (app/ui/login.py)::

    @router.get("/ui/match")
    async def page(request: Request, principal: MatchUiPrincipal) -> HTMLResponse: ...

    @router.post("/ui/workflow", dependencies=[CsrfChecked])
    async def record(request: Request, principal: WorkflowUiPrincipal) -> Response: ...

These replace app.auth's `require_scope` on pages, whose refusals are JSON and made by the
gate before the route: here no principal means a 303 to the sign-in page for a GET (an HTML
401 page otherwise), a principal without the scope an HTML 403 page. A credential sent in
the headers always wins over the cookie; a bad one is refused, never overridden by it.

Every browser gets a session at its first page, signed in or not: it holds the CSRF token
its forms carry. A session opened for the loopback default or a header credential holds no
principal (the next request proves itself again), so a cookie can never grant more than a
sign-in did, even after the service's authentication settings change.

A POST is taken only when its ``csrf_token`` field equals its session's token, and, where
the browser says where the form came from (``Origin``, ``Sec-Fetch-Site``), it came from
this origin.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from app.auth.loopback import auth_configured
from app.auth.middleware import auth_outcome
from app.auth.principal import Principal, Scope
from app.errors import ApiError
from app.store.ui_sessions import UiSession, close_session, find_session, open_session
from app.ui import cookie
from app.ui.pages import CSRF_STATE, PRINCIPAL_STATE

LOGIN_PATH = "/ui/login"
CSRF_FIELD = "csrf_token"
_SESSION_STATE = "ui_session"


class UiRefusal(ApiError):
    """A page refused: rendered as an HTML page (or a 303 to sign in) by the UI's handler."""

    def __init__(
        self, error_type: str, message: str, *, status_code: int, sign_in: bool = False
    ) -> None:
        super().__init__(error_type, message, status_code=status_code)
        self.sign_in = sign_in


def store_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] | None = getattr(request.app.state, "sessions", None)
    if sessions is None:
        raise ApiError(
            "service.not_ready", "The service is starting; try again shortly.", status_code=503
        )
    return sessions


def session_ttl(request: Request) -> int:
    return int(request.app.state.settings.ui_session_seconds)


async def browser_session(request: Request) -> UiSession:
    """The request's session: the cookie's, or a new one (not signed in) whose cookie the
    page will set. Looked up once per request."""
    known = getattr(request.state, _SESSION_STATE, None)
    if isinstance(known, UiSession):
        return known
    sessions = store_sessions(request)
    cookie_id = request.cookies.get(cookie.NAME, "")

    def find_or_open() -> tuple[UiSession, bool]:
        with sessions.begin() as session:
            found = find_session(session, cookie_id) if cookie_id else None
            if found is not None:
                return found, False
            return open_session(session, None, ttl_seconds=session_ttl(request)), True

    current, opened = await anyio.to_thread.run_sync(find_or_open)
    if opened:
        cookie.remember(request, current)
    use_session(request, current)
    return current


def use_session(request: Request, current: UiSession) -> None:
    """Make `current` the request's session."""
    setattr(request.state, _SESSION_STATE, current)
    setattr(request.state, CSRF_STATE, current.csrf_token)


async def replace_session(request: Request, principal: Principal | None) -> None:
    """Close the request's session and open a new one for `principal` (sign-in; None:
    sign-out), whose cookie the page will set. Never the old id with new rights."""
    before = await browser_session(request)
    sessions = store_sessions(request)

    def replace() -> UiSession:
        with sessions.begin() as session:
            close_session(session, before.cookie_id)
            return open_session(session, principal, ttl_seconds=session_ttl(request))

    opened = await anyio.to_thread.run_sync(replace)
    cookie.remember(request, opened)
    use_session(request, opened)


def _sent_credential(request: Request) -> bool:
    return "authorization" in request.headers or "x-api-key" in request.headers


async def current_principal(request: Request) -> Principal | None:
    """Who is asking (None: nobody proved it), with the request's session in place."""
    current = await browser_session(request)
    outcome = auth_outcome(request.scope)
    if outcome is None:
        raise RuntimeError("install_security() was not called on this app")
    if outcome.principal is not None:
        principal: Principal | None = outcome.principal
    elif outcome.error is not None and (
        _sent_credential(request) or not auth_configured(request.app.state.settings)
    ):
        # A bad header credential, or a caller off this machine when only loopback is served.
        detail = outcome.error.details[0]
        raise UiRefusal(detail.type, detail.msg, status_code=outcome.error.status_code)
    else:
        principal = current.principal
    setattr(request.state, PRINCIPAL_STATE, principal)
    return principal


def ui_principal(scope: str) -> Callable[[Request], Awaitable[Principal]]:
    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if principal is None:
            raise UiRefusal(
                "auth.required",
                "Sign in to see this page.",
                status_code=401,
                sign_in=request.method in ("GET", "HEAD"),
            )
        if not principal.has(scope):
            raise UiRefusal(
                "auth.insufficient_scope",
                f"Your credential lacks the scope {scope}.",
                status_code=403,
            )
        # For AuditedRequest, as app.auth's dependency leaves it.
        request.state.principal = principal
        return principal

    dependency.__name__ = f"ui_require_{scope.replace('/', '_').replace('.', '_')}"
    return dependency


def _same_origin(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin == "null":
        # Under our Referrer-Policy: no-referrer a browser sends "Origin: null" even with its
        # own page's POST; it means "not said", and only Sec-Fetch-Site may then vouch.
        return site == "same-origin"
    # No Origin (some browsers on same-origin POSTs): the token alone decides.
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


async def check_csrf(request: Request) -> None:
    current = await browser_session(request)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    token_ok = isinstance(sent, str) and hmac.compare_digest(
        sent.encode("utf-8"), current.csrf_token.encode("utf-8")
    )
    if not token_ok or not _same_origin(request):
        raise UiRefusal(
            "ui.csrf_failed",
            "This form has expired or did not come from this service's page; "
            "open the page again and resend it.",
            status_code=403,
        )


CsrfChecked = Depends(check_csrf)

MatchUiPrincipal = Annotated[Principal, Depends(ui_principal(Scope.MATCH))]
PatientReadUiPrincipal = Annotated[Principal, Depends(ui_principal(Scope.PATIENT_READ))]
TrialsReadUiPrincipal = Annotated[Principal, Depends(ui_principal(Scope.TRIALS_READ))]
CurateUiPrincipal = Annotated[Principal, Depends(ui_principal(Scope.TRIALS_CURATE))]
WorkflowUiPrincipal = Annotated[Principal, Depends(ui_principal(Scope.WORKFLOW_WRITE))]
