"""Pagination strategies as async iterators of pages.

Each strategy asks ``fetch`` for the next page (extra query parameters, or the absolute URL of a
``next`` link) and decides from the page whether there is another. A server that answers the same
cursor, link or full page again would make the loop endless: that stops with an
:class:`InvalidResponseError` naming what repeated.

Offset pagination whose first page reports the total may fetch the remaining pages several at a time
(``concurrency``): their offsets are all known. Pages are still yielded in order, and at most
``concurrency`` are in flight or waiting to be taken, so memory stays bounded.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flowdesk.connections._redact import redact_url
from flowdesk.connections._response import ApiResponse
from flowdesk.model.connection import (
    CursorPagination,
    Entity,
    LinkHeaderPagination,
    OffsetPagination,
    PagePagination,
)
from flowdesk.model.errors import InvalidResponseError
from flowdesk.model.jsonpath import find_first

Fetch = Callable[[Mapping[str, Any] | None, str | None], Awaitable[ApiResponse]]
"""``fetch(extra_query, next_url)``: one page with these pagination parameters, or from this URL."""


@dataclass(slots=True)
class Page:
    """One page of an entity: its number (from 1), the response, and the records at the entity's data_path."""

    number: int
    response: ApiResponse
    records: list[Any]


async def iterate_pages(entity: Entity, fetch: Fetch, concurrency: int = 1) -> AsyncGenerator[Page, None]:
    """Every page of ``entity`` in order; one page for an entity without pagination. ``concurrency`` pages
    may be in flight at once where their parameters are known in advance (offsets below a reported total).

    A non-2xx page (only when the caller asked not to raise) is yielded without records and ends the loop.

    Raises:
        InvalidResponseError: a page is not JSON where records are expected, or the server repeats itself.
        ApiError: any failure of a page's call.
    """
    strategy = entity.pagination
    data_path = entity.data_path
    number = 0

    def page_of(response: ApiResponse) -> Page:
        nonlocal number
        number += 1
        records = response.records(data_path) if response.ok else []
        return Page(number=number, response=response, records=records)

    if isinstance(strategy, OffsetPagination):
        offset, previous = strategy.start, None
        while True:
            page = page_of(await fetch({strategy.offset_param: offset, strategy.limit_param: strategy.limit}, None))
            _check_repeat(entity, page, previous, f"{strategy.offset_param}={offset}")
            yield page
            if not page.response.ok or len(page.records) < strategy.limit:
                return
            total = _int(find_first(strategy.total_path, page.response.body)) if strategy.total_path else None
            if total is not None and offset + len(page.records) >= total:
                return
            offset, previous = offset + strategy.limit, page.records
            if total is not None and concurrency > 1:
                async for page in _offsets_ahead(entity, fetch, page_of, offset, total, concurrency, previous):
                    yield page
                return
    elif isinstance(strategy, PagePagination):
        current, previous = strategy.start, None
        while True:
            extra: dict[str, Any] = {strategy.page_param: current}
            if strategy.size_param:
                extra[strategy.size_param] = strategy.size
            page = page_of(await fetch(extra, None))
            _check_repeat(entity, page, previous, f"{strategy.page_param}={current}")
            yield page
            if not page.response.ok or not page.records:
                return
            total = (
                _int(find_first(strategy.total_pages_path, page.response.body)) if strategy.total_pages_path else None
            )
            if total is not None:
                if current >= total:
                    return
            elif strategy.size_param and len(page.records) < strategy.size:
                return
            current, previous = current + 1, page.records
    elif isinstance(strategy, CursorPagination):
        limit = {strategy.limit_param: strategy.limit} if strategy.limit_param and strategy.limit else {}
        cursor: Any = None
        seen: set[str] = set()
        while True:
            extra = dict(limit)
            if cursor is not None:
                extra[strategy.cursor_param] = cursor
            page = page_of(await fetch(extra, None))
            yield page
            if not page.response.ok:
                return
            cursor = find_first(strategy.next_cursor_path, page.response.body)
            if cursor in (None, "", False) or isinstance(cursor, dict | list):
                return
            key = str(cursor)
            if key in seen:
                raise _repeated(entity, page, f"the next cursor {_short(key)!r} (at {strategy.next_cursor_path})")
            seen.add(key)
    elif isinstance(strategy, LinkHeaderPagination):
        next_url: str | None = None
        seen = set()
        while True:
            page = page_of(await fetch(None, next_url))
            yield page
            if not page.response.ok:
                return
            next_url = page.response.links.get("next")
            if not next_url:
                return
            if next_url in seen:
                raise _repeated(entity, page, f"the next link {_short(redact_url(next_url))}")
            seen.add(next_url)
    else:
        yield page_of(await fetch(None, None))


async def _offsets_ahead(
    entity: Entity,
    fetch: Fetch,
    page_of: Callable[[ApiResponse], Page],
    offset: int,
    total: int,
    concurrency: int,
    previous: list[Any],
) -> AsyncGenerator[Page, None]:
    """The pages from ``offset`` up to ``total``, ``concurrency`` requests at a time, in order.

    A failed page stops the iteration with its error; a short page (the data shrank since the first page)
    ends it. Either way, and when the consumer stops early, the requests still in flight are cancelled.
    """
    strategy = entity.pagination
    assert isinstance(strategy, OffsetPagination)
    offsets = iter(range(offset, total, strategy.limit))
    pending: deque[tuple[int, asyncio.Future[ApiResponse]]] = deque()

    def launch() -> None:
        for next_offset in offsets:
            query = {strategy.offset_param: next_offset, strategy.limit_param: strategy.limit}
            pending.append((next_offset, asyncio.ensure_future(fetch(query, None))))
            return

    try:
        for _ in range(concurrency):
            launch()
        while pending:
            current, request = pending.popleft()
            response = await request
            launch()
            page = page_of(response)
            _check_repeat(entity, page, previous, f"{strategy.offset_param}={current}")
            yield page
            if not page.response.ok or len(page.records) < strategy.limit:
                return
            previous = page.records
    finally:
        for _, request in pending:
            request.cancel()
        await asyncio.gather(*(request for _, request in pending), return_exceptions=True)


def _check_repeat(entity: Entity, page: Page, previous: list[Any] | None, where: str) -> None:
    # A server that ignores the offset/page parameter answers the first page forever.
    if previous is not None and page.records and page.records == previous:
        raise _repeated(entity, page, f"the same records for {where} as for the page before")


def _repeated(entity: Entity, page: Page, what: str) -> InvalidResponseError:
    response = page.response
    return InvalidResponseError(
        f"{response.method} {response.url}: the server sent {what} again (page {page.number} of entity "
        f"{entity.name!r}); stopped to avoid an endless loop",
        hint="check the entity's pagination settings (parameter names and paths) against the API's documentation",
        method=response.method,
        url=response.url,
        status=response.status,
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."
