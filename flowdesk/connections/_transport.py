"""The transport under a connection's client: TLS settings, proxy, and which HTTP engine.

By default the aiohttp transport of ``httpx-aiohttp`` (measured ~1.5x faster than httpx's own here); for
proxies aiohttp cannot speak (``socks5://``, ``https://``) httpx's own transport. A custom transport
ignores proxy environment variables, so the proxy is resolved here: the connection's own, else the
environment's for the base URL's host (``HTTPS_PROXY``, ``NO_PROXY``…), never for loopback hosts.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import certifi

from flowdesk.model.connection import Connection
from flowdesk.model.errors import InvalidConfigError, UserError

if TYPE_CHECKING:  # httpx loads when a proxy is set or the httpx wire is built, not for every client
    import httpx


@lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """Verification against certifi's CA bundle, made once per process."""
    # Loading the CA file costs ~15 ms: once per process, shared by every connection with default TLS.
    return ssl.create_default_context(cafile=certifi.where())


def _default_tls(connection: Connection) -> bool:
    return connection.verify_ssl and not connection.ca_bundle and connection.client_cert is None


def tls_on_demand(connection: Connection) -> Callable[[], ssl.SSLContext]:
    """:func:`build_ssl_context`, checked now (a bad CA file is reported at once) but, for the default context,
    loaded on first use: a run against a plain-HTTP API never pays for reading the CA bundle.

    Raises:
        InvalidConfigError: as :func:`build_ssl_context`.
    """
    if _default_tls(connection):
        return default_ssl_context
    context = build_ssl_context(connection)
    return lambda: context


def build_ssl_context(connection: Connection) -> ssl.SSLContext:
    """The TLS context for a connection: verification on unless ``verify_ssl: false``, plus ``ca_bundle``
    (trusted in addition to the public CAs) and the client certificate.

    Raises:
        InvalidConfigError: the CA bundle or the client certificate cannot be loaded (names the field).
    """
    cert = connection.client_cert
    if _default_tls(connection):
        return default_ssl_context()
    if connection.verify_ssl:
        context = ssl.create_default_context(cafile=certifi.where())
        if connection.ca_bundle:
            try:
                context.load_verify_locations(cafile=connection.ca_bundle)
            except (OSError, ssl.SSLError) as exc:
                raise InvalidConfigError(
                    f"connection {connection.name!r}", [("ca_bundle", f"cannot load {connection.ca_bundle}: {exc}")]
                ) from exc
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        password = cert.password.get_secret_value() if cert.password else None
        try:
            context.load_cert_chain(cert.cert, cert.key, password)
        except (OSError, ssl.SSLError) as exc:
            raise InvalidConfigError(
                f"connection {connection.name!r}",
                [("client_cert", f"cannot load {cert.cert}{' / ' + cert.key if cert.key else ''}: {exc}")],
            ) from exc
    return context


def resolve_proxy(connection: Connection) -> httpx.Proxy | None:
    """The connection's proxy (with its credentials), else the environment's for the base URL's host."""
    if connection.proxy is not None:
        import httpx

        proxy = connection.proxy
        auth = None
        if proxy.username:
            auth = (proxy.username, proxy.password.get_secret_value() if proxy.password else "")
        return httpx.Proxy(proxy.url, auth=auth)
    parts = urlsplit(connection.base_url)
    host = parts.hostname or ""
    if _is_loopback(host):
        return None
    import urllib.request  # ~15 ms of imports (http.client, email): not for loopback hosts

    found = urllib.request.getproxies().get(parts.scheme)
    if not found or urllib.request.proxy_bypass(host):
        return None
    import httpx

    return httpx.Proxy(found)


def build_transport(connection: Connection) -> httpx.AsyncBaseTransport:
    """The production transport for ``connection``.

    Raises:
        InvalidConfigError: bad TLS files.
        UserError: a SOCKS proxy without the ``socksio`` package.
    """
    import httpx

    context = build_ssl_context(connection)
    proxy = resolve_proxy(connection)
    if proxy is None or proxy.url.scheme == "http":
        from httpx_aiohttp import AiohttpTransport

        transport: httpx.AsyncBaseTransport = AiohttpTransport(verify=context, proxy=proxy)
        return transport
    try:
        return httpx.AsyncHTTPTransport(verify=context, proxy=proxy)
    except ImportError as exc:
        raise UserError(
            f"connection {connection.name!r} uses a SOCKS proxy, which needs the socksio package "
            "(pip install 'httpx[socks]')"
        ) from exc


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
