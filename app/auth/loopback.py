"""The loopback rule: with no authentication configured, trialmatch serves only this machine.

`trialmatch serve` and `create_app` call `ensure_safe_bind` and refuse to start otherwise::

    ensure_safe_bind(Settings(host="0.0.0.0"))
    # UnsafeBind: Refusing to start: no authentication is configured and the service would
    # listen on 0.0.0.0, which is not a loopback address. ...

A server started some other way (``uvicorn --host 0.0.0.0``) escapes that check, so at request
time `is_loopback_peer` also refuses an unauthenticated caller whose address is not loopback.
"""

from __future__ import annotations

import ipaddress

from app.config import Settings


class UnsafeBind(RuntimeError):
    """The service would expose patient data without authentication."""


def auth_configured(settings: Settings) -> bool:
    return bool(settings.auth_issuer or settings.api_keys)


def is_loopback_host(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def is_loopback_peer(client: tuple[str, int] | None) -> bool:
    """Whether an ASGI `scope["client"]` is this machine; None is a Unix socket peer."""
    return client is None or is_loopback_host(client[0])


def ensure_safe_bind(settings: Settings, host: str | None = None) -> None:
    """Raise `UnsafeBind`, saying why, if no auth is configured and `host` is not loopback."""
    host = settings.host if host is None else host
    if auth_configured(settings) or is_loopback_host(host):
        return
    raise UnsafeBind(
        f"Refusing to start: no authentication is configured and the service would listen on "
        f"{host or '(all addresses)'}, which is not a loopback address. Anyone who can reach "
        f"it could read patient data. Set TRIALMATCH_AUTH_ISSUER (with "
        f"TRIALMATCH_AUTH_AUDIENCE and TRIALMATCH_AUTH_JWKS_URL or TRIALMATCH_AUTH_JWKS_FILE) "
        f"or TRIALMATCH_API_KEYS, or listen on 127.0.0.1 (TRIALMATCH_HOST). "
        f"See the Security section of README.md."
    )
