"""Hostile load on the real service, under uvicorn on loopback, as `trialmatch serve` runs it.

- Large unauthenticated uploads are refused before their bodies are read, so `/healthz`
  keeps answering: its p90 during them stays within 10 times idle (or 250 ms, whichever is
  larger; a loose bound on a shared machine: bench/unauthenticated_uploads.py measures).
- The rate limit holds whatever ``X-Forwarded-For`` says: proxy headers are trusted only
  from ``TRIALMATCH_FORWARDED_ALLOW_IPS``.

Every loop is bounded and stops by itself.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from bench.unauthenticated_uploads import (
    guarded_settings,
    healthz_latencies,
    percentile,
    served,
    under_uploads,
)


def test_unauthenticated_big_uploads_do_not_stall_healthz(tmp_path: Path) -> None:
    with served(guarded_settings(tmp_path)) as base:
        idle = healthz_latencies(base, 60)
        busy, statuses = under_uploads(base, uploads=4, size=8 * 1024 * 1024, probes=60)
    assert statuses and statuses.count(401) >= len(statuses) // 2, statuses[:10]
    assert set(statuses) <= {401, None}  # refused as unauthenticated, never read and judged
    bound = max(10 * percentile(idle, 0.9), 0.25)
    assert percentile(busy, 0.9) <= bound, (percentile(idle, 0.9), percentile(busy, 0.9))


def rotating_forwarded_for(base: str, count: int) -> list[int]:
    """`count` unauthenticated requests, each claiming another client address."""
    with httpx.Client(base_url=base, timeout=10) as client:
        return [
            client.get(
                "/v1/trials", headers={"X-Forwarded-For": f"203.0.{i // 250}.{i % 250 + 1}"}
            ).status_code
            for i in range(count)
        ]


def test_rotating_x_forwarded_for_does_not_escape_the_rate_limit(tmp_path: Path) -> None:
    settings = guarded_settings(tmp_path, rate_limit_per_minute=60, rate_limit_burst=10)
    with served(settings) as base:
        statuses = rotating_forwarded_for(base, 100)
    assert statuses[:10] == [401] * 10  # the burst: unauthenticated, refused by auth
    assert statuses.count(429) >= 85  # then one bucket, the loopback peer's, runs dry


def test_a_configured_proxy_is_trusted_for_x_forwarded_for(tmp_path: Path) -> None:
    # The control: from a proxy named in TRIALMATCH_FORWARDED_ALLOW_IPS each forwarded
    # address is its own client, so none of the 100 runs out of its bucket.
    settings = guarded_settings(
        tmp_path, rate_limit_per_minute=60, rate_limit_burst=10, forwarded_allow_ips="127.0.0.1"
    )
    with served(settings) as base:
        statuses = rotating_forwarded_for(base, 100)
    assert statuses == [401] * 100
