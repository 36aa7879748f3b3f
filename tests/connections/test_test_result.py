"""``ConnectionClient.test``: a result to show, never an exception."""

from __future__ import annotations

import httpx

from flowdesk.model import Entity

from .conftest import BASE, make_connection


async def test_ok_previews_the_base_url(respx_mock, client_for) -> None:
    route = respx_mock.get(f"{BASE}/").respond(json={"items": list(range(100)), "name": "x" * 2000})
    async with client_for() as client:
        result = await client.test()
    assert route.called
    assert result.ok and result.status == 200 and result.error is None and result.hint is None
    assert result.preview["items"] == [0, 1, 2, 3, 4]
    assert len(result.preview["name"]) <= 501


async def test_test_entity_records_preview(respx_mock, client_for) -> None:
    respx_mock.get(f"{BASE}/customers").respond(json={"data": [{"id": i} for i in range(20)]})
    conn = make_connection(
        entities=[{"name": "customers", "path": "/customers", "data_path": "$.data"}], test_entity="customers"
    )
    async with client_for(conn) as client:
        result = await client.test()
    assert result.ok and result.preview == [{"id": i} for i in range(5)]


async def test_failure_is_reported_once_without_retry(respx_mock, client_for, fake_time) -> None:
    route = respx_mock.get(f"{BASE}/me").respond(503, text="maintenance")
    async with client_for() as client:
        result = await client.test(Entity(name="me", path="/me"))
    assert route.call_count == 1 and fake_time.sleeps == []
    assert not result.ok and result.status == 503
    assert "503" in result.error and "later" in result.hint and result.preview == "maintenance"


async def test_connect_failure_is_reported(respx_mock, client_for) -> None:
    respx_mock.get(f"{BASE}/").mock(side_effect=httpx.ConnectError("refused"))
    async with client_for() as client:
        result = await client.test()
    assert not result.ok and result.status is None and "base URL" in result.hint


async def test_missing_path_param_is_reported(client_for) -> None:
    async with client_for() as client:
        result = await client.test(Entity(name="one", path="/x/{id}"))
    assert not result.ok and "{id}" in result.error


async def test_unknown_test_entity_is_reported(client_for) -> None:
    async with client_for(make_connection(test_entity="nope")) as client:
        result = await client.test()
    assert not result.ok and "nope" in result.error
