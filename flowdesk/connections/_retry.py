"""When a failed call is sent again, and how long to wait first.

A retry must never repeat a side effect the server may already have applied: POST and PATCH go again
only when the entity says it is idempotent or the request carries an ``Idempotency-Key``; a request that
certainly never left (the connection could not be opened) may always go again.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

from flowdesk.model.connection import RetryPolicy

SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
"""Idempotent by RFC 9110: sending them twice has the effect of sending them once."""

JITTER = 0.1
"""±10 % so that clients that failed together do not retry in lockstep."""


def may_resend(method: str, idempotent: bool, headers: Mapping[str, str]) -> bool:
    """Whether a request whose outcome is unknown may be sent again (header names in any case)."""
    return method in SAFE_METHODS or idempotent or any(name.lower() == "idempotency-key" for name in headers)


def backoff_delay(policy: RetryPolicy, attempt: int, rand: Callable[[], float] = random.random) -> float:
    """The wait before retry number ``attempt`` (1-based): ``backoff_s * 2**(attempt-1)`` ±10 %, capped."""
    base = policy.backoff_s * 2.0 ** (attempt - 1)
    jittered = base * (1 - JITTER + 2 * JITTER * rand())
    return min(jittered, policy.max_backoff_s)


def retry_after_delay(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay seconds or an HTTP date), or ``None``.

    ``now`` is the wall-clock time (epoch seconds) to measure an HTTP date from; a date in the past gives 0.
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)
