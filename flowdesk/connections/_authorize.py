"""OAuth 2 authorization code with PKCE: the consent round trip through the browser and a loopback redirect.

The flow (RFC 6749 §4.1, RFC 7636, RFC 8252 §7.3): listen on ``http://127.0.0.1:<free port>/callback``, send
the browser to the provider's authorize URL with a random ``state`` and an S256 ``code_challenge``, wait for
the redirect, check ``state``, and exchange the code (with the ``code_verifier``) at the token endpoint through
authlib. The listener is an ``aiohttp.web`` site on the running loop (qasync in the window, ``asyncio.run`` in
the CLI): no thread. Whatever goes wrong -- consent denied, a redirect with another ``state``, no redirect in
time, the token endpoint refusing -- raises before anything is returned, so the caller stores nothing.

:func:`revoke_tokens` is the way back: RFC 7009 revocation of the refresh and access tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from flowdesk.connections._auth import SharedTransport, oauth_client
from flowdesk.connections._errors import excerpt, transport_error, transport_exceptions
from flowdesk.connections._redact import redact_url
from flowdesk.connections._transport import build_transport
from flowdesk.model.connection import Connection, OAuth2Auth
from flowdesk.model.errors import (
    AuthorizationDeniedError,
    AuthorizationError,
    AuthorizationStateError,
    AuthorizationTimeoutError,
    InvalidConfigError,
    ServerError,
)

if TYPE_CHECKING:  # aiohttp.web loads when a flow starts: most commands never listen
    from aiohttp import web

CALLBACK_PATH = "/callback"
LOOPBACK_HOST = "127.0.0.1"
DEFAULT_TIMEOUT_S = 300.0

BrowserOpener = Callable[[str], object]
"""Shows the authorize URL to the user: ``webbrowser.open``, printing it, or (tests) an async fetch; an
awaitable result runs alongside the wait for the redirect."""


@dataclass(frozen=True)
class IssuedTokens:
    """What the token endpoint issued for the consent; ``repr`` never shows the tokens."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float | None
    """Epoch seconds; ``None`` when the provider did not say (``expires_in`` missing)."""
    lifetime_s: float | None
    scope: str | None
    redirect_uri: str


def authorization_settings(connection: Connection) -> OAuth2Auth:
    """The connection's OAuth 2 settings, checked to be usable for the authorization-code flow.

    Raises:
        InvalidConfigError: the connection does not use OAuth 2 with the authorization-code grant.
    """
    auth = connection.auth
    if not isinstance(auth, OAuth2Auth):
        raise InvalidConfigError(
            f"connection {connection.name!r}",
            [("auth.type", f"is {auth.type}: only OAuth 2 connections are authorised in the browser")],
        )
    if auth.grant != "authorization_code":
        raise InvalidConfigError(
            f"connection {connection.name!r}",
            [
                (
                    "auth.grant",
                    f"is {auth.grant}: its token is fetched with the client id and secret on first use, no browser "
                    "consent needed (set grant to authorization_code for a user's account)",
                )
            ],
        )
    if not auth.client_id:
        raise InvalidConfigError(
            f"connection {connection.name!r}",
            [("auth.client_id", "is empty: register an app with the provider and enter its client id")],
        )
    return auth


async def authorize_code(
    connection: Connection,
    *,
    open_browser: BrowserOpener,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    transport: httpx.AsyncBaseTransport | None = None,
    host: str = LOOPBACK_HOST,
    port: int = 0,
    clock: Callable[[], float] = time.time,
) -> IssuedTokens:
    """Run the browser consent for ``connection`` and return the tokens issued for it.

    ``open_browser`` is called once with the authorize URL. ``port`` 0 picks a free port (providers accept any
    loopback port, RFC 8252 §7.3; give a fixed one for providers that insist on an exact redirect URI).

    Raises:
        InvalidConfigError: the connection is not set up for the authorization-code grant.
        AuthorizationDeniedError: the redirect carried an error (``access_denied`` when consent was refused).
        AuthorizationStateError: the redirect carried another ``state`` than the one sent.
        AuthorizationTimeoutError: no redirect within ``timeout_s``.
        AuthorizationError: the token endpoint refused the code (or answered without a token).
        TransportError: the token endpoint could not be reached.
        OSError: the loopback port could not be bound.
    """
    settings = authorization_settings(connection)
    from authlib.common.security import generate_token

    state = generate_token(32)
    verifier = generate_token(64) if settings.use_pkce else None  # 64 chars of [A-Za-z0-9]: RFC 7636 allows 43-128
    owned = transport is None
    inner = build_transport(connection) if transport is None else transport
    receiver = _Receiver(state)
    try:
        runner = await receiver.start(host, port)
    except BaseException:
        if owned:
            await inner.aclose()
        raise
    client = oauth_client(
        settings, SharedTransport(inner, None), connection.timeout, redirect_uri=receiver.redirect_uri
    )
    browser: asyncio.Future[Any] | None = None
    try:
        url, _ = client.create_authorization_url(settings.authorize_url, state=state, code_verifier=verifier)
        opened = open_browser(url)
        if inspect.isawaitable(opened):
            browser = asyncio.ensure_future(opened)
        code = await receiver.wait(connection.name, timeout_s)
        return await _exchange(client, connection, settings, code, verifier, receiver.redirect_uri, clock)
    finally:
        if browser is not None:
            if not browser.done():
                browser.cancel()
            with contextlib.suppress(BaseException):
                await browser  # a failing test "browser" only shows as a timeout; never let it escape here
        await client.aclose()
        if owned:
            await inner.aclose()
        await runner.cleanup()


class _Receiver:
    """The loopback listener: resolves with the code of the first redirect, or fails with what it carried."""

    def __init__(self, state: str) -> None:
        self._state = state
        self._result: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._address = ""

    async def start(self, host: str, port: int) -> web.AppRunner:
        from aiohttp import web

        app = web.Application()
        app.router.add_get(CALLBACK_PATH, self._callback)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        bound_host, bound_port = runner.addresses[0][:2]
        self._address = f"http://{bound_host}:{bound_port}"
        return runner

    @property
    def redirect_uri(self) -> str:
        """``http://127.0.0.1:<port>/callback`` once started."""
        return f"{self._address}{CALLBACK_PATH}"

    async def wait(self, connection: str, timeout_s: float) -> str:
        try:
            return await asyncio.wait_for(self._result, timeout_s)
        except TimeoutError:
            raise AuthorizationTimeoutError(
                f"no answer from the browser for connection {connection!r} within {timeout_s:g} s; nothing was stored",
                hint="open the printed URL and approve the access (or give more time with --timeout)",
            ) from None

    async def _callback(self, request: web.Request) -> web.Response:
        query = request.query
        if self._result.done():
            return _page(409, "Already answered", "This sign-in has finished; you can close this tab.")
        if query.get("state") != self._state:
            self._result.set_exception(
                AuthorizationStateError(
                    "the authorisation redirect carried another state than the one sent (a stale browser tab or a "
                    "forged redirect); nothing was stored",
                    hint="start the authorisation again and use only the newly opened page",
                )
            )
            return _page(400, "Sign-in refused", "The answer did not match this sign-in; start again in flowdesk.")
        error = query.get("error")
        if error:
            description = query.get("error_description", "")
            if error == "access_denied":
                message = "the access was denied at the provider (consent refused); nothing was stored"
                hint = "authorise again and approve the requested access"
            else:
                message = f"the provider answered the authorisation with {error}"
                message += f" ({description})" if description else ""
                message += "; nothing was stored"
                hint = "check the connection's client id, scope and the redirect URIs registered with the provider"
            self._result.set_exception(AuthorizationDeniedError(message, hint=hint))
            return _page(200, "Access not granted", "flowdesk was not given access. You can close this tab.")
        code = query.get("code")
        if not code:
            self._result.set_exception(
                AuthorizationError("the authorisation redirect carried neither a code nor an error; nothing was stored")
            )
            return _page(400, "Sign-in failed", "The answer carried no code; start again in flowdesk.")
        self._result.set_result(code)
        return _page(200, "Connected", "flowdesk has been given access. You can close this tab.")


async def _exchange(
    client: Any,
    connection: Connection,
    settings: OAuth2Auth,
    code: str,
    verifier: str | None,
    redirect_uri: str,
    clock: Callable[[], float],
) -> IssuedTokens:
    url = redact_url(settings.token_url)
    extra = {"code_verifier": verifier} if verifier else {}
    try:
        token = await client.fetch_token(
            settings.token_url, grant_type="authorization_code", code=code, redirect_uri=redirect_uri, **extra
        )
    except transport_exceptions() as exc:
        raise transport_error(exc, method="POST", url=url, attempts=1, timeout_s=connection.timeout) from exc
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status >= 500:
            raise ServerError(
                f"POST {url} (token endpoint) failed: HTTP {status}",
                hint="the authorisation server failed: try again later",
                method="POST",
                url=url,
                status=status,
                body_excerpt=excerpt(exc.response.text, (code,)),
            ) from exc
        raise _refused(connection.name, url, f"HTTP {status}") from exc
    except ValueError as exc:
        raise AuthorizationError(
            f"the token endpoint {url} did not answer the code exchange with a JSON token; nothing was stored",
            hint="check the connection's token_url",
        ) from exc
    except Exception as exc:  # authlib's OAuthError (invalid_grant, invalid_client …)
        if type(exc).__module__.startswith("authlib"):
            raise _refused(connection.name, url, str(exc) or type(exc).__name__) from exc
        raise
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise AuthorizationError(f"the token endpoint {url} answered without an access_token; nothing was stored")
    lifetime: float | None = None
    expires_in = token.get("expires_in")
    if isinstance(expires_in, int | float) or (isinstance(expires_in, str) and expires_in.isdigit()):
        lifetime = float(expires_in)
    expires_at = clock() + lifetime if lifetime is not None else None
    refresh = token.get("refresh_token")
    scope = token.get("scope")
    return IssuedTokens(
        access_token=access,
        refresh_token=str(refresh) if refresh else None,
        expires_at=expires_at,
        lifetime_s=lifetime,
        scope=str(scope) if scope else settings.scope,
        redirect_uri=redirect_uri,
    )


def _refused(connection: str, url: str, detail: str) -> AuthorizationError:
    return AuthorizationError(
        f"the token endpoint {url} refused the authorisation code of connection {connection!r}: {detail}; nothing "
        "was stored",
        hint="check the client id and client secret, and that the provider accepts the loopback redirect URI "
        f"(http://127.0.0.1:<port>{CALLBACK_PATH}); then authorise again",
    )


def _page(status: int, title: str, text: str) -> web.Response:
    from aiohttp import web

    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>flowdesk</title></head><body style='font-family:"
        f"sans-serif;margin:3em'><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html", headers={"Cache-Control": "no-store"})


@dataclass(frozen=True)
class RevocationOutcome:
    """What RFC 7009 revocation did: ``revoked`` token kinds, and ``problems`` (the provider may still hold them)."""

    revoked: list[str]
    problems: list[str]


async def revoke_tokens(
    connection: Connection, *, transport: httpx.AsyncBaseTransport | None = None
) -> RevocationOutcome:
    """Revoke the connection's refresh token, then its access token, at ``revocation_url`` (RFC 7009).

    Never raises for the provider's answers: a failure is reported in ``problems`` so that the caller can still
    delete the local copies (and tell the user to revoke the app's access at the provider).
    """
    auth = connection.auth
    if not isinstance(auth, OAuth2Auth) or not auth.revocation_url:
        return RevocationOutcome([], [])
    tokens = [
        (kind, secret.get_secret_value())
        for kind, secret in (("refresh_token", auth.refresh_token), ("access_token", auth.access_token))
        if secret is not None and secret.get_secret_value()
    ]
    if not tokens:
        return RevocationOutcome([], [])
    owned = transport is None
    inner = build_transport(connection) if transport is None else transport
    client = oauth_client(auth, SharedTransport(inner, None), connection.timeout)
    url = redact_url(auth.revocation_url)
    revoked: list[str] = []
    problems: list[str] = []
    try:
        for kind, token in tokens:
            try:
                response = await client.revoke_token(auth.revocation_url, token=token, token_type_hint=kind)
            except transport_exceptions() as exc:
                problems.append(f"the revocation endpoint {url} could not be reached ({type(exc).__name__})")
                break
            except Exception as exc:
                if type(exc).__module__.startswith("authlib"):
                    problems.append(f"the revocation endpoint {url} refused the {kind.replace('_', ' ')}: {exc}")
                    continue
                raise
            if 200 <= response.status_code < 300:
                revoked.append(kind)
            else:
                problems.append(
                    f"the revocation endpoint {url} answered HTTP {response.status_code} for the "
                    f"{kind.replace('_', ' ')}"
                )
    finally:
        await client.aclose()
        if owned:
            await inner.aclose()
    return RevocationOutcome(revoked, problems)
