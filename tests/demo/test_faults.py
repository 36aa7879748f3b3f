"""Failures on demand: X-Demo-Fail, the seeded error_rate, the per-client rate limit and latency."""

from __future__ import annotations

import time

import httpx
import pytest
from aiohttp.test_utils import make_mocked_request

from flowdesk.demo import DemoConfig, DemoStats
from flowdesk.demo._faults import FaultInjector

from .conftest import API_KEY


@pytest.mark.parametrize(("fail", "status", "retry_after"), [("429", 429, "1"), ("503", 503, None), ("500", 500, None)])
async def test_x_demo_fail_forces_that_answer(server, api, fail, status, retry_after):
    r = await api.get("/customers", headers={"X-Demo-Fail": fail})
    assert r.status_code == status
    assert r.headers.get("retry-after") == retry_after
    assert r.json()["message"] == "forced by X-Demo-Fail"
    assert server.stats.failures_injected == 1
    assert (await api.get("/customers")).status_code == 200


async def test_an_unknown_x_demo_fail_is_a_400(api):
    r = await api.get("/customers", headers={"X-Demo-Fail": "418"})
    assert r.status_code == 400
    assert r.json()["header"] == "X-Demo-Fail"


async def test_forced_failures_do_not_hide_missing_credentials(anonymous):
    assert (await anonymous.get("/api/customers", headers={"X-Demo-Fail": "503"})).status_code == 401


async def test_a_forced_timeout_holds_the_answer_30_seconds():
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    injector = FaultInjector(DemoConfig(), DemoStats(), sleep=fake_sleep)
    response = await injector.forced(make_mocked_request("GET", "/api/customers", headers={"X-Demo-Fail": "timeout"}))
    assert slept == [30.0]
    assert response is not None and response.status == 504


async def test_error_rate_one_fails_every_api_call_with_429_or_503(start):
    server = await start(error_rate=1.0)
    async with httpx.AsyncClient(base_url=server.base_url, headers=API_KEY) as client:
        statuses = []
        for _ in range(20):
            r = await client.get("/api/customers")
            statuses.append(r.status_code)
            if r.status_code == 429:
                assert r.headers["retry-after"] == "0"
        assert set(statuses) == {429, 503}
        assert (await client.get("/openapi.json")).status_code == 200  # only /api fails
    assert server.stats.failures_injected == 20


async def test_random_failures_follow_the_seed(start):
    runs = []
    for _ in range(2):
        server = await start(error_rate=0.5, seed=11)
        async with httpx.AsyncClient(base_url=f"{server.base_url}/api", headers=API_KEY) as client:
            runs.append([(await client.get("/regions")).status_code for _ in range(40)])
    assert runs[0] == runs[1]
    assert 5 < runs[0].count(200) < 35


async def test_the_rate_limit_answers_429_with_retry_after_and_recovers_as_time_passes(start, clock):
    server = await start(rate_limit=3)
    async with httpx.AsyncClient(base_url=f"{server.base_url}/api", headers=API_KEY) as client:
        remaining = []
        for _ in range(3):
            r = await client.get("/regions")
            assert r.status_code == 200
            assert r.headers["x-ratelimit-limit"] == "3"
            remaining.append(r.headers["x-ratelimit-remaining"])
        assert remaining == ["2", "1", "0"]
        r = await client.get("/regions")
        assert r.status_code == 429
        assert r.json()["error"] == "rate_limited"
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["x-ratelimit-remaining"] == "0"
        assert int(r.headers["x-ratelimit-reset"]) >= 1
        assert server.stats.rate_limited == 1

        clock.advance(1.0)
        assert (await client.get("/regions")).status_code == 200

        # another client has its own bucket; refused calls carry the headers too
        r = await client.get("/regions", headers={"X-API-Key": "wrong"})
        assert r.status_code == 401 and r.headers["x-ratelimit-limit"] == "3"


async def test_without_a_rate_limit_there_are_no_rate_limit_headers(api):
    assert "x-ratelimit-limit" not in (await api.get("/regions")).headers


async def test_latency_delays_answers(start):
    server = await start(latency_ms=80)
    async with httpx.AsyncClient(base_url=f"{server.base_url}/api", headers=API_KEY) as client:
        started = time.perf_counter()
        assert (await client.get("/health")).status_code == 200
        assert time.perf_counter() - started >= 0.08
