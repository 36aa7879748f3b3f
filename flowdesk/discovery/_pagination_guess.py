"""Guessing how a list endpoint pages from its query parameters (and, for cursors, its response).

Only plain cases are guessed: an offset parameter *and* a limit parameter, a page parameter, a cursor
parameter. A lone ``limit`` says nothing about how to reach the next page, so it gives no guess. Each
guess comes with a note, because a wrong one silently loses records and the user should check it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flowdesk.model import CursorPagination, LinkHeaderPagination, OffsetPagination, PagePagination
from flowdesk.model.connection import Pagination

OFFSET_PARAMS = ("offset", "skip", "start", "$skip", "from")
LIMIT_PARAMS = ("limit", "count", "size", "per_page", "perpage", "page_size", "pagesize", "max_results", "$top", "top")
PAGE_PARAMS = ("page", "page_number", "pagenumber", "page_no", "p")
PAGE_SIZE_PARAMS = ("per_page", "perpage", "page_size", "pagesize", "size", "limit", "count")
CURSOR_PARAMS = ("cursor", "starting_after", "after", "page_token", "pagetoken", "next", "continuation", "marker")
NEXT_CURSOR_NAMES = (
    "next_cursor", "nextcursor", "next_page_token", "nextpagetoken", "next_token", "nexttoken", "cursor",
    "next", "endcursor", "continuation", "next_marker",
)  # fmt: skip
CURSOR_CONTAINERS = ("", "meta.", "pagination.", "paging.", "page_info.", "pageinfo.", "response_metadata.", "links.")

DEFAULT_LIMIT = 100


def _find(params: Mapping[str, Mapping[str, Any]], names: Sequence[str]) -> str | None:
    """The first parameter (original spelling) whose lower-cased name is one of ``names``, in that order."""
    lowered = {name.lower(): name for name in params}
    for wanted in names:
        if wanted in lowered:
            return lowered[wanted]
    return None


def _limit(param: Mapping[str, Any] | None) -> int:
    """The page size to ask for: the declared default, capped by the declared maximum, else 100."""
    if param is None:
        return DEFAULT_LIMIT
    default, maximum = param.get("default"), param.get("maximum")
    limit = default if isinstance(default, int) and not isinstance(default, bool) and default > 0 else DEFAULT_LIMIT
    if isinstance(maximum, int) and not isinstance(maximum, bool) and 0 < maximum < limit:
        limit = maximum
    return limit


def guess_pagination(
    query_params: Sequence[Mapping[str, Any]],
    response_fields: Mapping[str, str],
    *,
    link_header: bool = False,
) -> tuple[Pagination | None, list[str]]:
    """Guess the pagination of a GET endpoint.

    ``query_params`` are parameter dicts (``name``, plus ``default``/``maximum`` when known);
    ``response_fields`` maps dotted property names of the response to their JSONPath, used to find where
    the next cursor sits. ``link_header`` says the response declares a ``Link`` header.
    Returns the pagination (or ``None``) and the notes explaining the guess.
    """
    params = {str(p["name"]): p for p in query_params if p.get("name")}
    offset = _find(params, OFFSET_PARAMS)
    limit = _find(params, LIMIT_PARAMS)
    if offset and limit and offset != limit:
        size = _limit(params[limit])
        return (
            OffsetPagination(offset_param=offset, limit_param=limit, limit=size),
            [f"pagination guessed from {offset}+{limit} (offset, {size} per page)"],
        )
    page = _find(params, PAGE_PARAMS)
    if page:
        size_param = _find({n: p for n, p in params.items() if n != page}, PAGE_SIZE_PARAMS)
        size = _limit(params[size_param]) if size_param else DEFAULT_LIMIT
        start = params[page].get("minimum")
        first = start if isinstance(start, int) and not isinstance(start, bool) and start in (0, 1) else 1
        detail = f"{page}+{size_param}" if size_param else page
        return (
            PagePagination(page_param=page, size_param=size_param, size=size, start=first),
            [f"pagination guessed from {detail} (pages from {first})"],
        )
    cursor = _find(params, CURSOR_PARAMS)
    if cursor:
        next_path = _next_cursor_path(response_fields)
        cursor_limit = _find({n: p for n, p in params.items() if n != cursor}, LIMIT_PARAMS)
        notes = [f"pagination guessed from the {cursor} parameter (cursor)"]
        if next_path is None:
            next_path = "$.next_cursor"
            notes.append("the next cursor's place in the response is unknown: $.next_cursor assumed, check it")
        else:
            notes.append(f"next cursor read from {next_path}")
        return (
            CursorPagination(
                cursor_param=cursor,
                next_cursor_path=next_path,
                limit_param=cursor_limit,
                limit=_limit(params[cursor_limit]) if cursor_limit else None,
            ),
            notes,
        )
    if link_header:
        return LinkHeaderPagination(), ["pagination guessed from the Link response header"]
    if limit:
        return None, [f"only a {limit} parameter: no way to reach the next page was guessed"]
    return None, []


def _next_cursor_path(fields: Mapping[str, str]) -> str | None:
    lowered = {name.lower(): path for name, path in fields.items()}
    for container in CURSOR_CONTAINERS:
        for name in NEXT_CURSOR_NAMES:
            if container + name in lowered:
                return lowered[container + name]
    return None
