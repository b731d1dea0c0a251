"""Loading a population into a FHIR server as transaction Bundles (the loader sekmet needs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

Resource = dict[str, Any]


def transaction(resources: Iterable[Resource]) -> Resource:
    """A transaction Bundle that PUTs each resource at its own id."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ],
    }


def load(base_url: str, resources: list[Resource], token: str | None = None) -> None:
    headers = {"Content-Type": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx.post(base_url, json=transaction(resources), headers=headers, timeout=120)
    assert response.status_code == 200, response.text[:500]
