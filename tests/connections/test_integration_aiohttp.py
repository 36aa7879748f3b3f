"""The production transport (aiohttp) against a real local server: real sockets on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web

from flowdesk.connections import ConnectionClient
from flowdesk.model import Connection, Entity
from flowdesk.model.errors import ConnectFailedError, ResourceNotFoundError


@pytest.fixture()
async def server():
    calls = {"flaky": 0}

    async def items(request: web.Request) -> web.Response:
        if request.headers.get("X-API-Key") != "demo-key":
            return web.json_response({"error": "unauthorised"}, status=401)
        offset = int(request.query["offset"])
        limit = int(request.query["limit"])
        data = [{"id": i} for i in range(offset, min(offset + limit, 25))]
        return web.json_response({"data": data})

    async def flaky(request: web.Request) -> web.Response:
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            return web.Response(status=503, headers={"Retry-After": "0"})
        return web.json_response({"ok": True, "body": await request.json()})

    app = web.Application()
    app.router.add_get("/api/items", items)
    app.router.add_post("/api/flaky", flaky)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", calls
    await runner.cleanup()


async def test_pages_retries_and_errors_over_aiohttp(server) -> None:
    base, calls = server
    events = []
    conn = Connection(
        name="local",
        base_url=base,
        auth={"type": "api_key", "name": "X-API-Key", "key": "demo-key"},
        retry={"count": 2, "backoff_s": 0.01},
    )
    entity = Entity(name="items", path="/api/items", data_path="$.data", pagination={"type": "offset", "limit": 10})
    async with ConnectionClient(conn, on_event=events.append) as client:
        assert type(client._wire).__name__ == "AiohttpWire"
        ids = [r["id"] async for r in client.records(entity)]
        assert ids == list(range(25))
        response = await client.send(
            method="POST", path="/api/flaky", body={"n": 1}, headers={"Idempotency-Key": "abc"}
        )
        assert response.body == {"ok": True, "body": {"n": 1}} and response.attempts == 2
        with pytest.raises(ResourceNotFoundError):
            await client.send(path="/api/missing")
        result = await client.test(entity)
        assert result.ok and result.preview == [{"id": i} for i in range(5)]
    assert calls["flaky"] == 2
    assert [e.status for e in events[:3]] == [200, 200, 200]


async def test_connect_refused_over_aiohttp() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: nothing listens there
    conn = Connection(name="closed", base_url=f"http://127.0.0.1:{port}", retry={"count": 0})
    async with ConnectionClient(conn) as client:
        with pytest.raises(ConnectFailedError) as caught:
            await client.send(path="/x")
        result = await client.test()
    assert "base URL" in caught.value.hint
    assert not result.ok and result.status is None
