"""Shared set-up for the window tests: a real workspace in the test's data dir, and a small local API for
what the demo API does not serve (a body over 10 MB, a slow answer, OData $metadata, GraphQL, an echo)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections import Counter
from pathlib import Path

from aiohttp import web

from flowdesk.model import Connection
from flowdesk.workspace import Workspace

DISCOVERY_FIXTURES = Path(__file__).resolve().parent.parent / "discovery" / "fixtures"
BIG_RECORDS = 110_000
"""Records in ``GET /big``: about 12 MB of JSON, over the tester's 10 MB limit for in-memory viewing."""


def open_workspace(data_dir, name: str = "Default") -> Workspace:
    return Workspace.open(data_dir, name, user="tester", master_password=lambda: "test-master-password")


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def demo_connection(base_url: str, name: str | None = None) -> Connection:
    from flowdesk.demo import demo_connection_data
    from flowdesk.model import parse_connection

    data = demo_connection_data(base_url)
    if name is not None:
        data["name"] = name
    return parse_connection(data)


def big_document() -> list[dict[str, object]]:
    return [{"id": i, "name": f"record {i}", "notes": "n" * 80} for i in range(BIG_RECORDS)]


def _app(hits: Counter[str]) -> web.Application:
    from tests.discovery.test_graphql import INTROSPECTION

    big = json.dumps(big_document()).encode()
    metadata = (DISCOVERY_FIXTURES / "trippin-v4.metadata.xml").read_bytes()

    async def big_body(_request: web.Request) -> web.Response:
        return web.Response(body=big, content_type="application/json")

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.json_response({"late": True})

    async def echo(request: web.Request) -> web.Response:
        text = await request.text()
        return web.json_response({"content_type": request.content_type, "body": text, "query": dict(request.query)})

    async def odata_metadata(_request: web.Request) -> web.Response:
        return web.Response(body=metadata, content_type="application/xml")

    async def graphql(request: web.Request) -> web.Response:
        query = (await request.json()).get("query", "")
        if "__schema" not in query:
            return web.json_response({"errors": [{"message": "only introspection here"}]}, status=400)
        return web.json_response(INTROSPECTION)

    @web.middleware
    async def count(request: web.Request, handler):  # type: ignore[no-untyped-def]
        hits[request.path] += 1
        return await handler(request)

    app = web.Application(middlewares=[count])
    app.router.add_get("/big", big_body)
    app.router.add_get("/slow", slow)
    app.router.add_post("/echo", echo)
    app.router.add_get("/odata/$metadata", odata_metadata)
    app.router.add_post("/graphql", graphql)
    return app


class FixtureServer:
    """The local API above on 127.0.0.1, on its own loop in a thread (real sockets, like the demo fixture)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.hits: Counter[str] = Counter()
        """Requests received per path (a test can wait until its request has arrived)."""
        # handler_cancellation: a request the client gave up on (Cancel in the tester) ends on the server too
        self._runner = web.AppRunner(_app(self.hits), shutdown_timeout=0.5, handler_cancellation=True)
        self.base_url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)

    async def _start(self) -> str:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    def connection(self, name: str = "fixtures") -> Connection:
        return Connection(name=name, base_url=self.base_url, timeout=60, retry={"count": 0})

    async def _stop(self) -> None:
        await self._runner.cleanup()
        rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()
