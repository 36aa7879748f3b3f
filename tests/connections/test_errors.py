"""Typed errors with hints, and no secret in any error or event."""

from __future__ import annotations

import httpx
import pytest

from flowdesk.connections import redact_url
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
)

from .conftest import BASE, make_connection


@pytest.mark.parametrize(
    ("status", "error", "hint_words"),
    [
        (400, BadRequestError, "body"),
        (422, BadRequestError, "required fields"),
        (401, AuthenticationError, "credentials"),
        (403, PermissionDeniedError, "scope"),
        (404, ResourceNotFoundError, "base URL"),
        (429, RateLimitedError, "rate_limit"),
        (500, ServerError, "later"),
        (418, HttpStatusError, "documentation"),
    ],
)
async def test_status_errors(respx_mock, client_for, status, error, hint_words) -> None:
    respx_mock.get(f"{BASE}/x").respond(status, json={"message": "nope " * 100})
    async with client_for(make_connection(retry={"count": 0})) as client:
        with pytest.raises(error) as caught:
            await client.send(path="/x", query={"q": "1"})
    exc = caught.value
    assert type(exc) is error
    assert exc.status == status and exc.method == "GET"
    assert f"GET {BASE}/x?q=1" in exc.message and str(status) in exc.message
    assert hint_words in exc.hint
    assert exc.body_excerpt is not None and len(exc.body_excerpt) <= 300


async def test_timeout(respx_mock, client_for) -> None:
    respx_mock.get(f"{BASE}/x").mock(side_effect=httpx.ReadTimeout("timed out"))
    async with client_for(make_connection(timeout=5)) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await client.send(path="/x")
    assert "timeout" in caught.value.hint and "5" in caught.value.hint
    assert caught.value.attempts == 4  # GET: retried on timeouts


async def test_connect_error(respx_mock, client_for, events) -> None:
    respx_mock.get(f"{BASE}/x").mock(side_effect=httpx.ConnectError("connection refused"))
    async with client_for(make_connection(retry={"count": 1})) as client:
        with pytest.raises(ConnectFailedError) as caught:
            await client.send(path="/x")
    assert "base URL" in caught.value.hint and "proxy" in caught.value.hint
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert [e.error is not None for e in events] == [True, True]
    assert [e.will_retry for e in events] == [True, False]


async def test_tls_error(respx_mock, client_for) -> None:
    import ssl

    def fail(request: httpx.Request) -> httpx.Response:
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate")
        except ssl.SSLError as exc:
            raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]") from exc

    respx_mock.get(f"{BASE}/x").mock(side_effect=fail)
    async with client_for(make_connection(retry={"count": 0})) as client:
        with pytest.raises(TlsError) as caught:
            await client.send(path="/x")
    assert "ca_bundle" in caught.value.hint and "verify_ssl" in caught.value.hint


def test_redact_url() -> None:
    url = "https://ann:pw@api.example.com/v1/x?access_token=abc&page=2&Signature=s1&myKey=k&token=t#frag"
    redacted = redact_url(url, extra_names=["mykey"])
    assert redacted == "https://api.example.com/v1/x?access_token=***&page=2&Signature=***&myKey=***&token=***#frag"
    assert redact_url("https://api.example.com/v1/x") == "https://api.example.com/v1/x"
    assert redact_url("https://h/x?password=p&secret=s&key=k") == "https://h/x?password=***&secret=***&key=***"


async def test_no_secret_in_events_or_errors(respx_mock, client_for, events) -> None:
    secret = "sk_live_0123456789"
    respx_mock.get(f"{BASE}/x").respond(
        401, json={"error": f"key {secret} is revoked"}, headers={"Link": f'<{BASE}/x?api_key={secret}>; rel="next"'}
    )
    conn = make_connection(
        auth={"type": "api_key", "location": "query", "name": "api_key", "key": secret},
        headers={"X-Trace": "t"},
    )
    async with client_for(conn) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.send(path="/x", query={"access_token": "other-secret"})
    exc = caught.value
    for text in (str(exc), exc.url, exc.body_excerpt or "", *(e.model_dump_json() for e in events)):
        assert secret not in text
        assert "other-secret" not in text
    assert "***" in exc.body_excerpt


async def test_basic_credentials_are_masked_in_excerpts(respx_mock, client_for) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"you_sent": request.headers["Authorization"]})

    respx_mock.get(f"{BASE}/x").mock(side_effect=echo)
    conn = make_connection(auth={"type": "basic", "username": "ann", "password": "hunter22"})
    async with client_for(conn) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.send(path="/x")
    assert "aHVudGVy" not in (caught.value.body_excerpt or "") and "***" in (caught.value.body_excerpt or "")


async def test_events_carry_entity_node_and_size(respx_mock, client_for, events) -> None:
    from flowdesk.model import Entity

    respx_mock.get(f"{BASE}/x").respond(json={"a": 1})
    async with client_for() as client:
        await client.send(Entity(name="things", path="/x"), node_id="fetch")
    (event,) = events
    assert (event.connection, event.entity, event.node_id, event.status, event.attempt) == (
        "crm",
        "things",
        "fetch",
        200,
        1,
    )
    assert event.response_bytes == len(b'{"a":1}') and event.duration_ms >= 0 and event.ok


async def test_oauth_token_request_is_reported_redacted(respx_mock, client_for, events) -> None:
    respx_mock.post("https://auth.example.com/token").respond(json={"access_token": "at-secret", "expires_in": 60})
    respx_mock.get(f"{BASE}/x").respond(json={})
    conn = make_connection(
        auth={
            "type": "oauth2",
            "client_id": "c",
            "client_secret": "cs-secret",
            "token_url": "https://auth.example.com/token",
        }
    )
    async with client_for(conn) as client:
        await client.send(path="/x")
    assert [(e.method, e.url, e.status) for e in events] == [
        ("POST", "https://auth.example.com/token", 200),
        ("GET", f"{BASE}/x", 200),
    ]
    assert all("secret" not in e.model_dump_json() for e in events)
