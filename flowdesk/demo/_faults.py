"""Trouble on demand: forced failures, random failures and a per-client rate limit.

Retries, backoff, ``Retry-After`` handling and rate-limit slow-downs are the hardest client code to get
right and the rarest to see against a healthy API, so the demo can produce each of them deterministically
(``X-Demo-Fail`` on one request), statistically (``error_rate``, seeded) or by load (``rate_limit``).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from flowdesk.demo._config import DemoConfig
from flowdesk.demo._responses import ApiError, json_response
from flowdesk.demo._stats import DemoStats

FAIL_HEADER = "X-Demo-Fail"
FAIL_CHOICES = ("429", "500", "503", "timeout")
TIMEOUT_S = 30.0
"""How long a forced ``timeout`` holds the answer: longer than any sensible client timeout in a test."""


@dataclass(frozen=True)
class RateDecision:
    """One request's outcome at the rate limiter, and the headers that announce it."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int
    retry_after_s: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_s),
        }


class RateLimiter:
    """A token bucket per client: ``per_second`` requests in a burst, refilled at ``per_second`` a second.

    ``X-RateLimit-Reset`` is in seconds from now (the IETF style, not an epoch), rounded up.
    """

    def __init__(self, per_second: int, clock: Callable[[], float]) -> None:
        self.per_second = per_second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, client: str) -> RateDecision:
        now = self._clock()
        tokens, last = self._buckets.get(client, (float(self.per_second), now))
        tokens = min(float(self.per_second), tokens + (now - last) * self.per_second)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[client] = (tokens, now)
        missing_for_one = max(0.0, 1.0 - tokens) / self.per_second
        until_full = (self.per_second - tokens) / self.per_second
        return RateDecision(
            allowed=allowed,
            limit=self.per_second,
            remaining=int(tokens),
            reset_s=math.ceil(until_full),
            retry_after_s=max(1, math.ceil(missing_for_one)),
        )


def client_key(request: web.Request) -> str:
    """Whose bucket a request draws from: its credential, else its address (all local clients share one)."""
    for value in (
        request.headers.get("X-API-Key"),
        request.query.get("api_key"),
        request.headers.get("Authorization"),
    ):
        if value:
            return value
    return request.remote or "anonymous"


def rate_limited(decision: RateDecision) -> ApiError:
    message = f"more than {decision.limit} requests per second; retry after {decision.retry_after_s} s"
    return ApiError(429, "rate_limited", message, headers={"Retry-After": str(decision.retry_after_s)})


class FaultInjector:
    """Replaces answers with failures: forced by a header, or at random with the configured share."""

    def __init__(
        self,
        config: DemoConfig,
        stats: DemoStats,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._error_rate = config.error_rate
        self._rng = random.Random(config.seed)
        self._stats = stats
        self._sleep = sleep

    async def forced(self, request: web.Request) -> web.Response | None:
        """The failure ``X-Demo-Fail`` asks for, or ``None`` without the header.

        Raises:
            ApiError: 400 when the header names no known failure.
        """
        wanted = request.headers.get(FAIL_HEADER)
        if wanted is None:
            return None
        wanted = wanted.strip().lower()
        if wanted not in FAIL_CHOICES:
            message = f"{FAIL_HEADER} must be one of {', '.join(FAIL_CHOICES)}, got {wanted!r}"
            raise ApiError(400, "invalid_header", message, header=FAIL_HEADER)
        self._stats.failures_injected += 1
        if wanted == "429":
            return _failure(429, "rate_limited", "forced by X-Demo-Fail", retry_after="1")
        if wanted == "500":
            return _failure(500, "internal_error", "forced by X-Demo-Fail")
        if wanted == "503":
            return _failure(503, "unavailable", "forced by X-Demo-Fail")
        await self._sleep(TIMEOUT_S)
        return _failure(504, "timeout", f"held for {TIMEOUT_S:.0f} s by X-Demo-Fail")

    def random_failure(self) -> web.Response | None:
        """A 429 (``Retry-After: 0``) or 503 for ``error_rate`` of the calls; ``None`` for the others."""
        if self._error_rate <= 0 or self._rng.random() >= self._error_rate:
            return None
        self._stats.failures_injected += 1
        if self._rng.random() < 0.5:
            return _failure(429, "rate_limited", "random failure (error_rate)", retry_after="0")
        return _failure(503, "unavailable", "random failure (error_rate)")


def _failure(status: int, error: str, message: str, *, retry_after: str | None = None) -> web.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    return json_response({"error": error, "message": message}, status, headers)
