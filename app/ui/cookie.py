"""The coordinator pages' session cookie: its name, attributes, and setting it on a page.

A dependency that opens a session cannot set a cookie on the page the route returns (FastAPI
drops a dependency's response headers when the route returns a Response of its own), so it
leaves the cookie on ``request.state`` and `apply` puts it on the page::

    remember(request, UiSession(...))     # app/ui/access.py, when a session is opened
    apply(request, response)              # app/ui/pages.py, on every page it renders

Attributes: HttpOnly (no script reads it), ``SameSite=Lax`` (sent when a clinician follows a
CDS Hooks card's link from the EHR, never with another site's POST), ``Path=/ui`` (the API
never sees it, so it can never authenticate a JSON call), and ``Secure`` over HTTPS.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from app.store.ui_sessions import UiSession

NAME = "tm_ui"
PATH = "/ui"
_STATE = "ui_new_session"


def remember(request: Request, opened: UiSession) -> None:
    setattr(request.state, _STATE, opened)


def apply(request: Request, response: Response) -> None:
    opened = getattr(request.state, _STATE, None)
    if not isinstance(opened, UiSession):
        return
    response.set_cookie(
        NAME,
        opened.cookie_id,
        max_age=max(int(opened.expires_at - time.time()), 0),
        path=PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
