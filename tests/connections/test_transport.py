"""TLS and proxy settings on the production transport, and TLS failures over real sockets."""

from __future__ import annotations

import datetime
import ipaddress
import ssl

import httpx
import pytest
from aiohttp import web

from flowdesk.connections import ConnectionClient
from flowdesk.connections._transport import build_ssl_context, build_transport, resolve_proxy
from flowdesk.model.errors import InvalidConfigError, TlsError, UserError

from .conftest import make_connection


def _self_signed(tmp_path, password: bytes | None = None):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    return cert_path, key_path


def test_verify_on_by_default_and_off_when_asked() -> None:
    assert build_ssl_context(make_connection()).verify_mode == ssl.CERT_REQUIRED
    off = build_ssl_context(make_connection(verify_ssl=False))
    assert off.verify_mode == ssl.CERT_NONE and not off.check_hostname


def test_client_cert_with_password(tmp_path) -> None:
    cert, key = _self_signed(tmp_path, password=b"pw")
    conn = make_connection(client_cert={"cert": str(cert), "key": str(key), "password": "pw"})
    assert build_ssl_context(conn).verify_mode == ssl.CERT_REQUIRED
    wrong = make_connection(client_cert={"cert": str(cert), "key": str(key), "password": "nope"})
    with pytest.raises(InvalidConfigError, match="client_cert"):
        build_ssl_context(wrong)


def test_missing_ca_bundle_names_the_field(tmp_path) -> None:
    with pytest.raises(InvalidConfigError, match="ca_bundle"):
        build_ssl_context(make_connection(ca_bundle=str(tmp_path / "missing.pem")))


def test_proxy_with_credentials() -> None:
    conn = make_connection(proxy={"url": "http://proxy.local:3128", "username": "ann", "password": "pw"})
    proxy = resolve_proxy(conn)
    assert proxy is not None and proxy.auth == ("ann", "pw") and proxy.url.host == "proxy.local"
    assert type(build_transport(conn)).__name__ == "AiohttpTransport"


def test_env_proxy_is_used_but_never_for_loopback(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://corp-proxy:8080")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxy = resolve_proxy(make_connection())
    assert proxy is not None and proxy.url.host == "corp-proxy"
    assert resolve_proxy(make_connection(base_url="https://127.0.0.1:8443")) is None


def test_socks_proxy_needs_socksio() -> None:
    conn = make_connection(proxy="socks5://proxy.local:1080")
    try:
        import socksio  # noqa: F401
    except ImportError:
        with pytest.raises(UserError, match="socksio"):
            build_transport(conn)
    else:  # pragma: no cover - depends on the environment
        assert isinstance(build_transport(conn), httpx.AsyncHTTPTransport)


@pytest.fixture()
async def tls_server(tmp_path):
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"hello": "tls"})

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"https://127.0.0.1:{port}", cert
    await runner.cleanup()


async def test_tls_over_aiohttp(tls_server) -> None:
    base, cert = tls_server
    async with ConnectionClient(make_connection(base_url=base, retry={"count": 0})) as client:
        with pytest.raises(TlsError) as caught:
            await client.send(path="/")
    assert "ca_bundle" in caught.value.hint
    async with ConnectionClient(make_connection(base_url=base, ca_bundle=str(cert))) as client:
        assert (await client.send(path="/")).body == {"hello": "tls"}
    async with ConnectionClient(make_connection(base_url=base, verify_ssl=False)) as client:
        assert (await client.send(path="/")).body == {"hello": "tls"}
