"""Building requests: path parameters, query, headers, every body type, templating from items."""

from __future__ import annotations

import json

import pytest

from flowdesk.connections import UNSET
from flowdesk.model import Entity
from flowdesk.model.errors import UserError
from flowdesk.model.templating import TemplateError

from .conftest import BASE, make_connection


async def test_path_params_are_url_encoded(respx_mock, client_for) -> None:
    route = respx_mock.get(f"{BASE}/customers/a%2Fb%3Fc/orders").respond(json=[])
    entity = Entity(name="orders", path="/customers/{id}/orders")
    async with client_for() as client:
        await client.send(entity, params={"id": "a/b?c"})
    assert route.called


async def test_values_are_templated_from_the_item(respx_mock, client_for) -> None:
    route = respx_mock.post(f"{BASE}/customers/42/notes").respond(201, json={"id": 1})
    entity = Entity(
        name="note",
        method="POST",
        path="/customers/{customerId}/notes",
        query={"lang": "{vars.lang}", "unused": None},
        headers={"X-Customer": "{customerName}"},
        body={"text": "Hello {customerName}", "count": "{count}"},
    )
    item = {"customerId": 42, "customerName": "Ada", "count": 3}
    async with client_for() as client:
        response = await client.send(entity, item=item, variables={"lang": "en"})
    request = route.calls.last.request
    assert response.status == 201
    assert dict(request.url.params) == {"lang": "en"}
    assert request.headers["X-Customer"] == "Ada"
    assert json.loads(request.content) == {"text": "Hello Ada", "count": 3}


async def test_call_values_override_entity_defaults(respx_mock, client_for) -> None:
    route = respx_mock.get(f"{BASE}/items").respond(json=[])
    entity = Entity(name="items", path="/items", query={"limit": 10, "sort": "name"}, headers={"X-Mode": "a"})
    conn = make_connection(headers={"X-Tenant": "t1", "X-Mode": "conn"})
    async with client_for(conn) as client:
        await client.send(entity, query={"limit": 5}, headers={"x-mode": "b"})
    request = route.calls.last.request
    assert dict(request.url.params) == {"limit": "5", "sort": "name"}
    assert request.headers["X-Mode"] == "b"
    assert request.headers["X-Tenant"] == "t1"  # connection headers on every request
    assert request.headers["User-Agent"].startswith("flowdesk/")


async def test_unknown_placeholder_is_a_user_error(client_for) -> None:
    entity = Entity(name="one", path="/customers/{id}")
    async with client_for() as client:
        with pytest.raises(TemplateError, match=r"\{id\}") as caught:
            await client.send(entity, item={"other": 1})
    assert isinstance(caught.value, UserError)


async def test_whole_item_as_json_body(respx_mock, client_for) -> None:
    route = respx_mock.post(f"{BASE}/rows").respond(json={})
    entity = Entity(name="rows", method="POST", path="/rows")
    item = {"a": 1, "b": [1, 2], "c": {"d": None}}
    async with client_for() as client:
        await client.send(entity, item=item, body_from_item=True)
    assert json.loads(route.calls.last.request.content) == item
    assert route.calls.last.request.headers["Content-Type"] == "application/json"


async def test_form_body(respx_mock, client_for) -> None:
    route = respx_mock.post(f"{BASE}/form").respond(json={})
    entity = Entity(name="f", method="POST", path="/form", body={"name": "{n}", "ok": True}, body_type="form")
    async with client_for() as client:
        await client.send(entity, item={"n": "Ada Lovelace"})
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.content == b"name=Ada+Lovelace&ok=true"


async def test_multipart_with_files(respx_mock, client_for, tmp_path) -> None:
    route = respx_mock.post(f"{BASE}/upload").respond(json={})
    doc = tmp_path / "report.csv"
    doc.write_text("a,b\n1,2\n")
    entity = Entity(name="u", method="POST", path="/upload")
    async with client_for() as client:
        await client.send(
            entity,
            body={"title": "Q1"},
            files={"file": doc, "raw": ("raw.bin", b"\x00\x01", "application/octet-stream")},
        )
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    content = request.content
    assert b'name="title"' in content and b"Q1" in content
    assert b'filename="report.csv"' in content and b"a,b\n1,2\n" in content
    assert b'filename="raw.bin"' in content


async def test_multipart_without_files(respx_mock, client_for) -> None:
    route = respx_mock.post(f"{BASE}/upload").respond(json={})
    async with client_for() as client:
        await client.send(method="POST", path="/upload", body={"a": "1"}, body_type="multipart")
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="a"' in request.content


async def test_raw_text_body(respx_mock, client_for) -> None:
    route = respx_mock.put(f"{BASE}/note").respond(204)
    async with client_for() as client:
        response = await client.send(
            method="PUT", path="/note", body="Dear {name}", body_type="text", item={"name": "Ada"}
        )
    assert route.calls.last.request.content == b"Dear Ada"
    assert route.calls.last.request.headers["Content-Type"].startswith("text/plain")
    assert response.status == 204 and response.body is None


async def test_explicit_none_body_sends_nothing(respx_mock, client_for) -> None:
    route = respx_mock.post(f"{BASE}/ping").respond(json={})
    entity = Entity(name="p", method="POST", path="/ping", body={"x": 1})
    async with client_for() as client:
        await client.send(entity, body=None)
        await client.send(entity, body=UNSET)
    assert route.calls[0].request.content == b""
    assert json.loads(route.calls[1].request.content) == {"x": 1}


async def test_form_body_must_be_an_object(client_for) -> None:
    async with client_for() as client:
        with pytest.raises(UserError, match="form body must be an object"):
            await client.send(method="POST", path="/x", body=[1, 2], body_type="form")


async def test_absolute_url_path_is_used_as_is(respx_mock, client_for) -> None:
    route = respx_mock.get("https://other.example.com/openapi.json").respond(json={"openapi": "3.1.0"})
    async with client_for() as client:
        response = await client.send(None, method="GET", path="https://other.example.com/openapi.json")
    assert route.called and response.body == {"openapi": "3.1.0"}


async def test_json_text_and_records(respx_mock, client_for) -> None:
    respx_mock.get(f"{BASE}/json").respond(json={"data": [{"id": 1}, {"id": 2}]})
    respx_mock.get(f"{BASE}/html").respond(200, text="<html>login</html>", headers={"Content-Type": "text/html"})
    async with client_for() as client:
        data = await client.send(path="/json")
        html = await client.send(path="/html")
    assert data.is_json and data.records("$.data") == [{"id": 1}, {"id": 2}]
    assert data.records(None) == [{"data": [{"id": 1}, {"id": 2}]}]
    assert html.body == "<html>login</html>" and not html.is_json
    from flowdesk.model.errors import InvalidResponseError

    with pytest.raises(InvalidResponseError, match="text/html"):
        html.records("$.data")
    with pytest.raises(InvalidResponseError, match="nothing at data_path"):
        data.records("$.items")
