"""Per-client rate limit: a token bucket per client, answered with 429 and Retry-After.

A client is the verified principal when the request authenticated (see
app/auth/middleware.py, which runs first), else its IP address. Each bucket holds `burst`
requests and refills at `per_minute / 60` per second::

    limiter = TokenBucketLimiter(per_minute=300, burst=60)
    limiter.take("client:jwt:lab-engine")   # 0.0 when allowed, else seconds to wait

Buckets live in this process: with several workers each holds its own. The IP is the one
uvicorn gives: the TCP peer's, since `trialmatch serve` trusts ``X-Forwarded-For`` only from
the proxies in ``TRIALMATCH_FORWARDED_ALLOW_IPS`` (app/limits/client_address.py).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.middleware import auth_outcome
from app.errors import ApiError
from app.limits.reply import reply


class TokenBucketLimiter:
    def __init__(
        self,
        *,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_clients = max_clients
        # key -> (tokens left, when last counted); least recently seen first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """Spend one token of `key`'s bucket: 0.0 if there was one, else seconds to wait."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._remember(key, (tokens - 1.0, now))
            return 0.0
        self._remember(key, (tokens, now))
        return (1.0 - tokens) / self.rate

    def _remember(self, key: str, bucket: tuple[float, float]) -> None:
        self._buckets[key] = bucket
        if len(self._buckets) > self.max_clients:
            # Forgetting the longest-idle client only ever gives it a full bucket back.
            self._buckets.popitem(last=False)


class RateLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, limiter: TokenBucketLimiter, exempt_paths: frozenset[str]
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.exempt_paths = exempt_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        wait = self.limiter.take(client_key(scope))
        if wait > 0:
            error = ApiError(
                "request.rate_limited",
                "Too many requests from this client; retry later.",
                status_code=429,
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
            await reply(error, scope, receive, send)
            return
        await self.app(scope, receive, send)


def client_key(scope: Scope) -> str:
    outcome = auth_outcome(scope)
    if outcome is not None and outcome.principal is not None:
        principal = outcome.principal
        return f"client:{principal.method}:{principal.client_id}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unix'}"
