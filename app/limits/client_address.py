"""Whose address a request comes from: the TCP peer's, unless the peer is a configured proxy.

The rate limiter keys an unauthenticated request by ``scope["client"]``, the address
uvicorn gives. uvicorn, left to its defaults, replaces that address with the first hop of
``X-Forwarded-For`` whenever the peer is on loopback, so any local caller could pick the
address the limiter sees (a new one per request: never limited). `trialmatch serve`
therefore turns proxy headers off, unless ``TRIALMATCH_FORWARDED_ALLOW_IPS`` names the
reverse proxies whose ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are trusted::

    uvicorn.run("app.main:app", **uvicorn_proxy_options(settings))
    # TRIALMATCH_FORWARDED_ALLOW_IPS unset    -> {"proxy_headers": False}
    # TRIALMATCH_FORWARDED_ALLOW_IPS=10.0.0.5 -> {"proxy_headers": True,
    #                                             "forwarded_allow_ips": ["10.0.0.5"]}
"""

from __future__ import annotations

from typing import Any

from app.config import Settings


def trusted_proxies(settings: Settings) -> list[str]:
    """The proxy addresses (or networks) of the setting; empty: trust none."""
    value = settings.forwarded_allow_ips or ""
    return [part.strip() for part in value.split(",") if part.strip()]


def uvicorn_proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's keyword arguments for proxy headers, as `trialmatch serve` passes them."""
    proxies = trusted_proxies(settings)
    if not proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}
