"""Fakes for the engine's tests: a provider whose client answers from Python functions, and flow helpers."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from flowdesk.connections import UNSET, ApiResponse, Page
from flowdesk.engine import FlowRunner, RunResult
from flowdesk.model import Entity
from flowdesk.model.errors import HttpStatusError, NotFoundError
from flowdesk.model.flow import Flow
from flowdesk.model.templating import render


def response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> ApiResponse:
    return ApiResponse(
        status=status,
        headers=headers or {"content-type": "application/json"},
        body=body,
        elapsed_ms=1.0,
        url="https://api.test/x",
        attempts=1,
        size=0,
        method="GET",
        content_type="application/json",
        is_json=True,
    )


class FakeClient:
    """Answers ``send`` and ``pages`` like a ConnectionClient, from handlers keyed by entity name.

    ``handlers[name](call)`` returns an :class:`ApiResponse` (or a body), may be async, may raise;
    ``call`` is the rendered request: ``{entity, params, query, headers, body, item}``. ``pages[name]`` is a
    list of record lists; ``before_page(name, number)`` (async) runs before each page is answered.
    """

    def __init__(self) -> None:
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self.pages_of: dict[str, list[list[Any]]] = {}
        self.before_page: Callable[[str, int], Any] | None = None
        self.calls: list[dict[str, Any]] = []
        self.pages_fetched: list[tuple[str, int]] = []

    def _render(self, entity: Entity, kwargs: dict[str, Any]) -> dict[str, Any]:
        item, variables = kwargs.get("item"), kwargs.get("variables")
        body = kwargs.get("body", UNSET)
        if kwargs.get("body_from_item"):
            body = dict(item or {})
        elif body is not UNSET:
            body = render(body, item, variables)
        else:
            body = None
        return {
            "entity": entity.name if entity is not None else None,
            "method": kwargs.get("method"),
            "path": kwargs.get("path"),
            "params": render(dict(kwargs.get("params") or {}), item, variables),
            "query": render(dict(kwargs.get("query") or {}), item, variables),
            "headers": dict(kwargs.get("headers") or {}),
            "body": body,
            "item": item,
            "node_id": kwargs.get("node_id"),
        }

    async def send(self, entity: Entity | None = None, **kwargs: Any) -> ApiResponse:
        call = self._render(entity, kwargs)  # type: ignore[arg-type]
        self.calls.append(call)
        name = entity.name if entity is not None else "url"
        answer = self.handlers[name](call)
        if inspect.isawaitable(answer):
            answer = await answer
        result = answer if isinstance(answer, ApiResponse) else response(answer)
        if kwargs.get("raise_for_status", True) and not result.ok:
            raise HttpStatusError(f"GET /x failed: HTTP {result.status}", status=result.status)
        return result

    def pages(self, entity: Entity, **kwargs: Any) -> AsyncIterator[Page]:
        call = self._render(entity, kwargs)
        self.calls.append(call)
        return self._pages(entity, call)

    async def _pages(self, entity: Entity, call: dict[str, Any]) -> AsyncIterator[Page]:
        for number, records in enumerate(self.pages_of[entity.name], start=1):
            if self.before_page is not None:
                await self.before_page(entity.name, number)
            self.pages_fetched.append((entity.name, number))
            if isinstance(records, Exception):
                raise records
            yield Page(number=number, response=response({"data": records}), records=list(records))

    async def aclose(self) -> None:
        pass


class FakeProvider:
    """The workspace as the engine sees it: entities by name and one client for every connection."""

    def __init__(self, *entities: Entity, connection: str = "crm") -> None:
        self.connection = connection
        self.entities = {e.name: e for e in entities}
        self.client_ = FakeClient()
        self.secrets: dict[str, str] = {}

    def entity(self, connection: str, name: str) -> Entity:
        if connection != self.connection:
            raise NotFoundError(f"there is no connection {connection!r}")
        if name not in self.entities:
            raise NotFoundError(f"connection {connection!r} has no entity {name!r}")
        return self.entities[name]

    def client(self, connection: str) -> FakeClient:
        return self.client_


def entity(name: str, **fields: Any) -> Entity:
    fields.setdefault("path", f"/{name}")
    fields.setdefault("data_path", "$.data")
    return Entity.model_validate({"name": name, **fields})


@pytest.fixture()
def provider() -> FakeProvider:
    return FakeProvider(
        entity("list_customers"),
        entity("get_customer", path="/customers/{id}", data_path="$"),
        entity("create_customer", method="POST", path="/customers", data_path="$"),
        entity("list_regions"),
    )


def make_flow(nodes: list[dict[str, Any]], edges: list[tuple[str, str]], **extra: Any) -> Flow:
    """A flow from short node dicts (``{"id", "type", **config}``) and ``(source, target)`` pairs."""
    return Flow.model_validate(
        {
            "name": extra.pop("name", "test"),
            "nodes": [
                {"id": n["id"], "type": n["type"], "config": {k: v for k, v in n.items() if k not in ("id", "type")}}
                for n in nodes
            ],
            "edges": [{"source": s, "target": t} for s, t in edges],
            **extra,
        }
    )


async def run(flow: Flow, provider: Any = None, **kwargs: Any) -> RunResult:
    kwargs.setdefault("on_event", EVENTS.append)
    return await FlowRunner(flow, clients=provider, **kwargs).run()


EVENTS: list[Any] = []


@pytest.fixture(autouse=True)
def _events() -> None:
    EVENTS.clear()


@pytest.fixture()
def events() -> list[Any]:
    return EVENTS


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Yield to the loop until ``condition`` holds (no sleeping for a fixed time)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0)
