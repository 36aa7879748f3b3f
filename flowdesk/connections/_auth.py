"""Authentication as ``httpx.Auth`` flows, one per kind of connection auth.

OAuth 2 uses authlib only for the token requests (client credentials, refresh) and owns the header: that
way the token request goes over the connection's own transport (proxy, TLS settings, aiohttp), a 401 can
trigger exactly one re-fetch and one resend, and concurrent calls wait on one lock for one token request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any

import httpx

from flowdesk.connections._errors import excerpt, transport_error, transport_exceptions
from flowdesk.connections._redact import redact_url
from flowdesk.model.connection import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Connection,
    DigestAuth,
    OAuth2Auth,
)
from flowdesk.model.errors import InvalidResponseError, ReauthorizationNeededError, ServerError

TokenCallback = Callable[[dict[str, Any]], Awaitable[None]]
"""Receives every new token: ``access_token``, ``refresh_token`` (the newest, rotated or kept),
``expires_at`` (epoch seconds or ``None``) and ``token_lifetime_s`` (the ``expires_in`` it came with)."""

StoredTokenLoader = Callable[[], Awaitable[dict[str, Any] | None]]
"""Reads the tokens as last persisted (same keys as :data:`TokenCallback`), ``None`` when there are none."""

SHORT_LEEWAY_S = 60.0
"""Default renewal margin: a minute before expiry."""
LONG_LEEWAY_S = 7 * 86_400.0
"""Default renewal margin for long-lived tokens: 7 days before expiry (the seed's "refresh 7 days before")."""
LONG_LIVED_S = 30 * 86_400.0
"""A token living longer than this is long-lived."""
AttemptReporter = Callable[[str, str, int | None, float, str | None], None]
"""``(method, redacted url, status, duration_ms, error)`` of one token-endpoint request."""


class HeaderApiKeyAuth(httpx.Auth):
    """An API key in a request header (``X-API-Key: …``)."""

    def __init__(self, name: str, key: str) -> None:
        self._name = name
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._name] = self._key
        yield request


class QueryApiKeyAuth(httpx.Auth):
    """An API key in the query string; set (not appended) so a followed ``next`` link never carries it twice."""

    def __init__(self, name: str, key: str) -> None:
        self._name = name
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_set_param(self._name, self._key)
        yield request


class BearerTokenAuth(httpx.Auth):
    """A fixed bearer token."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class SharedTransport(httpx.AsyncBaseTransport):
    """The connection's transport lent to authlib's client: closing that client must not close it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, report: AttemptReporter | None) -> None:
        self._inner = inner
        self._report = report

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            if self._report is not None:
                elapsed = (time.perf_counter() - started) * 1000
                self._report(request.method, redact_url(str(request.url)), None, elapsed, type(exc).__name__)
            raise
        if self._report is not None:
            elapsed = (time.perf_counter() - started) * 1000
            self._report(request.method, redact_url(str(request.url)), response.status_code, elapsed, None)
        return response

    async def aclose(self) -> None:
        """The connection's client closes the transport."""


class OAuth2TokenSource:
    """Access tokens of one OAuth 2 connection: fetched on first use, reused, renewed before expiry.

    Client credentials fetch a new token; the authorization-code grant renews with the refresh token
    (the store holds the tokens from ``connection authorize``). Every new token goes to ``on_token`` so the
    caller can persist it (refresh tokens may rotate). One lock guards the token endpoint, so many
    concurrent calls cause one token request.
    """

    def __init__(
        self,
        connection: Connection,
        settings: OAuth2Auth,
        transport: httpx.AsyncBaseTransport,
        *,
        clock: Callable[[], float] = time.time,
        on_token: TokenCallback | None = None,
        report: AttemptReporter | None = None,
        load_stored: StoredTokenLoader | None = None,
    ) -> None:
        self._connection = connection.name
        self._load_stored = load_stored
        self._settings = settings
        self._timeout = connection.timeout
        self._transport = SharedTransport(transport, report)
        self._clock = clock
        self._on_token = on_token
        self._access = settings.access_token.get_secret_value() if settings.access_token else None
        self._refresh = settings.refresh_token.get_secret_value() if settings.refresh_token else None
        self._expires_at = settings.expires_at
        self._lifetime: float | None = settings.token_lifetime_s if self._access else None
        """``expires_in`` of the current token; ``None`` when unknown."""
        self._lock = asyncio.Lock()
        self._client: Any = None
        self.fetches = 0
        """How many token requests were made (for tests and the dashboard)."""

    def leeway(self) -> float:
        """How long before expiry the current token is renewed.

        The configured ``refresh_leeway_s``, or by default a minute (7 days for tokens living over 30 days),
        never more than half the token's lifetime: a token living less than twice the leeway would be stale on
        arrival and fetched again for every call.
        """
        lifetime = self._lifetime
        if lifetime is None and self._expires_at is not None and self._access:
            remaining = self._expires_at - self._clock()
            lifetime = remaining if remaining > LONG_LIVED_S else None  # a stored token without its lifetime
        leeway = self._settings.refresh_leeway_s
        if leeway is None:
            leeway = LONG_LEEWAY_S if lifetime is not None and lifetime > LONG_LIVED_S else SHORT_LEEWAY_S
        if lifetime is not None:
            leeway = min(leeway, lifetime / 2)
        return leeway

    def _fresh(self) -> bool:
        if not self._access:
            return False
        return self._expires_at is None or self._clock() < self._expires_at - self.leeway()

    async def token(self) -> str:
        """A usable access token, fetching or refreshing it first when needed.

        Raises:
            ReauthorizationNeededError: the token endpoint refused the client or the refresh token.
        """
        access = self._access
        if access is not None and self._fresh():
            return access
        async with self._lock:
            if not self._fresh():
                await self._obtain_or_adopt()
            assert self._access is not None
            return self._access

    async def renew(self, rejected: str) -> str:
        """A new token after the server refused ``rejected`` (unless another call already replaced it)."""
        async with self._lock:
            if self._access != rejected and self._fresh():
                assert self._access is not None
                return self._access
            await self._obtain_or_adopt()
            assert self._access is not None
            return self._access

    async def refresh_now(self) -> dict[str, Any]:
        """Renew the token at once, whatever its expiry (``connection refresh``); returns the new token.

        Raises:
            ReauthorizationNeededError: the token endpoint refused the client or the refresh token.
        """
        async with self._lock:
            return await self._obtain_or_adopt()

    @property
    def expires_at(self) -> float | None:
        return self._expires_at

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _oauth_client(self) -> Any:
        if self._client is None:
            self._client = oauth_client(self._settings, self._transport, self._timeout, leeway=self.leeway())
        return self._client

    async def _obtain_or_adopt(self) -> dict[str, Any]:
        """:meth:`_obtain`; when the refresh token is refused, first look whether another process (the window,
        a scheduler, another command) renewed and rotated the tokens meanwhile, and take theirs."""
        try:
            return await self._obtain()
        except ReauthorizationNeededError:
            if self._load_stored is None or self._settings.grant != "authorization_code":
                raise
            stored = await self._load_stored()
            newer = stored.get("refresh_token") if stored else None
            if not stored or not newer or newer == self._refresh or not stored.get("access_token"):
                raise
            self._access, self._refresh = str(stored["access_token"]), str(newer)
            self._expires_at, self._lifetime = stored.get("expires_at"), stored.get("token_lifetime_s")
            if self._fresh():
                return stored
            return await self._obtain()

    async def _obtain(self) -> dict[str, Any]:
        settings = self._settings
        authorise = f"run `flowdesk connection authorize {self._connection}` (or Connect in the window) again"
        if settings.grant == "authorization_code" and not self._refresh:
            if not self._access:
                raise ReauthorizationNeededError(
                    f"connection {self._connection!r} is not authorised yet",
                    hint=authorise,
                    url=redact_url(settings.token_url),
                )
            raise ReauthorizationNeededError(
                f"the access token of connection {self._connection!r} expired or was refused and there is no "
                "refresh token",
                hint=authorise,
                url=redact_url(settings.token_url),
            )
        client = self._oauth_client()
        url = redact_url(settings.token_url)
        try:
            if settings.grant == "client_credentials":
                extra = {"audience": settings.audience} if settings.audience else {}
                token = await client.fetch_token(settings.token_url, grant_type="client_credentials", **extra)
            else:
                token = await client.refresh_token(settings.token_url, refresh_token=self._refresh)
        except transport_exceptions() as exc:
            raise transport_error(exc, method="POST", url=url, attempts=1, timeout_s=self._timeout) from exc
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            if status >= 500:
                raise ServerError(
                    f"POST {url} (token endpoint) failed: HTTP {status}",
                    hint="the authorisation server failed: try again later",
                    method="POST",
                    url=url,
                    status=status,
                    body_excerpt=excerpt(exc.response.text, self._secret_texts()),
                ) from exc
            raise self._refused(url, f"HTTP {status}", status) from exc
        except ValueError as exc:
            raise InvalidResponseError(
                f"POST {url} (token endpoint) did not answer with a JSON token: {exc}",
                hint="check the connection's token_url",
                method="POST",
                url=url,
            ) from exc
        except Exception as exc:  # authlib's OAuthError and friends
            if type(exc).__module__.startswith("authlib"):
                raise self._refused(url, str(exc) or type(exc).__name__, None) from exc
            raise
        stored = self._store(dict(token))
        if self._on_token is not None:
            # inside the lock: a rotated refresh token is persisted before anyone can rotate it again
            await self._on_token(stored)
        return stored

    def _secret_texts(self) -> list[str]:
        """What a token endpoint's error body must not show: the client secret and the tokens."""
        secret = self._settings.client_secret
        values = (secret.get_secret_value() if secret else None, self._refresh, self._access)
        return [value for value in values if value]

    def _refused(self, url: str, detail: str, status: int | None) -> ReauthorizationNeededError:
        settings = self._settings
        if settings.grant == "client_credentials":
            hint = (
                f"check the client id and client secret (and scope) of connection {self._connection!r}, and its "
                "token_url; re-authorise the application with the provider if it was revoked"
            )
        else:
            hint = (
                f"the refresh token was refused: re-authorise with `flowdesk connection authorize "
                f"{self._connection}` and check the client id and secret"
            )
        return ReauthorizationNeededError(
            f"the token endpoint {url} refused connection {self._connection!r}: {detail}",
            hint=hint,
            method="POST",
            url=url,
            status=status,
        )

    def _store(self, token: dict[str, Any]) -> dict[str, Any]:
        access = token.get("access_token")
        if not isinstance(access, str) or not access:
            raise InvalidResponseError(
                f"the token endpoint {redact_url(self._settings.token_url)} answered without an access_token",
                hint="check the connection's token_url and grant",
                url=redact_url(self._settings.token_url),
            )
        self.fetches += 1
        self._access = access
        if token.get("refresh_token"):
            self._refresh = str(token["refresh_token"])
        expires_in = token.get("expires_in")
        if isinstance(expires_in, int | float) or (isinstance(expires_in, str) and expires_in.isdigit()):
            self._lifetime = float(expires_in)
            self._expires_at = self._clock() + self._lifetime
        elif isinstance(token.get("expires_at"), int | float) and "expires_in" not in token:
            self._lifetime = None
            self._expires_at = float(token["expires_at"])
        else:
            self._lifetime = None
            self._expires_at = None
        token["expires_at"] = self._expires_at
        token["token_lifetime_s"] = self._lifetime
        if self._refresh and "refresh_token" not in token:
            token["refresh_token"] = self._refresh
        return token


class OAuth2BearerAuth(httpx.Auth):
    """Sends the source's token; on a 401 renews it once and resends once (the client reports a second 401)."""

    requires_request_body = True  # the body is sent twice after a 401

    def __init__(self, source: OAuth2TokenSource) -> None:
        self.source = source

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("OAuth 2 connections are used through the async client only")
        yield request  # pragma: no cover

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.source.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = await self.source.renew(token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request


def build_auth(
    connection: Connection,
    transport: httpx.AsyncBaseTransport,
    *,
    clock: Callable[[], float] = time.time,
    on_token: TokenCallback | None = None,
    report: AttemptReporter | None = None,
    load_stored: StoredTokenLoader | None = None,
) -> httpx.Auth | None:
    """The ``httpx.Auth`` for a connection's auth settings (``None`` for no auth)."""
    auth = connection.auth
    if isinstance(auth, ApiKeyAuth):
        key = auth.key.get_secret_value() if auth.key else ""
        return QueryApiKeyAuth(auth.name, key) if auth.location == "query" else HeaderApiKeyAuth(auth.name, key)
    if isinstance(auth, BasicAuth):
        return httpx.BasicAuth(auth.username, auth.password.get_secret_value() if auth.password else "")
    if isinstance(auth, DigestAuth):
        return httpx.DigestAuth(auth.username, auth.password.get_secret_value() if auth.password else "")
    if isinstance(auth, BearerAuth):
        return BearerTokenAuth(auth.token.get_secret_value() if auth.token else "")
    if isinstance(auth, OAuth2Auth):
        source = OAuth2TokenSource(
            connection, auth, transport, clock=clock, on_token=on_token, report=report, load_stored=load_stored
        )
        return OAuth2BearerAuth(source)
    return None


def oauth_client(
    settings: OAuth2Auth,
    transport: httpx.AsyncBaseTransport,
    timeout: float,
    *,
    leeway: float = SHORT_LEEWAY_S,
    redirect_uri: str | None = None,
) -> Any:
    """authlib's ``AsyncOAuth2Client`` for ``settings`` over ``transport`` (which it must not close).

    A client without a secret is a public client (PKCE): it identifies itself with ``client_id`` in the body.
    """
    secret = settings.client_secret.get_secret_value() if settings.client_secret else None
    if not secret:
        method = "none"
    else:
        method = "client_secret_basic" if settings.client_auth == "basic" else "client_secret_post"
    return _authlib_client_class()(
        client_id=settings.client_id,
        client_secret=secret,
        token_endpoint_auth_method=method,
        revocation_endpoint_auth_method=method,
        scope=settings.scope,
        token_endpoint=settings.token_url,
        grant_type=settings.grant,
        leeway=leeway,
        redirect_uri=redirect_uri,
        code_challenge_method="S256" if settings.use_pkce else None,
        transport=transport,
        timeout=timeout,
    )


def _authlib_client_class() -> Any:
    """authlib's ``AsyncOAuth2Client``, imported on first use (it is slow to import and most connections
    never need it), with its "httpx module is deprecated" warning silenced: that warning is about a
    package we deliberately keep out (httpx2, which respx cannot mock)."""
    import warnings

    import authlib.deprecate  # noqa: F401  (installs an "always" filter that ours must come after)

    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    return AsyncOAuth2Client
