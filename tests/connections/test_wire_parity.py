"""The two wires send the same requests: aiohttp driven directly (the default) and httpx (OAuth, digest,
injected transports). A real local server on 127.0.0.1 echoes what it received; every case goes through
both wires and must arrive identically."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest
from aiohttp import web

from flowdesk.connections import ConnectionClient
from flowdesk.model import Connection, Entity


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": sorted(request.query.items()),
            "content_type": (request.headers.get("Content-Type") or "").split("; boundary=")[0] or None,
            "auth": request.headers.get("Authorization"),
            "key": request.headers.get("X-Key"),
            "agent": request.headers.get("User-Agent", "").split("/")[0],
            "custom": request.headers.get("X-Custom"),
            "body": body.decode("utf-8", errors="replace") if b"--" not in body else "multipart",
        }
    )


async def _linked(request: web.Request) -> web.Response:
    page = int(request.query.get("page", "1"))
    headers = {"Link": f'</api/linked?page={page + 1}>; rel="next"'} if page < 3 else {}
    return web.json_response({"page": page, "key": request.query.getall("key", [])}, headers=headers)


async def _moved(request: web.Request) -> web.Response:
    raise web.HTTPFound("/api/echo?moved=1")


async def _zipped(request: web.Request) -> web.Response:
    data = gzip.compress(json.dumps({"big": "x" * 5000}).encode())
    return web.Response(body=data, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})


@pytest.fixture()
async def base():
    app = web.Application()
    app.router.add_route("*", "/api/echo", _echo)
    app.router.add_route("*", "/api/echo/{rest:.*}", _echo)
    app.router.add_get("/api/linked", _linked)
    app.router.add_get("/api/moved", _moved)
    app.router.add_get("/api/zipped", _zipped)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/api"
    await runner.cleanup()


def _clients(connection: Connection) -> list[ConnectionClient]:
    direct = ConnectionClient(connection)
    via_httpx = ConnectionClient(connection, transport=httpx.AsyncHTTPTransport())
    assert type(direct._wire).__name__ == "AiohttpWire"
    assert type(via_httpx._wire).__name__ == "HttpxWire"
    return [direct, via_httpx]


async def _both(connection: Connection, entity: Entity | None = None, **call: Any) -> Any:
    answers = []
    for client in _clients(connection):
        async with client:
            answers.append((await client.send(entity, **call)).body)
    assert answers[0] == answers[1]
    return answers[0]


CASES = [
    pytest.param({"method": "GET", "path": "/echo", "query": {"q": "a b/c&d", "n": 5, "many": [1, 2]}}, id="query"),
    pytest.param({"method": "POST", "path": "/echo", "body": {"name": "Zoë", "n": [1, 2.5, None]}}, id="json"),
    pytest.param({"method": "POST", "path": "/echo", "body": {"a": "1 2", "b": ["x", "y"]}, "body_type": "form"},
                 id="form"),
    pytest.param({"method": "POST", "path": "/echo", "body": {"a": "1"}, "body_type": "multipart"}, id="multipart"),
    pytest.param({"method": "PUT", "path": "/echo", "body": "plain text", "body_type": "text"}, id="text"),
    pytest.param({"method": "PATCH", "path": "/echo/{id}", "params": {"id": "a/b?c"}, "body": None}, id="path-param"),
    pytest.param({"method": "GET", "path": "/echo", "headers": {"X-Custom": "{who}"}, "item": {"who": "me"}},
                 id="header-template"),
    pytest.param({"method": "GET", "path": "/moved"}, id="redirect"),
    pytest.param({"method": "GET", "path": "/zipped"}, id="gzip"),
]  # fmt: skip


@pytest.mark.parametrize("call", CASES)
async def test_requests_arrive_the_same_through_both_wires(base, call) -> None:
    answer = await _both(Connection(name="echo", base_url=base), **call)
    assert answer  # and it is the same through both (checked in _both)


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ({"type": "api_key", "name": "X-Key", "key": "k1"}, {"key": "k1"}),
        ({"type": "bearer", "token": "t0k"}, {"auth": "Bearer t0k"}),
        ({"type": "basic", "username": "ann", "password": "pä55"}, {"auth": "Basic YW5uOnDDpDU1"}),
    ],
)
async def test_fixed_auth_is_sent_the_same_through_both_wires(base, auth, expected) -> None:
    answer = await _both(Connection(name="echo", base_url=base, auth=auth), method="GET", path="/echo")
    assert {k: answer[k] for k in expected} == expected
    assert answer["agent"] == "flowdesk"


async def test_a_query_api_key_is_set_once_on_followed_links(base) -> None:
    connection = Connection(name="echo", base_url=base, auth={"type": "api_key", "location": "query", "name": "key",
                                                              "key": "k2"})  # fmt: skip
    entity = Entity(name="linked", path="/linked", data_path="$", pagination={"type": "link_header"})
    for client in _clients(connection):
        async with client:
            pages = [page.records[0] async for page in client.pages(entity)]
        assert pages == [{"page": 1, "key": ["k2"]}, {"page": 2, "key": ["k2"]}, {"page": 3, "key": ["k2"]}]


async def test_connection_headers_are_sent_and_call_headers_win(base) -> None:
    connection = Connection(name="echo", base_url=base, headers={"X-Custom": "from-connection"})
    assert (await _both(connection, method="GET", path="/echo"))["custom"] == "from-connection"
    answer = await _both(connection, method="GET", path="/echo", headers={"X-Custom": "from-call"})
    assert answer["custom"] == "from-call"


async def test_secrets_stay_out_of_events_and_errors_on_both_wires(base) -> None:
    from flowdesk.model.errors import HttpStatusError

    connection = Connection(name="echo", base_url=base, auth={"type": "api_key", "location": "query", "name": "key",
                                                              "key": "s3cret-k3y"})  # fmt: skip
    for transport in (None, httpx.AsyncHTTPTransport()):
        events: list[Any] = []
        async with ConnectionClient(connection, transport=transport, on_event=events.append) as client:
            await client.send(None, method="GET", path="/echo")
            with pytest.raises(HttpStatusError) as failed:
                await client.send(None, method="GET", path="/missing")
        assert len(events) == 2
        assert all("s3cret" not in event.model_dump_json() for event in events)
        assert "s3cret" not in str(failed.value) and "s3cret" not in (failed.value.hint or "")
