"""The engine over a real ConnectionClient on respx: templating, paging and retries are the client's."""

from __future__ import annotations

from typing import Any

import httpx
import respx

from flowdesk.connections import ConnectionClient
from flowdesk.model import Connection, Entity
from flowdesk.model.errors import NotFoundError
from flowdesk.model.events import ApiCallMade

from .conftest import make_flow, run

BASE = "https://api.test/v1"


class HttpProvider:
    """A workspace stand-in holding real clients (httpx transport, so respx sees every request)."""

    def __init__(self, events: list[Any], sleeps: list[float]) -> None:
        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        self.connection = Connection.model_validate(
            {
                "name": "crm",
                "base_url": BASE,
                "retry": {"count": 2},
                "entities": [
                    {"name": "list_customers", "path": "/customers", "data_path": "$.data",
                     "pagination": {"type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 2}},
                    {"name": "get_customer", "path": "/customers/{id}", "data_path": "$"},
                ],
            }
        )
        self._client = ConnectionClient(
            self.connection, transport=httpx.AsyncHTTPTransport(), on_event=events.append, sleep=sleep
        )

    def entity(self, connection: str, name: str) -> Entity:
        found = self.connection.entity(name)
        if found is None:
            raise NotFoundError(name)
        return found

    def client(self, connection: str) -> ConnectionClient:
        return self._client


async def test_pages_retries_and_the_error_port(respx_mock: respx.MockRouter, events: list[Any]) -> None:
    sleeps: list[float] = []
    provider = HttpProvider(events, sleeps)
    respx_mock.get(f"{BASE}/customers", params={"offset": "0"}).respond(json={"data": [{"id": 1}, {"id": 2}]})
    respx_mock.get(f"{BASE}/customers", params={"offset": "2"}).respond(json={"data": [{"id": 404}]})
    respx_mock.get(f"{BASE}/customers/1").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"id": 1, "name": "Ada"})]
    )
    respx_mock.get(f"{BASE}/customers/2").respond(503)
    respx_mock.get(f"{BASE}/customers/404").respond(404, json={"error": "not found"})
    flow = make_flow(
        [
            {"id": "start", "type": "trigger"},
            {"id": "list", "type": "api_call", "connection": "crm", "entity": "list_customers", "all_pages": True},
            {"id": "get", "type": "api_call", "connection": "crm", "entity": "get_customer",
             "params": {"id": "{id}"}, "concurrency": 2},
            {"id": "ok", "type": "collect"},
            {"id": "bad", "type": "collect"},
        ],
        [("start.out", "list.in"), ("list.out", "get.in"), ("get.out", "ok.in"), ("get.error", "bad.in")],
    )
    try:
        result = await run(flow, provider)
    finally:
        await provider._client.aclose()
    assert result.ok
    assert result.outputs["ok.out"][0]["items"] == [{"id": 1, "name": "Ada"}]
    failures = {f["item"]["id"]: f for f in result.outputs["bad.out"][0]["items"]}
    assert failures[2]["status"] == 503 and "503" in failures[2]["error"]
    assert failures[404]["status"] == 404
    calls = [e for e in events if isinstance(e, ApiCallMade)]
    attempts_for_2 = [e.attempt for e in calls if e.url.endswith("/customers/2")]
    assert attempts_for_2 == [1, 2, 3]  # the retries ran although an error port was connected
    assert len(sleeps) == 3 and {e.node_id for e in calls} == {"list", "get"}
