"""The same 250 customers through offset, page, cursor and Link-header pagination; the lazily built items."""

from __future__ import annotations

import httpx
import pytest

from flowdesk.demo import DemoConfig, DemoServer

from .conftest import API_KEY


def _ids(records):
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "a record came twice"
    return ids


async def test_offset_pagination_walks_every_customer_once(api):
    records, offset = [], 0
    while True:
        body = (await api.get("/customers", params={"offset": offset, "limit": 50})).json()
        assert body["total"] == 250 and body["offset"] == offset and body["limit"] == 50
        records += body["data"]
        if len(body["data"]) < 50:
            break
        offset += 50
    assert _ids(records) == list(range(1, 251))


async def test_the_default_page_size_is_50(api):
    body = (await api.get("/customers")).json()
    assert len(body["data"]) == 50 and body["limit"] == 50 and body["offset"] == 0


async def test_page_pagination_walks_every_customer_once(api):
    records, page = [], 1
    while True:
        body = (await api.get("/customers/pages", params={"page": page, "per_page": 40})).json()
        assert body["page"] == page and body["per_page"] == 40 and body["total_pages"] == 7
        records += body["data"]
        if page >= body["total_pages"]:
            break
        page += 1
    assert _ids(records) == list(range(1, 251))
    beyond = (await api.get("/customers/pages", params={"page": 8, "per_page": 40})).json()
    assert beyond["data"] == []


async def test_cursor_pagination_walks_every_customer_once(api):
    records, cursor, pages = [], None, 0
    while True:
        params = {"limit": 60} | ({"cursor": cursor} if cursor else {})
        body = (await api.get("/customers/cursor", params=params)).json()
        pages += 1
        records += body["data"]
        assert body["has_more"] == (body["next_cursor"] is not None)
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert not cursor.isdigit(), "the cursor should be opaque"
    assert pages == 5
    assert _ids(records) == list(range(1, 251))


async def test_link_header_pagination_walks_every_customer_once(server):
    # authenticated by ?api_key= only: the next URLs must keep it to work as they are
    async with httpx.AsyncClient() as client:
        url: str | None = f"{server.base_url}/api/customers/linked?per_page=100&api_key=demo-key"
        records, pages = [], 0
        while url:
            r = await client.get(url)
            assert r.status_code == 200, r.text
            pages += 1
            records += r.json()["data"]
            url = r.links.get("next", {}).get("url")
            if url:
                assert url.startswith(f"{server.base_url}/api/customers/linked?")
    assert pages == 3
    assert _ids(records) == list(range(1, 251))


async def test_filters_apply_to_every_pagination_style(api):
    offset = (await api.get("/customers", params={"region": "EU", "limit": 500})).json()
    assert offset["data"] and all(c["region"] == "EU" for c in offset["data"])
    assert offset["total"] == len(offset["data"]) < 250
    expected = _ids(offset["data"])
    pages = (await api.get("/customers/pages", params={"region": "EU", "per_page": 500})).json()
    cursor = (await api.get("/customers/cursor", params={"region": "EU", "limit": 500})).json()
    linked = (await api.get("/customers/linked", params={"region": "EU", "per_page": 500})).json()
    for body in (pages, cursor, linked):
        assert _ids(body["data"]) == expected
    inactive = (await api.get("/customers", params={"status": "inactive", "limit": 500})).json()["data"]
    assert inactive and all(c["status"] == "inactive" for c in inactive)


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/customers", {"offset": "-1"}, "offset"),
        ("/customers", {"offset": "ten"}, "offset"),
        ("/customers", {"limit": "0"}, "limit"),
        ("/customers", {"limit": "1.5"}, "limit"),
        ("/customers", {"limit": "501"}, "limit"),
        ("/customers", {"region": "MARS"}, "region"),
        ("/customers", {"status": "asleep"}, "status"),
        ("/customers/pages", {"page": "0"}, "page"),
        ("/customers/pages", {"per_page": "x"}, "per_page"),
        ("/customers/cursor", {"cursor": "not-a-cursor"}, "cursor"),
        ("/customers/linked", {"page": "-2"}, "page"),
        ("/orders", {"customer_id": "abc"}, "customer_id"),
        ("/items", {"limit": "1001"}, "limit"),
        ("/items/cursor", {"cursor": "Y3VzdG9tZXJzOjEw"}, "cursor"),  # a customers cursor
    ],
)
async def test_bad_paging_parameters_are_a_400_naming_the_parameter(api, path, params, parameter):
    r = await api.get(path, params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid_parameter"
    assert body["parameter"] == parameter
    assert parameter in body["message"]


async def test_items_are_computed_per_page_and_page_to_the_end(api):
    first = (await api.get("/items", params={"limit": 100})).json()
    assert first["total"] == 100_000
    assert [i["id"] for i in first["data"]] == list(range(1, 101))
    assert set(first["data"][0]) == {"id", "sku", "name", "price", "qty"}
    big = (await api.get("/items", params={"offset": 5000, "limit": 1000})).json()
    assert len(big["data"]) == 1000 and big["data"][0]["id"] == 5001
    last = (await api.get("/items", params={"offset": 99_950, "limit": 100})).json()
    assert [i["id"] for i in last["data"]] == list(range(99_951, 100_001))
    assert (await api.get("/items", params={"offset": 100_000})).json()["data"] == []


async def test_item_cursor_walks_all_items_and_posted_items_come_last(start):
    server = await start(items=250)
    async with httpx.AsyncClient(base_url=f"{server.base_url}/api", headers=API_KEY) as api:
        created = await api.post("/items", json={"sku": "NEW-1", "qty": 3, "id": 5})
        assert created.status_code == 201
        assert created.json() == {"sku": "NEW-1", "qty": 3, "id": 251}
        records, cursor = [], None
        while True:
            params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
            body = (await api.get("/items/cursor", params=params)).json()
            records += body["data"]
            cursor = body["next_cursor"]
            if cursor is None:
                assert body["has_more"] is False
                break
        assert _ids(records) == list(range(1, 252))
        assert records[-1]["sku"] == "NEW-1"
        offset = (await api.get("/items", params={"offset": 200, "limit": 100})).json()
        assert offset["total"] == 251 and offset["data"][-1]["sku"] == "NEW-1"


async def test_the_data_depends_only_on_the_seed(start):
    a, b, c = await start(seed=3), await start(seed=3), await start(seed=4)
    bodies = []
    for server in (a, b, c):
        async with httpx.AsyncClient(base_url=f"{server.base_url}/api", headers=API_KEY) as api:
            bodies.append(((await api.get("/customers")).json(), (await api.get("/items")).json()))
    assert bodies[0] == bodies[1]
    assert bodies[0][0] != bodies[2][0]


async def test_customer_records_have_the_documented_fields(api):
    customer = (await api.get("/customers/1")).json()
    assert set(customer) == {"id", "name", "email", "region", "status", "created_at", "updated_at"}
    assert customer["region"] in {"EU", "US", "APAC", "LATAM"}
    assert customer["status"] in {"active", "inactive"}
    assert customer["created_at"].endswith("Z") and customer["created_at"] <= customer["updated_at"]


async def test_a_server_without_customers_answers_empty_pages():
    server = DemoServer(DemoConfig(customers=0, items=0))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"{server.base_url}/api", headers=API_KEY) as api:
            assert (await api.get("/customers")).json()["data"] == []
            assert (await api.get("/customers/pages")).json()["total_pages"] == 0
            assert (await api.get("/items/cursor")).json() == {"data": [], "next_cursor": None, "has_more": False}
    finally:
        await server.stop()
