"""The template of the route a request matched, for logs and the audit trail.

    route_template(request)   # "/v1/patients/{patient_id}/matches", or None if unrouted

Logs and the audit trail name the template, never the raw path, which may hold a patient id.

FastAPI 0.163 includes routers lazily: ``scope["route"]`` is the APIRoute as its own router
declared it, so its ``path`` lacks any ``include_router(prefix=...)``. The full template is
on the effective route context FastAPI keeps in ``scope["fastapi"]`` (private, hence the
fallback; tests/api/test_route_template.py fails if an upgrade moves it).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import APIRoute


def route_template(request: Request) -> str | None:
    context = request.scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(context, "path_format", None)
    if isinstance(template, str) and template:
        return template
    route = request.scope.get("route")
    return route.path if isinstance(route, APIRoute) else None
