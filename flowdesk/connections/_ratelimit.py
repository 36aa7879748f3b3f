"""A per-connection rate limiter: a strict sliding window plus the server's own announcements.

The window is a log of the last ``requests`` start times: a call may start only when the oldest of them
is at least ``per_s`` seconds old, so no window of ``per_s`` seconds ever holds more than ``requests``
calls (a token bucket would allow a burst of twice the limit across a window edge). Callers wait in
arrival order; nobody fails for being limited.

On top of that, a server that says it has no requests left (``X-RateLimit-Remaining: 0`` with
``X-RateLimit-Reset``, the IETF ``RateLimit-Remaining``/``RateLimit-Reset`` headers, or the structured
``RateLimit`` header of draft-ietf-httpapi-ratelimit-headers) holds every further call until the reset
it announces. One limiter may be shared by several clients of the same connection.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

_EPOCH_THRESHOLD = 1e9
"""A reset above this is an epoch timestamp (GitHub), below it a delay in seconds (IETF)."""

_ITEM = re.compile(r'\s*(?:"([^"]*)"|([A-Za-z*][\w.*-]*))((?:\s*;\s*[A-Za-z*][\w.*-]*(?:=[^;,]*)?)*)')


class RateLimiter:
    """At most ``requests`` calls in any window of ``per_s`` seconds, shared by all concurrent callers.

    ``requests=None`` sets no limit of its own and only honours what servers announce (every client has
    such a limiter when its connection has no ``rate_limit``). ``clock`` must be monotonic for the window;
    ``wall_clock`` converts epoch resets. Both, and ``sleep``, are injectable so tests never wait.
    """

    def __init__(
        self,
        requests: int | None,
        per_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_clock: Callable[[], float] = time.time,
        max_hold_s: float = 3600.0,
    ) -> None:
        if requests is not None and requests < 1:
            raise ValueError("requests must be at least 1 (or None for no limit)")
        if per_s <= 0:
            raise ValueError("per_s must be positive")
        self.requests = requests
        self.per_s = per_s
        self.max_hold_s = max_hold_s
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._hold_until = 0.0
        self._lock = asyncio.Lock()

    @property
    def hold_until(self) -> float:
        """The ``clock`` time before which no call starts (0 when the server announced nothing)."""
        return self._hold_until

    async def acquire(self) -> None:
        """Wait until one more call fits, and count it. Never raises for being limited."""
        if self.requests is None and not self._hold_until:
            return
        async with self._lock:  # first come, first served
            while True:
                now = self._clock()
                if self._hold_until > now:
                    await self._sleep(self._hold_until - now)
                    continue
                self._hold_until = 0.0
                if self.requests is None:
                    return
                starts = self._starts
                edge = now - self.per_s
                while starts and starts[0] <= edge:
                    starts.popleft()
                if len(starts) < self.requests:
                    starts.append(now)
                    return
                await self._sleep(starts[0] - edge)

    def hold(self, seconds: float) -> None:
        """Let no call start for ``seconds`` (capped at ``max_hold_s``)."""
        if seconds <= 0:
            return
        until = self._clock() + min(seconds, self.max_hold_s)
        if until > self._hold_until:
            self._hold_until = until

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read a response's rate-limit headers; hold further calls when it says none are left.

        ``headers`` should be case-insensitive (``httpx.Headers``); a plain dict must use lower-case names.
        """
        wait = self._announced_wait(headers)
        if wait is not None:
            self.hold(wait)

    def _announced_wait(self, headers: Mapping[str, str]) -> float | None:
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is not None:
            if _number(remaining) == 0:
                return self._reset_delay(headers.get("x-ratelimit-reset"))
            return None
        remaining = headers.get("ratelimit-remaining")
        if remaining is not None:
            if _number(remaining) == 0:
                return self._reset_delay(headers.get("ratelimit-reset"))
            return None
        structured = headers.get("ratelimit")
        if structured is not None:
            return self._structured_wait(structured, headers.get("ratelimit-policy"))
        return None

    def _reset_delay(self, value: str | None) -> float | None:
        reset = _number(value)
        if reset is None:
            return None
        if reset > _EPOCH_THRESHOLD:
            return reset - self._wall_clock()
        return reset

    def _structured_wait(self, value: str, policy: str | None) -> float | None:
        if "remaining=" in value:  # draft 03-06: ``limit=100, remaining=0, reset=30``
            fields = dict(part.strip().partition("=")[::2] for part in value.split(","))
            if _number(fields.get("remaining")) == 0:
                return _number(fields.get("reset"))
            return None
        windows = {name: params for name, params in _items(policy or "")}
        longest: float | None = None
        for name, params in _items(value):  # draft 07+: ``"default";r=0;t=30``
            if _number(params.get("r")) != 0:
                continue
            delay = _number(params.get("t"))
            if delay is None:
                delay = _number(windows.get(name, {}).get("w"))
            if delay is not None and (longest is None or delay > longest):
                longest = delay
        return longest


def _items(value: str) -> list[tuple[str, dict[str, str]]]:
    """The members of a structured-field list: ``"name";a=1;b=2, other;c=3``."""
    found: list[tuple[str, dict[str, str]]] = []
    for member in value.split(","):
        match = _ITEM.match(member)
        if not match:
            continue
        name = match.group(1) if match.group(1) is not None else match.group(2)
        params: dict[str, str] = {}
        for param in match.group(3).split(";"):
            key, _, raw = param.strip().partition("=")
            if key:
                params[key] = raw.strip().strip('"')
        found.append((name, params))
    return found


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None
