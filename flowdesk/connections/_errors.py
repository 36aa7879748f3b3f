"""Turning HTTP outcomes and transport failures into flowdesk's exception tree.

Every error names the method and the (redacted) URL, and carries a ``hint`` that says what to check, so
the window and the CLI can show it as is. httpx and aiohttp exceptions are translated here and nowhere
else (``raise ... from exc`` keeps the original for debugging).
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import Iterable
from typing import Any

from flowdesk.connections._redact import scrub
from flowdesk.model.errors import (
    AuthenticationError,
    BadRequestError,
    ConnectFailedError,
    HttpStatusError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ResourceNotFoundError,
    ServerError,
    TlsError,
    TransportError,
)

EXCERPT_CHARS = 300

_BASE_TRANSPORT_EXCEPTIONS: tuple[type[BaseException], ...] = (TimeoutError, ssl.SSLError, ConnectionError)


def _loaded(library: str) -> Any:
    """``aiohttp`` or ``httpx`` if something imported it, else ``None``: until a wire loads its library (on a
    client's first request), none of its errors can exist, and importing it only to name them would cost
    every command up to ~0.15 s."""
    return sys.modules.get(library)


def transport_exceptions() -> tuple[type[BaseException], ...]:
    """What a send can raise when no usable response came (either wire's library errors, OS and TLS errors).

    For an ``except`` clause, evaluated when an exception propagates: ``except transport_exceptions() as exc``.
    """
    found = _BASE_TRANSPORT_EXCEPTIONS
    httpx = _loaded("httpx")
    if httpx is not None:
        found = (*found, httpx.TransportError)
    aiohttp = _loaded("aiohttp")
    if aiohttp is not None:
        found = (*found, aiohttp.ClientError)
    return found


def excerpt(text: str, secrets: Iterable[str]) -> str | None:
    """The start of a response body for an error message, secrets masked; ``None`` for an empty body."""
    text = text.strip()
    if not text:
        return None
    text = scrub(text[: EXCERPT_CHARS * 4], secrets)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def status_error(
    *,
    method: str,
    url: str,
    status: int,
    reason: str,
    attempts: int,
    body_excerpt: str | None,
    connection: str,
    base_url: str,
    retry_after_s: float | None = None,
) -> HttpStatusError:
    """The typed error for a final non-2xx response, with a hint naming what to check."""
    cls: type[HttpStatusError]
    if status in (400, 422):
        cls = BadRequestError
        hint = (
            "the server refused the request's content: check the body, the query parameters and the required "
            "fields against the API's documentation (the response excerpt may say which)"
        )
    elif status == 401:
        cls = AuthenticationError
        hint = (
            f"the credentials of connection {connection!r} were refused: check the API key, user name and "
            "password or token (wrong, expired or revoked?) and where the key is sent (header or query)"
        )
    elif status == 403:
        cls = PermissionDeniedError
        hint = (
            "the credentials were accepted but lack a permission or OAuth scope for this resource: check the "
            "key's permissions or the connection's scope"
        )
    elif status == 404:
        cls = ResourceNotFoundError
        hint = (
            f"the URL does not exist on the server: check the base URL ({base_url}), the entity's path and "
            "its path parameters (a wrong id also gives 404)"
        )
    elif status == 429:
        cls = RateLimitedError
        if retry_after_s is not None:
            hint = (
                f"the API's rate limit was hit; the server asks to wait {retry_after_s:.0f} s, longer than "
                "retry.max_backoff_s: wait and try again, or lower the connection's rate_limit"
            )
        else:
            hint = (
                f"the API's rate limit was hit after {attempts} attempt(s): lower the connection's rate_limit "
                "(requests per_s) or wait and try again"
            )
    elif status >= 500:
        cls = ServerError
        hint = (
            f"the server failed after {attempts} attempt(s): try again later; if it persists, contact the API's "
            "provider (the response excerpt may say more)"
        )
    else:
        cls = HttpStatusError
        hint = "check the URL, the method and the request against the API's documentation"
    message = f"{method} {url} failed: HTTP {status}{' ' + reason if reason else ''}"
    if attempts > 1:
        message += f" (after {attempts} attempts)"
    return cls(message, hint=hint, method=method, url=url, status=status, attempts=attempts, body_excerpt=body_excerpt)


def is_before_send(exc: BaseException) -> bool:
    """Whether the request certainly never reached the server (so even a POST may be sent again)."""
    return _phase(exc, _root_aiohttp(exc)) in ("connect", "connect-timeout")


def transport_error(
    exc: BaseException, *, method: str, url: str, attempts: int, timeout_s: float, secrets: Iterable[str] = ()
) -> TransportError:
    """Translate a transport failure (httpx, aiohttp or ssl) into a typed error with a hint."""
    detail = scrub(_describe(exc), secrets)
    suffix = f" (after {attempts} attempts)" if attempts > 1 else ""

    def make(cls: type[TransportError], message: str, hint: str) -> TransportError:
        return cls(message, hint=hint, method=method, url=url, status=None, attempts=attempts)

    if _is_tls(exc):
        return make(
            TlsError,
            f"{method} {url}: TLS failed: {detail}{suffix}",
            (
                "the server's certificate could not be verified or the TLS handshake failed: set the "
                "connection's ca_bundle to your organisation's CA file, check the client certificate, or (only "
                "for a test server you trust) set verify_ssl: false"
            ),
        )
    root = _root_aiohttp(exc)
    httpx = _loaded("httpx")
    if (httpx is not None and isinstance(exc, httpx.ProxyError)) or _is_aiohttp_proxy_error(root):
        return make(
            ConnectFailedError,
            f"{method} {url}: the proxy failed: {detail}{suffix}",
            "check the connection's proxy URL, its user name and password, and that the proxy is running",
        )
    phase = _phase(exc, root)
    if phase in ("connect", "connect-timeout"):
        what = "timed out connecting" if phase == "connect-timeout" else "could not connect"
        return make(
            ConnectFailedError,
            f"{method} {url}: {what}: {detail}{suffix}",
            "check the base URL (host and port), your network connection and the proxy settings",
        )
    if phase == "timeout":
        return make(
            RequestTimeoutError,
            f"{method} {url}: no answer within {timeout_s:g} s{suffix}",
            (
                f"the server did not answer in time: raise the connection's timeout (now {timeout_s:g} s) or "
                "check that the server is up and not overloaded"
            ),
        )
    if (httpx is not None and isinstance(exc, httpx.UnsupportedProtocol)) or _is_aiohttp_url_error(root):
        return make(
            ConnectFailedError,
            f"{method} {url}: {detail}",
            "the URL must start with http:// or https://: check the base URL and the path",
        )
    return make(
        TransportError,
        f"{method} {url}: the connection failed: {detail}{suffix}",
        "the server closed the connection or sent a broken answer: try again; check the base URL and the proxy",
    )


def _phase(exc: BaseException, root: BaseException | None) -> str:
    """``connect``, ``connect-timeout``, ``timeout`` or ``other``.

    httpx_aiohttp maps aiohttp errors coarsely (a dropped keep-alive connection becomes ``ConnectTimeout``),
    so when an aiohttp error is in the chain it decides.
    """
    if root is not None:
        import aiohttp  # loaded already: root is one of its errors

        if isinstance(root, aiohttp.ConnectionTimeoutError):
            return "connect-timeout"
        if isinstance(root, aiohttp.ClientConnectorError):
            return "connect"
        if isinstance(root, aiohttp.ServerTimeoutError):
            return "timeout"
        return "other"
    httpx = _loaded("httpx")
    if httpx is not None:
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return "connect-timeout"
        if isinstance(exc, httpx.ConnectError):
            return "connect"
        if isinstance(exc, httpx.TimeoutException):
            return "timeout"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return "other"


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _root_aiohttp(exc: BaseException) -> BaseException | None:
    # httpx_aiohttp maps aiohttp errors coarsely (a server disconnect becomes ConnectTimeout): look at the
    # original to tell them apart.
    aiohttp = _loaded("aiohttp")
    if aiohttp is None:
        return None
    return next((e for e in _chain(exc) if isinstance(e, aiohttp.ClientError)), None)


def _is_aiohttp_proxy_error(root: BaseException | None) -> bool:
    if root is None:
        return False
    import aiohttp  # loaded already: root is one of its errors

    return isinstance(root, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError)


def _is_aiohttp_url_error(root: BaseException | None) -> bool:
    if root is None:
        return False
    import aiohttp  # loaded already: root is one of its errors

    return isinstance(root, aiohttp.NonHttpUrlClientError | aiohttp.InvalidUrlClientError)


def _is_tls(exc: BaseException) -> bool:
    tls_errors: tuple[type[BaseException], ...] = (ssl.SSLError, ssl.CertificateError)
    aiohttp = _loaded("aiohttp")
    if aiohttp is not None:
        tls_errors = (*tls_errors, aiohttp.ClientSSLError)
    for error in _chain(exc):
        if isinstance(error, tls_errors):
            return True
        text = str(error)
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL:" in text or "[SSL" in text:
            return True
    return False


def _describe(exc: BaseException) -> str:
    for error in _chain(exc):
        text = str(error).strip()
        if text:
            return text[:300]
    return type(exc).__name__
