"""Retries: statuses, backoff, Retry-After, which methods may be resent."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from flowdesk.model import Entity
from flowdesk.model.errors import ServerError

from .conftest import BASE, make_connection


async def test_backoff_doubles_with_jitter(respx_mock, client_for, fake_time, events) -> None:
    route = respx_mock.get(f"{BASE}/x").mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(500), httpx.Response(200, json={})]
    )
    async with client_for() as client:
        response = await client.send(path="/x")
    assert response.status == 200 and response.attempts == 4 and route.call_count == 4
    assert len(fake_time.sleeps) == 3
    for waited, base in zip(fake_time.sleeps, (1, 2, 4), strict=True):
        assert base * 0.9 <= waited <= base * 1.1
    assert [(e.attempt, e.status, e.will_retry) for e in events] == [
        (1, 503, True),
        (2, 502, True),
        (3, 500, True),
        (4, 200, False),
    ]


async def test_gives_up_after_count_with_server_error(respx_mock, client_for, fake_time) -> None:
    respx_mock.get(f"{BASE}/x").respond(500, text="boom")
    conn = make_connection(retry={"count": 2, "backoff_s": 0.5})
    async with client_for(conn) as client:
        with pytest.raises(ServerError) as caught:
            await client.send(path="/x")
    assert caught.value.attempts == 3 and caught.value.body_excerpt == "boom"
    assert len(fake_time.sleeps) == 2


async def test_backoff_is_capped(respx_mock, client_for, fake_time) -> None:
    respx_mock.get(f"{BASE}/x").mock(side_effect=[httpx.Response(503)] * 3 + [httpx.Response(200)])
    conn = make_connection(retry={"count": 3, "backoff_s": 10, "max_backoff_s": 15})
    async with client_for(conn) as client:
        await client.send(path="/x")
    assert max(fake_time.sleeps) <= 15


async def test_retry_after_seconds_wins(respx_mock, client_for, fake_time) -> None:
    respx_mock.get(f"{BASE}/x").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={})]
    )
    async with client_for() as client:
        await client.send(path="/x")
    assert fake_time.sleeps == [7.0]


async def test_retry_after_http_date(respx_mock, client_for, fake_time) -> None:
    when = formatdate(fake_time.now + 12, usegmt=True)
    respx_mock.get(f"{BASE}/x").mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200, json={})]
    )
    async with client_for() as client:
        await client.send(path="/x")
    assert fake_time.sleeps == [pytest.approx(12, abs=1)]


async def test_retry_after_longer_than_policy_is_not_waited(respx_mock, client_for, fake_time) -> None:
    from flowdesk.model.errors import RateLimitedError

    respx_mock.get(f"{BASE}/x").respond(429, headers={"Retry-After": "3600"})
    async with client_for() as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.send(path="/x")
    assert fake_time.sleeps == []
    assert "3600" in caught.value.hint


async def test_post_is_not_retried_by_default(respx_mock, client_for, fake_time) -> None:
    route = respx_mock.post(f"{BASE}/orders").respond(503)
    async with client_for() as client:
        with pytest.raises(ServerError):
            await client.send(Entity(name="create", method="POST", path="/orders"), body={"a": 1})
    assert route.call_count == 1 and fake_time.sleeps == []


async def test_post_retried_when_entity_is_idempotent(respx_mock, client_for) -> None:
    route = respx_mock.post(f"{BASE}/orders").mock(side_effect=[httpx.Response(503), httpx.Response(201, json={})])
    entity = Entity(name="create", method="POST", path="/orders", idempotent=True)
    async with client_for() as client:
        response = await client.send(entity, body={"a": 1})
    assert response.status == 201 and route.call_count == 2
    assert route.calls[0].request.content == route.calls[1].request.content


async def test_patch_retried_with_idempotency_key(respx_mock, client_for) -> None:
    route = respx_mock.patch(f"{BASE}/orders/1").mock(side_effect=[httpx.Response(502), httpx.Response(200, json={})])
    async with client_for() as client:
        await client.send(method="PATCH", path="/orders/1", body={"a": 1}, headers={"Idempotency-Key": "k1"})
    assert route.call_count == 2


async def test_connect_errors_are_retried(respx_mock, client_for, fake_time) -> None:
    route = respx_mock.get(f"{BASE}/x").mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json={})])
    async with client_for() as client:
        await client.send(path="/x")
    assert route.call_count == 2 and len(fake_time.sleeps) == 1


async def test_read_timeout_of_a_post_is_not_retried(respx_mock, client_for) -> None:
    from flowdesk.model.errors import RequestTimeoutError

    route = respx_mock.post(f"{BASE}/x").mock(side_effect=httpx.ReadTimeout("slow"))
    async with client_for() as client:
        with pytest.raises(RequestTimeoutError):
            await client.send(method="POST", path="/x", body={})
    assert route.call_count == 1


async def test_404_is_not_retried(respx_mock, client_for, fake_time) -> None:
    from flowdesk.model.errors import ResourceNotFoundError

    route = respx_mock.get(f"{BASE}/x").respond(404)
    async with client_for() as client:
        with pytest.raises(ResourceNotFoundError):
            await client.send(path="/x")
    assert route.call_count == 1 and fake_time.sleeps == []
