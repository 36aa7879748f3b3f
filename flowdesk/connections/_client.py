"""The :class:`ConnectionClient`: every call of one connection goes through it.

One pooled wire per connection (keep-alive across pages and flows; aiohttp directly, or httpx where an
auth flow or transport needs it: see ``_wire``), and around each send the runtime's own work: the rate
limiter, retries with backoff, one :class:`ApiCallMade` event per attempt, and the translation of failures
into flowdesk's errors. That work is kept to a few microseconds per request: paging through an API is
dominated by the server.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowdesk import __version__
from flowdesk.connections._errors import (
    excerpt,
    is_before_send,
    status_error,
    transport_error,
    transport_exceptions,
)
from flowdesk.connections._pagination import Page, iterate_pages
from flowdesk.connections._ratelimit import RateLimiter
from flowdesk.connections._redact import api_key_query_names, connection_secret_texts, redact_url
from flowdesk.connections._request import UNSET, Outgoing, build_request
from flowdesk.connections._response import ApiResponse, TestResult, body_text, looks_like_json, parse_body, preview
from flowdesk.connections._retry import backoff_delay, may_resend, retry_after_delay
from flowdesk.connections._spool import remove_spooled
from flowdesk.connections._transport import build_transport, resolve_proxy, tls_on_demand
from flowdesk.connections._wire import AiohttpWire, HttpxWire, Received, Spool, Wire, static_auth
from flowdesk.model.connection import Connection, Entity
from flowdesk.model.errors import ApiError, FlowdeskError, HttpStatusError, ReauthorizationNeededError, UserError
from flowdesk.model.events import ApiCallMade

if TYPE_CHECKING:  # httpx and the auth flows load only for connections that need the httpx wire
    import httpx

    from flowdesk.connections._auth import OAuth2TokenSource, StoredTokenLoader, TokenCallback

_NO_OPTIONS: dict[str, Any] = {
    "method": None,
    "path": None,
    "params": None,
    "query": None,
    "headers": None,
    "body": UNSET,
    "body_type": None,
    "files": None,
    "item": None,
    "variables": None,
    "body_from_item": False,
}


class ConnectionClient:
    """The HTTP client of one connection; share it between every flow and call using that connection.

    ``transport`` replaces the production wire with httpx on that transport (tests pass
    ``httpx.AsyncHTTPTransport()`` for respx, or a mock); the connection's TLS and proxy settings then do
    not apply. ``on_event`` receives one
    :class:`ApiCallMade` per attempt (token requests included). ``rate_limiter`` may be shared by several
    clients of the same connection; by default the client makes its own from ``connection.rate_limit``.
    ``on_token`` receives every new OAuth token to persist; ``on_reauth_needed`` hears when the provider refused
    the OAuth credentials (the refresh token or a freshly fetched token), before the error is raised;
    ``load_stored_token`` reads the persisted tokens, so that a refresh token rotated by another process is
    adopted instead of reported as refused.
    ``sleep`` and ``clock`` (wall time, epoch seconds) are injectable so tests never wait.

    Raises:
        InvalidConfigError: the CA bundle or client certificate cannot be loaded.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_event: Callable[[ApiCallMade], None] | None = None,
        rate_limiter: RateLimiter | None = None,
        on_token: TokenCallback | None = None,
        on_reauth_needed: Callable[[ReauthorizationNeededError], None] | None = None,
        load_stored_token: StoredTokenLoader | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.connection = connection
        self._on_event = on_event
        self._on_reauth_needed = on_reauth_needed
        self._sleep = sleep
        self._clock = clock or time.time
        self._retry = connection.retry
        self._retry_on = frozenset(connection.retry.on)
        if rate_limiter is None:
            limit = connection.rate_limit
            timing: dict[str, Any] = {"clock": clock, "wall_clock": clock} if clock is not None else {}
            rate_limiter = RateLimiter(
                limit.requests if limit else None, limit.per_s if limit else 1.0, sleep=sleep, **timing
            )
        self.rate_limiter = rate_limiter
        self._redact_names = api_key_query_names(connection)
        self._secrets = connection_secret_texts(connection)
        self._base_url = connection.base_url
        default_headers = {"User-Agent": f"flowdesk/{__version__}", **connection.headers}
        fixed_auth = static_auth(connection)
        proxy = resolve_proxy(connection) if transport is None else None
        self._oauth: OAuth2TokenSource | None = None
        self._wire: Wire
        if transport is None and fixed_auth is not None and (proxy is None or proxy.url.scheme == "http"):
            self._wire = AiohttpWire(
                default_headers=default_headers,
                auth=fixed_auth,
                timeout=connection.timeout,
                ssl_context=tls_on_demand(connection),
                proxy=proxy,
            )
        else:
            from flowdesk.connections._auth import OAuth2BearerAuth, build_auth

            if transport is None:
                transport = build_transport(connection)
            auth = build_auth(
                connection,
                transport,
                clock=self._clock,
                on_token=on_token,
                report=self._report_token_call if on_event is not None else None,
                load_stored=load_stored_token,
            )
            self._wire = HttpxWire(
                default_headers=default_headers, auth=auth, timeout=connection.timeout, transport=transport
            )
            if isinstance(auth, OAuth2BearerAuth):
                self._oauth = auth.source

    async def __aenter__(self) -> ConnectionClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections (and the OAuth token client)."""
        if self._oauth is not None:
            await self._oauth.aclose()
        await self._wire.aclose()

    async def refresh_token(self) -> float | None:
        """Renew the OAuth token now (refresh grant, or a new client-credentials token); returns its expiry.

        Raises:
            UserError: the connection does not use OAuth 2.
            ReauthorizationNeededError: the token endpoint refused; the user must authorise again.
            TransportError: the token endpoint could not be reached.
        """
        if self._oauth is None:
            raise UserError(
                f"connection {self.connection.name!r} uses {self.connection.auth.type} auth: it has no OAuth token "
                "to refresh"
            )
        try:
            await self._oauth.refresh_now()
        except ReauthorizationNeededError as exc:
            self._reauth_needed(exc)
            raise
        return self._oauth.expires_at

    def _reauth_needed(self, error: ReauthorizationNeededError) -> None:
        if self._on_reauth_needed is not None:
            self._on_reauth_needed(error)

    # --- calls ---------------------------------------------------------------------------------------

    async def send(
        self,
        entity: Entity | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = UNSET,
        body_type: str | None = None,
        files: Mapping[str, Any] | None = None,
        item: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
        body_from_item: bool = False,
        raise_for_status: bool = True,
        node_id: str | None = None,
        spool_over: int | None = None,
        spool_dir: Path | None = None,
    ) -> ApiResponse:
        """Call ``entity`` (or ``method``/``path`` alone; ``path`` may be an absolute URL) once, with retries.

        ``params`` fill the path's ``{placeholders}``; ``query``, ``headers`` and ``body`` override the
        entity's; all are templates filled from ``item`` and ``variables``. ``body_from_item`` sends the
        whole item as the body.

        ``spool_over`` (bytes) streams a body larger than that (by its Content-Length, or once that much has
        arrived) into a temporary file in ``spool_dir`` instead of memory, unparsed: the response's
        ``body_file`` (see :class:`ApiResponse`). Smaller bodies are parsed as usual.

        Raises:
            TemplateError: a placeholder matches nothing (a UserError).
            HttpStatusError: a non-2xx answer after the retries (a subclass per status), unless
                ``raise_for_status`` is false.
            ReauthorizationNeededError: OAuth credentials refused even after a token refresh.
            TransportError: no answer (connect failure, timeout, TLS), or the connection broke mid-body.
            OperationalError: the spool file cannot be written (disk full, ``spool_dir`` missing).
        """
        request = build_request(
            self._base_url,
            entity,
            method=method,
            path=path,
            params=params,
            query=query,
            headers=headers,
            body=body,
            body_type=body_type,
            files=files,
            item=item,
            variables=variables,
            body_from_item=body_from_item,
        )
        spool = (spool_over, spool_dir) if spool_over is not None else None
        return await self._execute(request, entity, node_id, raise_for_status, self._retry.count, spool)

    def pages(
        self,
        entity: Entity,
        *,
        method: str | None = None,
        path: str | None = None,
        params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = UNSET,
        body_type: str | None = None,
        files: Mapping[str, Any] | None = None,
        item: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
        body_from_item: bool = False,
        raise_for_status: bool = True,
        node_id: str | None = None,
        concurrency: int = 1,
    ) -> AsyncIterator[Page]:
        """Every page of ``entity`` following its pagination, in order, fetched as you iterate: one after the
        other, or up to ``concurrency`` at once where the next pages' parameters are known in advance (an
        offset-paginated entity whose first page reports the total). The rate limit holds either way.

        Raises (while iterating): as :meth:`send`, and InvalidResponseError when a page is not JSON where
        records are expected or the server repeats a cursor, link or page.
        """

        options = {
            "method": method,
            "path": path,
            "params": params,
            "query": query,
            "headers": headers,
            "body": body,
            "body_type": body_type,
            "files": files,
            "item": item,
            "variables": variables,
            "body_from_item": body_from_item,
        }
        return self._pages(entity, options, node_id, raise_for_status, self._retry.count, concurrency)

    def _pages(
        self,
        entity: Entity,
        options: dict[str, Any],
        node_id: str | None,
        raise_for_status: bool,
        retries: int,
        concurrency: int = 1,
    ) -> AsyncGenerator[Page, None]:
        async def fetch(extra_query: Mapping[str, Any] | None, url: str | None) -> ApiResponse:
            request = build_request(self._base_url, entity, extra_query=extra_query, url=url, **options)
            return await self._execute(request, entity, node_id, raise_for_status, retries)

        return iterate_pages(entity, fetch, concurrency)

    async def records(
        self,
        entity: Entity,
        *,
        all_pages: bool = True,
        method: str | None = None,
        path: str | None = None,
        params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = UNSET,
        body_type: str | None = None,
        files: Mapping[str, Any] | None = None,
        item: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
        body_from_item: bool = False,
        raise_for_status: bool = True,
        node_id: str | None = None,
    ) -> AsyncIterator[Any]:
        """The records at the entity's data_path, from every page (or the first only, without ``all_pages``)."""
        options: dict[str, Any] = {
            "method": method,
            "path": path,
            "params": params,
            "query": query,
            "headers": headers,
            "body": body,
            "body_type": body_type,
            "files": files,
            "item": item,
            "variables": variables,
            "body_from_item": body_from_item,
            "raise_for_status": raise_for_status,
            "node_id": node_id,
        }
        if all_pages:
            async for page in self.pages(entity, **options):
                for record in page.records:
                    yield record
            return
        response = await self.send(entity, **options)
        for record in response.records(entity.data_path) if response.ok else []:
            yield record

    async def test(self, entity: Entity | None = None) -> TestResult:
        """Try the connection: ``entity``, else the connection's ``test_entity``, else GET the base URL.

        Sent once, without retries, so a broken connection is reported at once. Never raises for HTTP,
        transport, auth or template problems: they are in the result's ``error`` and ``hint``.
        """
        connection = self.connection
        if entity is None and connection.test_entity:
            entity = connection.entity(connection.test_entity)
            if entity is None:
                return TestResult(
                    ok=False,
                    status=None,
                    elapsed_ms=0.0,
                    preview=None,
                    error=f"the test entity {connection.test_entity!r} does not exist",
                    hint="set test_entity to one of the connection's entities, or leave it empty to GET the base URL",
                )
        started = time.perf_counter()
        try:
            if entity is not None:  # the first page, with the pagination's parameters
                pages = self._pages(entity, dict(_NO_OPTIONS), None, True, 0)
                page = await anext(aiter(pages))
                await pages.aclose()
                response, records = page.response, page.records if entity.data_path else None
            else:
                request = build_request(self._base_url, None, **_NO_OPTIONS)
                response, records = await self._execute(request, None, None, True, 0), None
        except FlowdeskError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            status = exc.status if isinstance(exc, ApiError) else None
            sample = exc.body_excerpt if isinstance(exc, ApiError) else None
            return TestResult(
                ok=False, status=status, elapsed_ms=elapsed, preview=sample, error=exc.message, hint=exc.hint
            )
        sample = preview(records if records is not None else response.body)
        return TestResult(
            ok=True, status=response.status, elapsed_ms=response.elapsed_ms, preview=sample, error=None, hint=None
        )

    # --- the send loop -------------------------------------------------------------------------------

    async def _execute(
        self,
        request: Outgoing,
        entity: Entity | None,
        node_id: str | None,
        raise_for_status: bool,
        retries: int,
        spool: Spool | None = None,
    ) -> ApiResponse:
        method = request.method
        url = redact_url(request.url, self._redact_names)
        resendable = may_resend(method, entity.idempotent if entity is not None else False, request.headers)
        policy = self._retry
        limiter = self.rate_limiter
        attempt = 0
        while True:
            attempt += 1
            await limiter.acquire()
            started = time.perf_counter()
            try:
                response = await self._wire.send(request, spool)
            except transport_exceptions() as exc:
                elapsed = (time.perf_counter() - started) * 1000
                error = transport_error(
                    exc,
                    method=method,
                    url=url,
                    attempts=attempt,
                    timeout_s=self.connection.timeout,
                    secrets=self._secrets,
                )
                again = attempt <= retries and (resendable or is_before_send(exc))
                self._emit(entity, node_id, method, url, None, elapsed, attempt, again, error.message, None)
                if again:
                    await self._sleep(backoff_delay(policy, attempt))
                    continue
                raise error from exc
            except ApiError as exc:  # the OAuth token source failed
                elapsed = (time.perf_counter() - started) * 1000
                self._emit(entity, node_id, method, url, exc.status, elapsed, attempt, False, exc.message, None)
                if isinstance(exc, ReauthorizationNeededError):
                    self._reauth_needed(exc)
                raise
            elapsed = (time.perf_counter() - started) * 1000
            status = response.status
            received = response.body
            size = received.size
            limiter.observe(response.headers)
            waited_too_long: float | None = None
            if status in self._retry_on and attempt <= retries and resendable:
                delay = retry_after_delay(response.headers.get("retry-after"), self._clock())
                if delay is None:
                    delay = backoff_delay(policy, attempt)
                if delay <= max(policy.max_backoff_s, 0.0):
                    self._emit(
                        entity, node_id, method, url, status, elapsed, attempt, True, _status_text(response), size
                    )
                    if received.file is not None:
                        remove_spooled(received.file)
                    await self._sleep(delay)
                    continue
                waited_too_long = delay  # the server asks for more patience than the policy allows
            ok = 200 <= status < 300
            self._emit(
                entity,
                node_id,
                method,
                url,
                status,
                elapsed,
                attempt,
                False,
                None if ok else _status_text(response),
                size,
            )
            break
        content_type = response.headers.get("content-type", "")
        if received.file is None:
            body, is_json = parse_body(content_type, response.charset, received.content)
        else:  # parsing many megabytes here would hold up the event loop: the caller decides
            body, is_json = None, looks_like_json(content_type, received.content)
        result = ApiResponse(
            status=status,
            headers=response.headers,
            body=body,
            elapsed_ms=elapsed,
            url=url,
            attempts=attempt,
            size=size,
            method=method,
            content_type=content_type,
            is_json=is_json,
            links=response.links,
            body_file=received.file,
        )
        if raise_for_status and not ok:
            refused = self._status_error(result, response, entity, waited_too_long)
            if received.file is not None:
                remove_spooled(received.file)  # nobody gets this response
            raise refused
        if received.file is not None:
            weakref.finalize(result, remove_spooled, received.file)  # the file lives as long as its response
        return result

    def _status_error(
        self,
        result: ApiResponse,
        response: Received,
        entity: Entity | None,
        waited_too_long: float | None,
    ) -> ApiError:
        text = excerpt(body_text(response.charset, response.body.content), self._secrets) if result.size else None
        if result.status == 401 and self._oauth is not None:
            refused = ReauthorizationNeededError(
                f"{result.method} {result.url} failed: HTTP 401 even with a newly fetched OAuth token",
                hint=(
                    f"re-authorise connection {self.connection.name!r} (`flowdesk connection authorize "
                    f"{self.connection.name}` or Connect in the window), and check its client id, client secret "
                    "and scope"
                ),
                method=result.method,
                url=result.url,
                status=401,
                attempts=result.attempts,
                body_excerpt=text,
            )
            self._reauth_needed(refused)
            return refused
        error: HttpStatusError = status_error(
            method=result.method,
            url=result.url,
            status=result.status,
            reason=response.reason,
            attempts=result.attempts,
            body_excerpt=text,
            connection=self.connection.name,
            base_url=redact_url(self.connection.base_url),
            retry_after_s=waited_too_long,
        )
        if entity is not None:
            error.message = f"{error.message} (entity {entity.name!r})"
            error.args = (error.message,)
        return error

    def _emit(
        self,
        entity: Entity | None,
        node_id: str | None,
        method: str,
        url: str,
        status: int | None,
        elapsed: float,
        attempt: int,
        will_retry: bool,
        error: str | None,
        size: int | None,
    ) -> None:
        if self._on_event is None:
            return
        self._on_event(
            ApiCallMade(
                connection=self.connection.name,
                entity=entity.name if entity is not None else None,
                node_id=node_id,
                method=method,
                url=url,
                status=status,
                duration_ms=elapsed,
                attempt=attempt,
                will_retry=will_retry,
                error=error,
                response_bytes=size,
            )
        )

    def _report_token_call(self, method: str, url: str, status: int | None, elapsed: float, error: str | None) -> None:
        failed = error or (None if status is not None and status < 400 else f"HTTP {status}")
        self._emit(None, None, method, url, status, elapsed, 1, False, failed, None)


def _status_text(response: Received) -> str:
    reason = response.reason
    return f"HTTP {response.status} {reason}" if reason else f"HTTP {response.status}"
