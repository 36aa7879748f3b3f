"""Each pagination style, and the guards against servers that repeat themselves."""

from __future__ import annotations

import httpx
import pytest

from flowdesk.model import Entity
from flowdesk.model.errors import InvalidResponseError

from .conftest import BASE, make_connection


def _items(start: int, count: int) -> list[dict]:
    return [{"id": i} for i in range(start, start + count)]


async def test_offset_until_a_short_page(respx_mock, client_for) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        assert request.url.params["limit"] == "2"
        return httpx.Response(200, json={"data": _items(offset, 2 if offset < 4 else 1)})

    route = respx_mock.get(f"{BASE}/items").mock(side_effect=answer)
    entity = Entity(name="items", path="/items", data_path="$.data", pagination={"type": "offset", "limit": 2})
    async with client_for() as client:
        pages = [page async for page in client.pages(entity)]
        records = [r async for r in client.records(entity)]
    assert [p.number for p in pages] == [1, 2, 3]
    assert [len(p.records) for p in pages] == [2, 2, 1]
    assert [r["id"] for r in records] == [0, 1, 2, 3, 4]
    assert route.call_count == 6


async def test_offset_server_ignoring_offset_is_stopped(respx_mock, client_for) -> None:
    respx_mock.get(f"{BASE}/items").respond(json={"data": _items(0, 2)})
    entity = Entity(name="items", path="/items", data_path="$.data", pagination={"type": "offset", "limit": 2})
    async with client_for() as client:
        with pytest.raises(InvalidResponseError, match="same records"):
            [page async for page in client.pages(entity)]


async def test_cursor_until_no_next_cursor(respx_mock, client_for) -> None:
    pages = {
        None: {"items": _items(0, 2), "meta": {"next": "c1"}},
        "c1": {"items": _items(2, 2), "meta": {"next": "c2"}},
        "c2": {"items": _items(4, 1), "meta": {"next": None}},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.params["size"] == "2"
        return httpx.Response(200, json=pages[request.url.params.get("after")])

    respx_mock.get(f"{BASE}/things").mock(side_effect=answer)
    entity = Entity(
        name="things",
        path="/things",
        data_path="$.items",
        pagination={
            "type": "cursor",
            "cursor_param": "after",
            "next_cursor_path": "$.meta.next",
            "limit_param": "size",
            "limit": 2,
        },
    )
    async with client_for() as client:
        records = [r["id"] async for r in client.records(entity)]
    assert records == [0, 1, 2, 3, 4]


async def test_cursor_repeated_forever_is_stopped(respx_mock, client_for) -> None:
    respx_mock.get(f"{BASE}/things").respond(json={"items": [{"id": 1}], "next_cursor": "same"})
    entity = Entity(name="things", path="/things", data_path="$.items", pagination={"type": "cursor"})
    async with client_for() as client:
        with pytest.raises(InvalidResponseError, match="'same'"):
            [page async for page in client.pages(entity)]


async def test_page_until_total_pages(respx_mock, client_for) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return httpx.Response(200, json={"results": _items(page * 10, 3), "total_pages": 3})

    route = respx_mock.get(f"{BASE}/p").mock(side_effect=answer)
    entity = Entity(
        name="p",
        path="/p",
        data_path="$.results",
        pagination={"type": "page", "size": 3, "total_pages_path": "$.total_pages"},
    )
    async with client_for() as client:
        pages = [page async for page in client.pages(entity)]
    assert len(pages) == 3
    assert [c.request.url.params["page"] for c in route.calls] == ["1", "2", "3"]
    assert route.calls[0].request.url.params["per_page"] == "3"


async def test_page_until_a_short_page_without_total(respx_mock, client_for) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return httpx.Response(200, json=_items(page * 10, 3 if page < 2 else 2))

    respx_mock.get(f"{BASE}/p").mock(side_effect=answer)
    entity = Entity(name="p", path="/p", data_path="$", pagination={"type": "page", "size": 3, "start": 0})
    async with client_for() as client:
        pages = [page async for page in client.pages(entity)]
    assert [len(p.records) for p in pages] == [3, 3, 2]


async def test_link_header(respx_mock, client_for) -> None:
    respx_mock.get(f"{BASE}/repos", params={"page": "2"}).respond(
        json=[{"id": 3}], headers={"Link": f'<{BASE}/repos?page=1>; rel="prev"'}
    )
    respx_mock.get(f"{BASE}/repos").respond(
        json=[{"id": 1}, {"id": 2}], headers={"Link": '</v1/repos?page=2>; rel="next", </v1/repos?page=2>; rel="last"'}
    )
    entity = Entity(name="repos", path="/repos", data_path="$", pagination={"type": "link_header"})
    async with client_for() as client:
        records = [r["id"] async for r in client.records(entity)]
    assert records == [1, 2, 3]


async def test_link_header_loop_is_stopped(respx_mock, client_for) -> None:
    respx_mock.get(f"{BASE}/repos").respond(json=[{"id": 1}], headers={"Link": f'<{BASE}/repos?page=2>; rel="next"'})
    entity = Entity(name="repos", path="/repos", data_path="$", pagination={"type": "link_header"})
    async with client_for() as client:
        with pytest.raises(InvalidResponseError, match="next link"):
            [page async for page in client.pages(entity)]


async def test_no_pagination_is_one_page_and_records_first_page_only(respx_mock, client_for) -> None:
    route = respx_mock.get(f"{BASE}/one").respond(json={"data": [1, 2]})
    entity = Entity(name="one", path="/one", data_path="$.data", pagination={"type": "offset", "limit": 2})
    async with client_for() as client:
        assert [r async for r in client.records(entity, all_pages=False)] == [1, 2]
        plain = Entity(name="plain", path="/one", data_path="$.data")
        assert [p.records async for p in client.pages(plain)] == [[1, 2]]
    assert route.call_count == 2


async def test_non_json_page_names_the_content_type(respx_mock, client_for) -> None:
    respx_mock.get(f"{BASE}/one").respond(text="oops", headers={"Content-Type": "text/plain"})
    entity = Entity(name="one", path="/one", data_path="$.data")
    async with client_for() as client:
        with pytest.raises(InvalidResponseError, match="text/plain"):
            [p async for p in client.pages(entity)]



async def test_offset_stops_at_the_total_without_asking_for_an_empty_page(respx_mock, client_for) -> None:
    # 6 records in pages of 2: without a total the client would need a 4th, empty page to know it is done.
    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json={"data": _items(offset, 2), "total": 6})

    route = respx_mock.get(f"{BASE}/items").mock(side_effect=answer)
    pagination = {"type": "offset", "limit": 2, "total_path": "$.total"}
    entity = Entity(name="items", path="/items", data_path="$.data", pagination=pagination)
    async with client_for() as client:
        records = [r async for r in client.records(entity)]
    assert [r["id"] for r in records] == [0, 1, 2, 3, 4, 5]
    assert route.call_count == 3


class _OffsetServer:
    """Answers offset pages of ``total`` records with ``total`` in each body; tracks requests in flight.

    Each answer waits on an event the test releases, so several requests are really in flight at once.
    """

    def __init__(self, total: int, fail_at: int | None = None, shrink_to: int | None = None) -> None:
        import asyncio

        self.total, self.fail_at, self.shrink_to = total, fail_at, shrink_to
        self.in_flight = 0
        self.most_in_flight = 0
        self.offsets: list[int] = []
        self.release = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        self.offsets.append(offset)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if offset > 0:
            await self.release.wait()
        self.in_flight -= 1
        if offset == self.fail_at:
            return httpx.Response(404, json={"error": "gone"})
        end = min(offset + limit, self.shrink_to if self.shrink_to is not None and offset > 0 else self.total)
        return httpx.Response(200, json={"data": _items(offset, max(0, end - offset)), "total": self.total})


def _total_entity(limit: int = 10) -> Entity:
    return Entity(
        name="items",
        path="/items",
        data_path="$.data",
        pagination={"type": "offset", "limit": limit, "total_path": "$.total"},
    )


async def test_offset_pages_with_a_total_come_several_at_once_and_in_order(respx_mock, client_for) -> None:
    import asyncio

    server = _OffsetServer(total=95)
    respx_mock.get(f"{BASE}/items").mock(side_effect=server)
    async with client_for() as client:
        pages = client.pages(_total_entity(), concurrency=4)
        first = await anext(pages)
        second = asyncio.ensure_future(anext(pages))
        for _ in range(1000):  # yield to the loop until the next four offsets are asked for, before any answer
            if server.in_flight == 4:
                break
            await asyncio.sleep(0)
        assert server.in_flight == 4
        server.release.set()
        rest = [await second] + [page async for page in pages]
    ids = [r["id"] for page in [first, *rest] for r in page.records]
    assert ids == list(range(95))  # every record once, in order
    assert [p.number for p in [first, *rest]] == list(range(1, 11))
    assert server.most_in_flight == 4  # never more than the concurrency asked for
    assert sorted(server.offsets) == list(range(0, 100, 10))  # no offset asked twice, none past the total


async def test_a_failed_page_stops_the_parallel_pages_with_its_error(respx_mock, client_for, events) -> None:
    server = _OffsetServer(total=200, fail_at=30)
    server.release.set()
    respx_mock.get(f"{BASE}/items").mock(side_effect=server)
    async with client_for() as client:
        got: list[int] = []
        with pytest.raises(Exception, match="404"):
            async for page in client.pages(_total_entity(), concurrency=4):
                got.extend(r["id"] for r in page.records)
    assert got == list(range(30))  # the pages before the failed one, and nothing after it
    assert len(server.offsets) < 20  # the rest were never asked for


async def test_parallel_pages_stop_at_a_short_page(respx_mock, client_for) -> None:
    server = _OffsetServer(total=100, shrink_to=45)  # the data shrank after the first page said 100
    server.release.set()
    respx_mock.get(f"{BASE}/items").mock(side_effect=server)
    async with client_for() as client:
        ids = [r["id"] async for r in client.records(_total_entity())]
        pages = [page async for page in client.pages(_total_entity(), concurrency=3)]
    assert [r["id"] for page in pages for r in page.records] == ids == list(range(45))


async def test_parallel_pages_keep_to_the_rate_limit(respx_mock, client_for, fake_time) -> None:
    server = _OffsetServer(total=60)
    server.release.set()
    respx_mock.get(f"{BASE}/items").mock(side_effect=server)
    connection = make_connection(rate_limit={"requests": 2, "per_s": 1})
    async with client_for(connection) as client:
        pages = [page async for page in client.pages(_total_entity(), concurrency=8)]
    assert len(pages) == 6
    assert sum(fake_time.sleeps) >= 2.0  # 6 calls at 2 a second: waited at least 2 s of (fake) time
