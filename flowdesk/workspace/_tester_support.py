"""What the request tester and the connection dashboard need beyond :class:`Workspace`.

Plain functions taking a :class:`Workspace`: sending a request exactly as the tester's form describes it
(the full response, non-2xx included; a body over 10 MB spooled to a temporary file, parsed only on
demand and off the event loop), fetching every page, rendering the request as cURL or httpx code
with secrets masked, guessing a pagination config from a response and previewing it, and the usage
figures of the dashboard (an hourly histogram over 24 h).
"""

from __future__ import annotations

import asyncio
import json
import json.scanner
import math
import shutil
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from flowdesk.connections import ApiResponse, Page
from flowdesk.model.connection import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Connection,
    CursorPagination,
    DigestAuth,
    Entity,
    LinkHeaderPagination,
    NoPagination,
    OAuth2Auth,
    OffsetPagination,
    PagePagination,
)
from flowdesk.model.curl import MASK, CurlRequest, mask_request, parse_curl, to_curl, to_httpx
from flowdesk.model.errors import UserError
from flowdesk.model.jsonpath import find_all
from flowdesk.model.secrets import secret_values
from flowdesk.store import ApiCallRecord, ConnectionStatus
from flowdesk.workspace._workspace import Workspace

_FLUSH_PAGES = 100
"""Fetching all pages writes the calls' usage records every this many pages (see :func:`fetch_all_pages`)."""
SPOOL_OVER = 10 * 1024 * 1024
"""The tester keeps a body up to this size (bytes) in memory, parsed; a larger one goes to a temporary file."""
PARSE_FILE_LIMIT = 50 * 1024 * 1024
"""The largest spooled body :func:`parse_body_file` parses (its objects take ~10x the bytes in memory)."""

PaginationConfig = NoPagination | OffsetPagination | PagePagination | CursorPagination | LinkHeaderPagination

_SECRET_QUERY_NAMES = frozenset(
    {"access_token", "refresh_token", "id_token", "token", "key", "api_key", "apikey", "api-key", "password",
     "secret", "client_secret", "signature", "sig"}
)  # fmt: skip


@dataclass
class TesterRequest:
    """A request as the tester's form holds it. ``body`` ``None`` sends no body; ``query`` and ``headers``
    are ordered pairs (a repeated query name is sent repeatedly)."""

    method: str = "GET"
    path: str = ""
    params: dict[str, str] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Any = None
    body_type: str = "json"

    def query_dict(self) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {}
        for name, value in self.query:
            if name in out:
                existing = out[name]
                out[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
            else:
                out[name] = value
        return out

    def header_dict(self) -> dict[str, str]:
        return {name: value for name, value in self.headers}


def request_for_entity(entity: Entity) -> TesterRequest:
    """The tester's form filled from an entity's defaults."""
    return TesterRequest(
        method=entity.method,
        path=entity.path,
        query=[(k, _text(v)) for k, v in entity.query.items() if v is not None],
        headers=list(entity.headers.items()),
        body=entity.body,
        body_type=entity.body_type if entity.body_type in ("json", "form", "text") else "json",
    )


def _form_entity(ws: Workspace, connection: str, entity: str | None, request: TesterRequest) -> Entity:
    """The entity the form describes: the saved one's pagination and data path with the form's values."""
    base = ws.entity(connection, entity) if entity else Entity(name=request.path or "/", path=request.path)
    return base.model_copy(
        update={
            "method": request.method.upper(),
            "path": request.path,
            "query": {},
            "headers": {},
            "body": None,
            "body_type": request.body_type,
        }
    )


async def send_request(
    ws: Workspace,
    connection: str,
    request: TesterRequest,
    entity: str | None = None,
    *,
    spool_over: int | None = SPOOL_OVER,
    spool_dir: Path | None = None,
) -> ApiResponse:
    """Send the form's request once and return the whole response, whatever its status.

    A body over ``spool_over`` bytes is streamed to a temporary file (``body_file``, in ``spool_dir``) and
    not parsed, so a big answer neither fills memory nor holds up the event loop; see
    :func:`parse_body_file` and :func:`save_body_file`. ``None`` keeps every body in memory.

    Raises:
        UserError: a path placeholder without a value, a body that does not fit its type, a bad URL.
        OperationalError: no answer (connect failure, timeout, TLS), OAuth re-authorisation needed, or the
            temporary file cannot be written.
    """
    target = _form_entity(ws, connection, entity, request)
    return await ws.client(connection).send(
        target,
        params=request.params,
        query=request.query_dict(),
        headers=request.header_dict(),
        body=request.body,
        body_type=request.body_type,
        raise_for_status=False,
        spool_over=spool_over,
        spool_dir=spool_dir,
    )


async def parse_body_file(response: ApiResponse, *, limit: int = PARSE_FILE_LIMIT) -> Any:
    """The JSON document of a spooled body, parsed in a worker thread.

    The parser is the standard library's pure-Python one (~0.5 s for 12 MB here): it gives the interpreter
    lock back every few milliseconds, so the window keeps reacting while it runs; the C parser is ~8x
    faster but holds the lock for the whole document (~75 ms for 12 MB, a visible freeze).

    Raises:
        UserError: the response has no spooled body, the body is larger than ``limit`` bytes, or it is not
            valid JSON (with the line and column).
    """
    path = response.body_file
    if path is None:
        raise UserError("this response was not written to a file: its body is already parsed")
    if response.size > limit:
        raise UserError(
            f"the body ({response.size / 1048576:,.1f} MB) is too large to show as a tree "
            f"(the limit is {limit / 1048576:,.0f} MB)",
            hint="page through it in the raw view, or save it to a file and open it with a JSON tool",
        )
    try:
        return await asyncio.to_thread(_parse_json_file, path)
    except ValueError as exc:
        raise UserError(f"the body is not valid JSON: {exc}") from exc


async def save_body_file(response: ApiResponse, target: Path) -> int:
    """Copy a spooled body to ``target`` as received (off the event loop); returns the bytes written.

    Raises:
        UserError: the response has no spooled body.
        OSError: ``target`` cannot be written.
    """
    path = response.body_file
    if path is None:
        raise UserError("this response was not written to a file: save its body as text")
    await asyncio.to_thread(shutil.copyfile, path, target)
    return response.size


def _parse_json_file(path: Path) -> Any:
    data = path.read_bytes()
    decoder = json.JSONDecoder()
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder.decode(data.decode(json.detect_encoding(data), "surrogatepass"))


async def fetch_all_pages(
    ws: Workspace, connection: str, request: TesterRequest, entity: str | None = None
) -> AsyncIterator[Page]:
    """Every page of the form's request, following the entity's pagination (one page without one).

    Raises (while iterating): as :func:`send_request`, and InvalidResponseError for a page that is not
    JSON where records are expected, or a server that repeats itself.
    """
    target = _form_entity(ws, connection, entity, request)
    async for page in ws.client(connection).pages(
        target,
        params=request.params,
        query=request.query_dict(),
        headers=request.header_dict(),
        body=request.body,
        body_type=request.body_type,
        raise_for_status=False,
    ):
        if page.number % _FLUSH_PAGES == 0:
            # Write the usage records of the pages so far off the event loop; left to the workspace, they
            # are written on the loop in one ~50 ms transaction every 500 calls, a visible freeze.
            await asyncio.to_thread(ws.flush)
        yield page


def records_of(response: ApiResponse, data_path: str | None) -> list[Any]:
    """The records at ``data_path`` of a response (``[]`` when nothing is there or it is not JSON)."""
    if response.body is None or not response.is_json:
        return []
    found = find_all(data_path, response.body)
    if len(found) == 1:
        only = found[0]
        return only if isinstance(only, list) else [only]
    return found


def estimated_total_pages(response: ApiResponse, records: int) -> int | None:
    """How many pages there will be, when the first page says how many records (or pages) exist."""
    body = response.body
    if not isinstance(body, dict) or records <= 0:
        return None
    for holder in _holders(body):
        for key in ("total_pages", "totalPages", "pages", "last_page", "page_count", "pageCount"):
            value = holder[1].get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
        for key in ("total", "total_count", "totalCount", "count", "totalResults", "total_results", "@odata.count"):
            value = holder[1].get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= records:
                return max(1, math.ceil(value / records))
    return None


# --- cURL / httpx ----------------------------------------------------------------------------------------


def describe_request(
    ws: Workspace, connection: str, request: TesterRequest, *, include_secrets: bool = False
) -> CurlRequest:
    """The form's request as a complete, standalone HTTP request: absolute URL, the connection's headers and
    its authentication. Secrets are ``***`` unless ``include_secrets`` (then the keychain is read).

    Raises:
        SecretStoreError: secrets were asked for and cannot be read.
    """
    conn = ws.get_connection(connection, secrets=include_secrets)
    path = _fill_path(request.path, request.params)
    url = (
        path
        if path.startswith(("http://", "https://"))
        else conn.base_url + ("" if path.startswith("/") else "/") + path
    )
    query = list(request.query)
    headers: list[tuple[str, str]] = list(conn.headers.items())
    user: str | None = None
    digest = False
    auth = conn.auth

    def secret(value: Any) -> str:
        if value is None:
            return MASK if not include_secrets else ""
        return str(value.get_secret_value()) if include_secrets else MASK

    if isinstance(auth, ApiKeyAuth):
        if auth.location == "query":
            query.append((auth.name, secret(auth.key)))
        else:
            headers.append((auth.name, secret(auth.key)))
    elif isinstance(auth, BasicAuth | DigestAuth):
        user = f"{auth.username}:{secret(auth.password)}"
        digest = isinstance(auth, DigestAuth)
    elif isinstance(auth, BearerAuth):
        headers.append(("Authorization", f"Bearer {secret(auth.token)}"))
    elif isinstance(auth, OAuth2Auth):
        token = secret(auth.access_token) if auth.access_token is not None or not include_secrets else "<access token>"
        headers.append(("Authorization", f"Bearer {token}"))
    for name, value in request.headers:
        headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
        headers.append((name, value))
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query, doseq=True)
    body: str | None = None
    if request.body is not None:
        if request.body_type == "json":
            import json

            body = json.dumps(request.body, ensure_ascii=False)
            if not any(k.lower() == "content-type" for k, _ in headers):
                headers.append(("Content-Type", "application/json"))
        elif request.body_type == "form" and isinstance(request.body, Mapping):
            body = urlencode({k: _text(v) for k, v in request.body.items()})
            if not any(k.lower() == "content-type" for k, _ in headers):
                headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        else:
            body = _text(request.body)
    described = CurlRequest(
        method=request.method.upper(),
        url=url,
        headers=headers,
        body=body,
        user=user,
        digest=digest,
        insecure=not conn.verify_ssl,
    )
    if include_secrets:
        return described
    key_names = frozenset({auth.name.lower()}) if isinstance(auth, ApiKeyAuth) else frozenset()
    return mask_request(
        described,
        secret_query_names=_SECRET_QUERY_NAMES | key_names,
        secret_header_names=key_names,
        secret_values=tuple(secret_values(conn).values()),
    )


def request_from_curl(ws: Workspace, connection: str, parsed: CurlRequest) -> TesterRequest:
    """The form's values for a parsed cURL command; a URL under the connection's base URL becomes a path."""
    base = ws.get_connection(connection, secrets=False).base_url
    url = parsed.url_without_query
    path = url[len(base) :] or "/" if url.startswith(base) else url
    body: Any = None
    body_type = "json"
    if parsed.body is not None:
        as_json = parsed.json_body
        if as_json is not None:
            body = as_json
        elif parsed.is_form:
            body, body_type = dict(parse_qsl(parsed.body, keep_blank_values=True)), "form"
        else:
            body, body_type = parsed.body, "text"
    return TesterRequest(
        method=parsed.method,
        path=path,
        query=parsed.query,
        headers=[(k, v) for k, v in parsed.headers if k.lower() != "content-type" or body_type == "text"],
        body=body,
        body_type=body_type,
    )


# --- pagination detection --------------------------------------------------------------------------------


@dataclass
class PaginationProposal:
    """A pagination config that fits a response, with the data path its records are at and why."""

    pagination: PaginationConfig
    data_path: str | None
    reason: str

    @property
    def kind(self) -> str:
        return self.pagination.type


@dataclass
class PagePreview:
    number: int
    status: int
    records: int
    url: str


_LIST_KEYS = ("data", "items", "results", "records", "value", "entries", "rows", "list", "objects", "hits")
_NESTED = ("meta", "pagination", "paging", "page_info", "pageInfo", "links", "_links", "cursor", "response_metadata")
_CURSOR_KEYS = (
    "next_cursor", "nextCursor", "next_page_token", "nextPageToken", "next_token", "nextToken", "cursor",
    "endCursor", "end_cursor", "after", "continuation", "continuationToken", "next",
)  # fmt: skip
_URL_KEYS = ("next", "next_url", "nextUrl", "next_link", "nextLink", "@odata.nextLink", "next_page_url", "href")
_OFFSET_PARAMS = ("offset", "skip", "start", "$skip", "from")
_LIMIT_PARAMS = ("limit", "per_page", "page_size", "pageSize", "size", "count", "$top", "top", "max", "take")
_PAGE_PARAMS = ("page", "page_number", "pageNumber", "p")
_TOTAL_PAGES = ("total_pages", "totalPages", "pages", "last_page", "lastPage", "page_count", "pageCount")
_TOTAL = ("total", "total_count", "totalCount", "count", "total_results", "totalResults")


def guess_data_path(body: Any) -> str | None:
    """Where the records of a response probably are: ``$`` for a list, ``$.data`` (or similar) for an object
    holding one list, ``None`` when there is no list."""
    if isinstance(body, list):
        return "$"
    if not isinstance(body, dict):
        return None
    for key in _LIST_KEYS:
        if isinstance(body.get(key), list):
            return f"$.{key}"
    lists = [k for k, v in body.items() if isinstance(v, list)]
    if len(lists) == 1:
        return f"$.{_segment(lists[0])}"
    return None


def detect_pagination(
    response: ApiResponse, query: Iterable[tuple[str, str]] = (), data_path: str | None = None
) -> list[PaginationProposal]:
    """Pagination configs that fit ``response`` (the best first; empty when nothing suggests paging).

    Clues, in order: a ``Link: <…>; rel="next"`` header; a next cursor (or a next URL) in the body; offset or
    page parameters in the request or the body with a total; a total larger than the page.
    """
    path = data_path or guess_data_path(response.body)
    body = response.body if isinstance(response.body, dict) else {}
    records = len(records_of(response, path)) if path else 0
    sent = {name: value for name, value in query}
    proposals: list[PaginationProposal] = []

    if "next" in response.links or 'rel="next"' in str(response.headers.get("link", "")).replace("'", '"'):
        proposals.append(PaginationProposal(LinkHeaderPagination(), path, 'the Link header has rel="next"'))

    for prefix, holder in _holders(body):
        for key in _URL_KEYS:
            value = holder.get(key)
            if isinstance(value, dict):  # HAL/JSON:API style {"next": {"href": "…"}}
                value = value.get("href")
                key = f"{key}.href"
            if isinstance(value, str) and (value.startswith(("http://", "https://", "/", "?"))):
                proposals.extend(_from_next_url(value, f"{prefix}.{_segment(key)}", path, sent, records))
                break
        for key in _CURSOR_KEYS:
            value = holder.get(key)
            if (
                isinstance(value, str | int)
                and not isinstance(value, bool)
                and str(value)
                and not (isinstance(value, str) and value.startswith(("http://", "https://", "/", "?")))
            ):
                param = _cursor_param(key)
                proposals.append(
                    PaginationProposal(
                        CursorPagination(cursor_param=param, next_cursor_path=f"{prefix}.{_segment(key)}"),
                        path,
                        f"the response has a next cursor at {prefix}.{_segment(key)}",
                    )
                )
                break

    offset_name = _first_key(sent, _OFFSET_PARAMS)
    limit_name = _first_key(sent, _LIMIT_PARAMS)
    page_name = _first_key(sent, _PAGE_PARAMS)
    body_offset = _find_key(body, _OFFSET_PARAMS)
    body_limit = _find_key(body, _LIMIT_PARAMS)
    body_page = _find_key(body, ("page", "current_page", "currentPage", "page_number", "pageNumber"))
    total_pages = _find_key(body, _TOTAL_PAGES)
    total = _find_key(body, _TOTAL)

    if offset_name or body_offset:
        offset_param = offset_name or (body_offset[0].rsplit(".", 1)[-1] if body_offset else "offset")
        limit_param = limit_name or (body_limit[0].rsplit(".", 1)[-1] if body_limit else "limit")
        limit = _int(sent.get(limit_param)) or (_int(body_limit[1]) if body_limit else None) or records or 100
        proposals.append(
            PaginationProposal(
                OffsetPagination(offset_param=offset_param, limit_param=limit_param, limit=max(1, limit)),
                path,
                f"the request or response has {offset_param}/{limit_param}",
            )
        )
    if page_name or body_page or total_pages:
        page_param = page_name or (_plain_page_param(body_page[0].rsplit(".", 1)[-1]) if body_page else "page")
        size_param = limit_name or (body_limit[0].rsplit(".", 1)[-1] if body_limit else "per_page")
        size = _int(sent.get(size_param)) or (_int(body_limit[1]) if body_limit else None) or records or 100
        proposals.append(
            PaginationProposal(
                PagePagination(
                    page_param=page_param,
                    size_param=size_param,
                    size=max(1, size),
                    total_pages_path=total_pages[0] if total_pages else None,
                ),
                path,
                f"the request or response has a page number{' and a page count' if total_pages else ''}",
            )
        )
    if not proposals and total is not None and (_int(total[1]) or 0) > records > 0:
        proposals.append(
            PaginationProposal(
                OffsetPagination(limit=records),
                path,
                f"the response reports {total[1]} records at {total[0]} but holds {records}; offset/limit is the "
                "most common way to get the rest (check the preview)",
            )
        )
    return _unique(proposals)


def _from_next_url(
    url: str, where: str, path: str | None, sent: Mapping[str, str], records: int
) -> list[PaginationProposal]:
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    changed = {k: v for k, v in params.items() if sent.get(k) != v}
    offset = _first_key(changed, _OFFSET_PARAMS)
    page = _first_key(changed, _PAGE_PARAMS)
    limit_name = _first_key(params, _LIMIT_PARAMS)
    if offset:
        limit_param = limit_name or "limit"
        limit = _int(params.get(limit_param)) or records or 100
        return [
            PaginationProposal(
                OffsetPagination(offset_param=offset, limit_param=limit_param, limit=limit),
                path,
                f"the next URL at {where} moves {offset}",
            )
        ]
    if page:
        size_param = limit_name
        size = _int(params.get(size_param)) if size_param else None
        return [
            PaginationProposal(
                PagePagination(page_param=page, size_param=size_param, size=size or records or 100),
                path,
                f"the next URL at {where} moves {page}",
            )
        ]
    cursor = next(iter(changed), None)
    if cursor is not None:
        return [
            PaginationProposal(
                CursorPagination(cursor_param=cursor, next_cursor_path=where),
                path,
                f"the response has a next URL at {where} carrying {cursor}; flowdesk sends that URL's value as "
                f"?{cursor}= (check the preview)",
            )
        ]
    return []


async def preview_pagination(
    ws: Workspace,
    connection: str,
    request: TesterRequest,
    proposal: PaginationProposal,
    *,
    entity: str | None = None,
    pages: int = 3,
) -> list[PagePreview]:
    """Fetch the first ``pages`` pages with ``proposal`` (nothing is saved) and count their records.

    Raises:
        ApiError / InvalidResponseError: a page failed, or the server repeated itself (the proposal is
        then probably wrong).
    """
    target = _form_entity(ws, connection, entity, request).model_copy(
        update={"pagination": proposal.pagination, "data_path": proposal.data_path}
    )
    query = {k: v for k, v in request.query_dict().items() if k not in _pagination_params(proposal.pagination)}
    out: list[PagePreview] = []
    iterator = ws.client(connection).pages(
        target,
        params=request.params,
        query=query,
        headers=request.header_dict(),
        body=request.body,
        body_type=request.body_type,
        raise_for_status=False,
    )
    try:
        async for page in iterator:
            out.append(PagePreview(page.number, page.response.status, len(page.records), page.response.url))
            if len(out) >= pages:
                break
    finally:
        if isinstance(iterator, AsyncGenerator):  # stop the pagination where the preview stopped
            await iterator.aclose()
    return out


def save_pagination(
    ws: Workspace,
    connection: str,
    proposal: PaginationProposal,
    *,
    entity: str | None = None,
    request: TesterRequest | None = None,
) -> str:
    """Save ``proposal`` (and its data path) to the entity, or to a new entity for an ad-hoc path.

    Returns the entity's name. The pagination's own parameters are removed from the entity's query.
    """
    params = _pagination_params(proposal.pagination)
    if entity:
        current = ws.entity(connection, entity)
        updated = current.model_copy(
            update={
                "pagination": proposal.pagination,
                "data_path": proposal.data_path or current.data_path,
                "query": {k: v for k, v in current.query.items() if k not in params},
            }
        )
    else:
        assert request is not None, "an ad-hoc request needs the form's values"
        existing = {e.name for e in ws.entities(connection)}
        name = _entity_name(request.path, existing)
        updated = Entity(
            name=name,
            method=request.method,
            path=request.path,
            query={k: v for k, v in request.query_dict().items() if k not in params},
            headers=request.header_dict(),
            data_path=proposal.data_path,
            pagination=proposal.pagination,
        )
    ws.set_entities(connection, [updated])
    return updated.name


def _pagination_params(pagination: PaginationConfig) -> set[str]:
    if isinstance(pagination, OffsetPagination):
        return {pagination.offset_param, pagination.limit_param}
    if isinstance(pagination, PagePagination):
        return {pagination.page_param} | ({pagination.size_param} if pagination.size_param else set())
    if isinstance(pagination, CursorPagination):
        return {pagination.cursor_param} | ({pagination.limit_param} if pagination.limit_param else set())
    return set()


def _entity_name(path: str, existing: set[str]) -> str:
    words = [p for p in urlsplit(path).path.split("/") if p and not p.startswith("{")]
    base = "_".join(words[-2:]) if words else "request"
    name, counter = base, 2
    while name in existing:
        name, counter = f"{base}_{counter}", counter + 1
    return name


def _holders(body: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The body and its pagination-ish sub-objects, each with its JSONPath."""
    out: list[tuple[str, Mapping[str, Any]]] = [("$", body)]
    for key in _NESTED:
        value = body.get(key)
        if isinstance(value, dict):
            out.append((f"$.{_segment(key)}", value))
    return out


def _find_key(body: Mapping[str, Any], names: Sequence[str]) -> tuple[str, Any] | None:
    for prefix, holder in _holders(body):
        for name in names:
            value = holder.get(name)
            if isinstance(value, int | str) and not isinstance(value, bool) and _int(value) is not None:
                return f"{prefix}.{_segment(name)}", value
    return None


def _first_key(values: Mapping[str, Any], names: Sequence[str]) -> str | None:
    return next((n for n in names if n in values), None)


def _plain_page_param(key: str) -> str:
    return {"current_page": "page", "currentPage": "page"}.get(key, key)


def _cursor_param(key: str) -> str:
    return {
        "next_cursor": "cursor",
        "nextCursor": "cursor",
        "next_page_token": "page_token",
        "nextPageToken": "pageToken",
        "next_token": "next_token",
        "nextToken": "nextToken",
        "endCursor": "after",
        "end_cursor": "after",
        "next": "cursor",
    }.get(key, key)


def _segment(key: str) -> str:
    return key if key.replace("_", "").isalnum() else f"['{key}']"


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _unique(proposals: list[PaginationProposal]) -> list[PaginationProposal]:
    seen: set[str] = set()
    out = []
    for proposal in proposals:
        key = proposal.pagination.model_dump_json()
        if key not in seen:
            seen.add(key)
            out.append(proposal)
    return out


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    import json

    return json.dumps(value, ensure_ascii=False)


def _fill_path(path: str, params: Mapping[str, str]) -> str:
    for name, value in params.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


# --- small helpers the window calls ----------------------------------------------------------------------


def extract_jsonpath(expression: str, document: Any) -> list[Any]:
    """Every value ``expression`` matches in ``document``.

    Raises:
        InvalidJsonPathError: the expression does not parse (a UserError quoting it).
    """
    return find_all(expression, document)


def import_curl(ws: Workspace, connection: str, command: str) -> TesterRequest:
    """The tester's form for a pasted cURL command.

    Raises:
        CurlParseError: the command cannot be understood (a UserError naming the part).
    """
    return request_from_curl(ws, connection, parse_curl(command))


def copy_request(
    ws: Workspace, connection: str, request: TesterRequest, *, as_python: bool = False, include_secrets: bool = False
) -> str:
    """The form's request as a cURL command (or an httpx snippet), secrets ``***`` unless asked for."""
    described = describe_request(ws, connection, request, include_secrets=include_secrets)
    return to_httpx(described) if as_python else to_curl(described)


# --- dashboard -------------------------------------------------------------------------------------------


@dataclass
class HourBucket:
    """Calls and failed calls in one hour (``start`` is the hour's beginning, UTC)."""

    start: datetime
    calls: int = 0
    errors: int = 0


@dataclass
class ErrorEntry:
    """One failed call of the recent error log."""

    at: datetime
    method: str
    url: str
    status: int | None
    message: str
    attempt: int
    duration_ms: float

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.url}".strip()


@dataclass
class DashboardData:
    """Everything the connection dashboard shows, read in one go."""

    connection: str
    status: ConnectionStatus
    """``connected``, ``failing`` or ``untested``: the newer of the last test and the last call."""
    base_url: str
    account: str
    last_used: datetime | None
    calls_24h: int
    success_rate: float | None
    rate_limit: str | None
    """The connection's rate limit in words ("10 requests per s"), ``None`` without one."""
    busiest_hour_share: float | None
    """The busiest hour's calls as a share of what the rate limit allows in an hour (``None`` without one)."""
    hours: list[HourBucket]
    errors: list[ErrorEntry]
    auth_type: str = "none"
    """The connection's auth type (``oauth2`` offers refresh, disconnect and signing in again)."""
    oauth_grant: str | None = None
    """``authorization_code`` or ``client_credentials`` for OAuth 2 connections."""
    signed_in_as: str | None = None
    """The account the last browser sign-in named (authorization code only), ``None`` when not signed in."""


def dashboard_data(ws: Workspace, connection: str, now: datetime | None = None) -> DashboardData:
    """Status, usage over 24 h (with an hourly histogram) and recent errors of ``connection``.

    Raises:
        NotFoundError: no such connection.
    """
    conn = ws.get_connection(connection, secrets=False)
    usage = ws.usage(connection)  # writes buffered call records first, so the figures below include them
    info = next(i for i in ws.list_connections() if i.name == connection)
    code_grant = isinstance(conn.auth, OAuth2Auth) and conn.auth.grant == "authorization_code"
    signed_in = ws.signed_in_account(connection) if code_grant else None
    errors = sorted((_error_entry(e) for e in usage.recent_errors), key=lambda e: e.at, reverse=True)
    hours = hourly_usage(ws, connection, now=now)
    rate = conn.rate_limit
    rate_text, share = None, None
    if rate is not None:
        per = f"{rate.per_s:g} s" if rate.per_s != 1 else "s"
        rate_text = f"{rate.requests:,} request{'s' if rate.requests != 1 else ''} per {per}"
        share = max(b.calls for b in hours) / (rate.requests * 3600 / rate.per_s)
    return DashboardData(
        connection=connection,
        status=info.last_status,
        base_url=conn.base_url,
        account=_account(conn, signed_in, info.last_status),
        last_used=_utc(usage.last_used),
        calls_24h=usage.calls_24h,
        success_rate=usage.success_rate,
        rate_limit=rate_text,
        busiest_hour_share=share,
        hours=hours,
        errors=errors,
        auth_type=conn.auth.type,
        oauth_grant=conn.auth.grant if isinstance(conn.auth, OAuth2Auth) else None,
        signed_in_as=signed_in,
    )


def hourly_usage(ws: Workspace, connection: str, *, now: datetime | None = None, hours: int = 24) -> list[HourBucket]:
    """Calls and failed calls per hour over the last ``hours`` hours (oldest first, the current hour last)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    current = now.replace(minute=0, second=0, microsecond=0)
    buckets = [HourBucket(current - timedelta(hours=hours - 1 - i)) for i in range(hours)]
    by_start = {b.start: b for b in buckets}
    ws.flush()
    for row in ws.store.hourly_usage(ws.name, connection, since=buckets[0].start):
        bucket = by_start.get(datetime.fromtimestamp(row.start, UTC))
        if bucket is not None:
            bucket.calls, bucket.errors = row.calls, row.errors
    return buckets


def _error_entry(record: ApiCallRecord) -> ErrorEntry:
    status = record.status
    return ErrorEntry(
        at=datetime.fromtimestamp(record.at, UTC),
        method=record.method,
        url=record.url,
        status=status,
        message=record.error or (f"HTTP {status}" if status is not None else "failed"),
        attempt=record.attempt,
        duration_ms=record.duration_ms,
    )


def _utc(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _account(conn: Connection, signed_in: str | None = None, status: str = "untested") -> str:
    auth = conn.auth
    if isinstance(auth, OAuth2Auth) and auth.grant == "authorization_code":
        if status == "reauth_needed":
            return f"Sign-in needed (OAuth 2 authorization code, client {auth.client_id})"
        if signed_in:
            return f"{signed_in} (signed in with OAuth 2, client {auth.client_id})"
    if isinstance(auth, ApiKeyAuth):
        return f"API key in the {auth.location} {auth.name}"
    if isinstance(auth, BasicAuth | DigestAuth):
        return f"{'Digest' if isinstance(auth, DigestAuth) else 'Basic'} auth as {auth.username or '(no user)'}"
    if isinstance(auth, BearerAuth):
        return "Bearer token"
    if isinstance(auth, OAuth2Auth):
        grant = "client credentials" if auth.grant == "client_credentials" else "authorization code"
        return f"OAuth 2 ({grant}), client {auth.client_id}"
    return "No authentication"
