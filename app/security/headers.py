"""Security headers on every response, error responses from middleware included.

    X-Content-Type-Options: nosniff
    X-Frame-Options: DENY                       (and CSP frame-ancestors 'none')
    Content-Security-Policy: default-src 'none'; frame-ancestors 'none'   (JSON responses)
    Referrer-Policy: no-referrer
    Cache-Control: no-store                     (unless the route set its own)
    Strict-Transport-Security: max-age=N        (only when configured: HTTPS deployments)

The HTML pages are the docs (app/api/docs.py): Swagger UI and ReDoc, whose scripts, styles
and fonts the service serves itself. Their policy allows this origin and nothing else, so a
page cannot reach out to the internet even by mistake; their inline bootstrap script and
styles need 'unsafe-inline', ReDoc's search worker a blob: URL, and both draw data: images.
The coordinator's pages (app/ui, under /ui/) have no script at all: their policy allows only
this origin's style sheet and images, and their GET forms back to this origin.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_API_CSP = "default-src 'none'; frame-ancestors 'none'"
_HTML_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_UI_PREFIX = "/ui/"
_UI_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _html_policy(path: str) -> str:
    return _UI_CSP if path.startswith(_UI_PREFIX) else _HTML_CSP


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts_seconds: int = 0) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains" if hsts_seconds > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _FIXED.items():
                    headers[name] = value
                html = headers.get("content-type", "").startswith("text/html")
                policy = _html_policy(scope.get("path", "")) if html else _API_CSP
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("Cache-Control", "no-store")
                if self.hsts:
                    headers["Strict-Transport-Security"] = self.hsts
            await send(message)

        await self.app(scope, receive, send_with_headers)
