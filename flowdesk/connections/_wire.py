"""The wire under a :class:`~flowdesk.connections.ConnectionClient`: how one built request is exchanged.

Two wires, one contract (:class:`Outgoing` in, :class:`Received` out):

- :class:`AiohttpWire`, the default: aiohttp's client session, driven directly. Profiling 1,000 sequential
  pages showed httpx's client layer (URL parsing, cookie extraction, the auth and redirect machinery,
  response wrapping) costing ~0.4 ms a request on top of aiohttp's own ~0.55 ms, even with the aiohttp
  transport under it (benchmarks/README.md). Used for connections whose auth is a fixed header or query
  value (none, API key, basic, bearer) and whose proxy, if any, is an ``http://`` one.
- :class:`HttpxWire`: an ``httpx.AsyncClient``, for everything else: OAuth 2 (authlib's client and the
  token refresh on 401 are httpx auth flows), digest auth (a challenge round trip), SOCKS and ``https://``
  proxies, and any injected transport (tests pass one for respx).

Both follow redirects, send the connection's default headers, decode compressed bodies, and report
failures as their library's exceptions, which ``_errors.transport_error`` translates.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from flowdesk.connections._request import Outgoing
from flowdesk.connections._spool import ReceivedBody, read_body
from flowdesk.model.connection import ApiKeyAuth, BasicAuth, BearerAuth, Connection, NoAuth
from flowdesk.model.errors import UserError

if TYPE_CHECKING:
    import aiohttp
    import httpx

CHUNK = 65_536
"""Bytes read at a time from a streamed (spooled) body."""

Spool = tuple[int, Path | None]
"""``(threshold bytes, folder)``: bodies larger than the threshold go to a temporary file in the folder."""


@dataclass(slots=True)
class Received:
    """One answer, read: ``headers`` are case-insensitive; ``links`` maps each ``Link`` relation to an
    absolute URL (resolved against where the request ended up, after redirects)."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: ReceivedBody
    charset: str | None
    links: dict[str, str]


class Wire(Protocol):
    async def send(self, out: Outgoing, spool: Spool | None) -> Received: ...

    async def aclose(self) -> None: ...


def static_auth(connection: Connection) -> tuple[dict[str, str], dict[str, str]] | None:
    """The headers and query values a connection's auth adds to every request, or ``None`` when its auth
    needs a round trip of its own (OAuth 2, digest) and so an httpx auth flow."""
    auth = connection.auth
    if isinstance(auth, NoAuth):
        return {}, {}
    if isinstance(auth, ApiKeyAuth):
        key = auth.key.get_secret_value() if auth.key else ""
        return ({}, {auth.name: key}) if auth.location == "query" else ({auth.name: key}, {})
    if isinstance(auth, BasicAuth):
        password = auth.password.get_secret_value() if auth.password else ""
        token = base64.b64encode(f"{auth.username}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}, {}
    if isinstance(auth, BearerAuth):
        return {"Authorization": f"Bearer {auth.token.get_secret_value() if auth.token else ''}"}, {}
    return None


class AiohttpWire:
    """aiohttp's client session, made on first use (a session belongs to the running event loop)."""

    def __init__(
        self,
        *,
        default_headers: Mapping[str, str],
        auth: tuple[dict[str, str], dict[str, str]],
        timeout: float,
        ssl_context: Callable[[], ssl.SSLContext],
        proxy: httpx.Proxy | None,
    ) -> None:
        self._default_headers = dict(default_headers)
        self._auth_headers, self._auth_query = auth
        self._timeout = timeout
        self._ssl = ssl_context  # called on first use: loading the CA file costs ~20 ms of start-up
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._request_options: dict[str, Any] = {}

    def _open(self) -> aiohttp.ClientSession:
        import aiohttp

        timeout = self._timeout  # per phase, as httpx's timeout=: connect, each read
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100),
            headers=self._default_headers,
            timeout=aiohttp.ClientTimeout(total=None, connect=timeout, sock_connect=timeout, sock_read=timeout),
            cookie_jar=aiohttp.CookieJar(),
            skip_auto_headers=("Content-Type",),  # every body comes with its own; none without a body (as httpx)
        )
        if self._proxy is not None:
            auth = self._proxy.auth
            self._request_options = {
                "proxy": str(self._proxy.url),
                "proxy_auth": aiohttp.BasicAuth(auth[0], auth[1]) if auth else None,
            }
        return self._session

    async def send(self, out: Outgoing, spool: Spool | None) -> Received:
        session = self._session or self._open()
        headers: Any = out.headers
        if self._auth_headers:
            from multidict import CIMultiDict

            headers = CIMultiDict(out.headers)
            headers.update(self._auth_headers)  # the auth wins over a same-named header, as in httpx
        url: Any = out.url
        if self._auth_query:
            from yarl import URL

            url = URL(out.url).update_query(self._auth_query)  # set, not appended: a next link has it already
        options = self._request_options
        if out.url.startswith("https:"):
            options = {**options, "ssl": self._ssl()}
        async with session.request(out.method, url, headers=headers, data=out.content, **options) as response:
            if spool is None:
                content = await response.read()
                body = ReceivedBody(content, None, len(content))
            else:
                body = await read_body(response.content.iter_chunked(CHUNK), response.headers, *spool)
            links: dict[str, str] = {}
            if "link" in response.headers:
                links = {str(rel): str(link["url"]) for rel, link in response.links.items() if rel and "url" in link}
            return Received(
                status=response.status,
                reason=response.reason or "",
                headers=response.headers,
                body=body,
                charset=response.charset,
                links=links,
            )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class HttpxWire:
    """An ``httpx.AsyncClient`` with the connection's auth flow and transport."""

    def __init__(
        self,
        *,
        default_headers: Mapping[str, str],
        auth: httpx.Auth | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport,
    ) -> None:
        import httpx

        self.client = httpx.AsyncClient(
            transport=transport,
            auth=auth,
            headers=dict(default_headers),
            timeout=timeout,
            follow_redirects=True,
            trust_env=False,  # the proxy is resolved onto the transport (see _transport)
        )

    async def send(self, out: Outgoing, spool: Spool | None) -> Received:
        import httpx

        try:
            request = self.client.build_request(out.method, out.url, headers=out.headers, content=out.content)
        except httpx.InvalidURL as exc:
            raise UserError(f"invalid URL {out.url.split('?', 1)[0]!r}: {exc}") from exc
        if spool is None:
            response = await self.client.send(request)
            body = ReceivedBody(response.content, None, len(response.content))
        else:
            response = await self.client.send(request, stream=True)
            try:
                body = await read_body(response.aiter_bytes(), response.headers, *spool)
            finally:
                await response.aclose()
        links: dict[str, str] = {}
        if "link" in response.headers:
            base = response.url
            links = {
                rel: str(base.join(link["url"])) for rel, link in response.links.items() if rel and link.get("url")
            }
        return Received(
            status=response.status_code,
            reason=response.reason_phrase,
            headers=response.headers,
            body=body,
            charset=response.charset_encoding,
            links=links,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
