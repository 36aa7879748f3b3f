"""The sliding-window limiter and the holds announced by servers."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from flowdesk.connections import RateLimiter

from .conftest import BASE, FakeTime, make_connection


class YieldingTime(FakeTime):
    """Fake time whose sleep also yields, so concurrent callers really interleave."""

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        await asyncio.sleep(0)


def _max_in_any_window(starts: list[float], per_s: float) -> int:
    starts = sorted(starts)
    return max(sum(1 for t in starts if s <= t < s + per_s) for s in starts)


async def test_never_more_than_n_in_any_window_with_concurrent_callers() -> None:
    time = YieldingTime()
    limiter = RateLimiter(5, 2.0, clock=time.clock, sleep=time.sleep, wall_clock=time.clock)
    starts: list[float] = []
    rng = random.Random(7)

    async def caller() -> None:
        for _ in range(8):
            await limiter.acquire()
            starts.append(time.now)
            await time.sleep(rng.random() * 0.3)  # work between calls

    await asyncio.gather(*(caller() for _ in range(6)))
    assert len(starts) == 48
    assert _max_in_any_window(starts, 2.0) <= 5
    # and it does not wait needlessly: 48 calls at 5 per 2 s need about 9 windows
    assert time.now - 1_700_000_000.0 < 2.0 * (48 / 5) + 2


async def test_first_n_calls_do_not_wait() -> None:
    time = FakeTime()
    limiter = RateLimiter(3, 1.0, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        await limiter.acquire()
    assert time.sleeps == []
    await limiter.acquire()
    assert time.sleeps == [pytest.approx(1.0)]


async def test_shared_by_two_clients(respx_mock, client_for) -> None:
    time = FakeTime()
    limiter = RateLimiter(2, 10.0, clock=time.clock, sleep=time.sleep)
    respx_mock.get(f"{BASE}/x").respond(json={})
    async with client_for(rate_limiter=limiter) as a, client_for(rate_limiter=limiter) as b:
        await a.send(path="/x")
        await b.send(path="/x")
        await a.send(path="/x")
    assert time.sleeps == [pytest.approx(10.0)]


async def test_connection_rate_limit_is_applied(respx_mock, client_for, fake_time) -> None:
    respx_mock.get(f"{BASE}/x").respond(json={})
    async with client_for(make_connection(rate_limit={"requests": 2, "per_s": 1})) as client:
        for _ in range(4):
            await client.send(path="/x")
    assert fake_time.sleeps == [pytest.approx(1.0)]


async def test_x_ratelimit_reset_epoch_holds_next_call(respx_mock, client_for, fake_time) -> None:
    reset = int(fake_time.now) + 30
    respx_mock.get(f"{BASE}/x").mock(
        side_effect=[
            httpx.Response(200, json={}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}),
            httpx.Response(200, json={}, headers={"X-RateLimit-Remaining": "99"}),
            httpx.Response(200, json={}),
        ]
    )
    async with client_for() as client:
        await client.send(path="/x")
        assert fake_time.sleeps == []
        await client.send(path="/x")
        await client.send(path="/x")
    assert fake_time.sleeps == [pytest.approx(30.0)]


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "12"}, 12.0),
        ({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "12"}, None),
        ({"RateLimit-Remaining": "0", "RateLimit-Reset": "8"}, 8.0),
        ({"RateLimit": "limit=100, remaining=0, reset=5"}, 5.0),
        ({"RateLimit": "limit=100, remaining=4, reset=5"}, None),
        ({"RateLimit": '"default";r=0;t=9', "RateLimit-Policy": '"default";q=100;w=60'}, 9.0),
        ({"RateLimit": '"burst";r=0', "RateLimit-Policy": '"burst";q=10;w=1, "day";q=1000;w=86400'}, 1.0),
        ({"RateLimit": '"default";r=50;t=9'}, None),
    ],
)
def test_announced_holds(headers: dict[str, str], wait: float | None) -> None:
    time = FakeTime()
    limiter = RateLimiter(None, 1.0, clock=time.clock, wall_clock=time.clock, sleep=time.sleep)
    limiter.observe(httpx.Headers(headers))
    if wait is None:
        assert limiter.hold_until == 0.0
    else:
        assert limiter.hold_until == pytest.approx(time.now + wait)


async def test_without_limit_or_hold_acquire_never_sleeps() -> None:
    time = FakeTime()
    limiter = RateLimiter(None, 1.0, clock=time.clock, sleep=time.sleep)
    for _ in range(1000):
        await limiter.acquire()
    assert time.sleeps == []
