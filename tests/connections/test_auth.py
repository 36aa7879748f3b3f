"""Every auth kind, OAuth 2 token lifecycle included."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest

from flowdesk.model.errors import ReauthorizationNeededError

from .conftest import BASE, make_connection

TOKEN_URL = "https://auth.example.com/oauth/token"


async def test_api_key_in_header(respx_mock, client_for) -> None:
    route = respx_mock.get(f"{BASE}/me").respond(json={"ok": True})
    conn = make_connection(auth={"type": "api_key", "location": "header", "name": "X-Api-Key", "key": "k-123"})
    async with client_for(conn) as client:
        await client.send(path="/me")
    assert route.calls.last.request.headers["X-Api-Key"] == "k-123"


async def test_api_key_in_query_is_redacted_in_events(respx_mock, client_for, events) -> None:
    route = respx_mock.get(f"{BASE}/me").respond(json={})
    conn = make_connection(auth={"type": "api_key", "location": "query", "name": "apikey", "key": "k-123"})
    async with client_for(conn) as client:
        response = await client.send(path="/me", query={"x": "1"})
    assert route.calls.last.request.url.params["apikey"] == "k-123"
    assert "k-123" not in response.url
    assert all("k-123" not in e.url for e in events)


async def test_basic(respx_mock, client_for) -> None:
    route = respx_mock.get(f"{BASE}/me").respond(json={})
    conn = make_connection(auth={"type": "basic", "username": "ann", "password": "pw"})
    async with client_for(conn) as client:
        await client.send(path="/me")
    expected = "Basic " + base64.b64encode(b"ann:pw").decode()
    assert route.calls.last.request.headers["Authorization"] == expected


async def test_digest_answers_the_challenge(respx_mock, client_for) -> None:
    challenge = 'Digest realm="api", nonce="abc123", qop="auth", algorithm=MD5, opaque="xyz"'
    route = respx_mock.get(f"{BASE}/me").mock(
        side_effect=[
            httpx.Response(401, headers={"WWW-Authenticate": challenge}),
            httpx.Response(200, json={"me": "ann"}),
        ]
    )
    conn = make_connection(auth={"type": "digest", "username": "ann", "password": "pw"})
    async with client_for(conn) as client:
        response = await client.send(path="/me")
    assert response.body == {"me": "ann"}
    assert route.call_count == 2
    second = route.calls[1].request.headers["Authorization"]
    assert second.startswith("Digest ") and 'username="ann"' in second and "pw" not in second


async def test_bearer(respx_mock, client_for) -> None:
    route = respx_mock.get(f"{BASE}/me").respond(json={})
    conn = make_connection(auth={"type": "bearer", "token": "tok-1"})
    async with client_for(conn) as client:
        await client.send(path="/me")
    assert route.calls.last.request.headers["Authorization"] == "Bearer tok-1"


def _oauth(**extra):
    auth = {
        "type": "oauth2",
        "grant": "client_credentials",
        "client_id": "cid",
        "client_secret": "csecret",
        "token_url": TOKEN_URL,
        "scope": "read",
    }
    auth.update(extra)
    return make_connection(auth=auth)


def _token_route(respx_mock, *tokens: str, expires_in: int = 3600):
    return respx_mock.post(TOKEN_URL).mock(
        side_effect=[
            httpx.Response(200, json={"access_token": t, "token_type": "Bearer", "expires_in": expires_in})
            for t in tokens
        ]
    )


async def test_oauth_client_credentials_fetched_once_and_cached(respx_mock, client_for) -> None:
    tokens = _token_route(respx_mock, "at-1")
    api = respx_mock.get(f"{BASE}/me").respond(json={})
    persisted: list[dict] = []

    async def on_token(token: dict) -> None:
        persisted.append(token)

    async with client_for(_oauth(), on_token=on_token) as client:
        await client.send(path="/me")
        await client.send(path="/me")
    assert tokens.call_count == 1
    form = tokens.calls[0].request.content.decode()
    assert "grant_type=client_credentials" in form and "scope=read" in form
    assert tokens.calls[0].request.headers["Authorization"].startswith("Basic ")  # client_secret_basic
    assert [c.request.headers["Authorization"] for c in api.calls] == ["Bearer at-1", "Bearer at-1"]
    assert persisted[0]["access_token"] == "at-1" and persisted[0]["expires_at"] is not None


async def test_oauth_token_refreshed_before_expiry(respx_mock, client_for, fake_time) -> None:
    tokens = _token_route(respx_mock, "at-1", "at-2", expires_in=300)
    api = respx_mock.get(f"{BASE}/me").respond(json={})
    async with client_for(_oauth(refresh_leeway_s=60)) as client:
        await client.send(path="/me")
        fake_time.now += 200  # 100 s left: still fresh
        await client.send(path="/me")
        fake_time.now += 50  # 50 s left < leeway: fetch a new one first
        await client.send(path="/me")
    assert tokens.call_count == 2
    assert [c.request.headers["Authorization"] for c in api.calls] == ["Bearer at-1", "Bearer at-1", "Bearer at-2"]


async def test_oauth_401_refetches_once_and_retries(respx_mock, client_for) -> None:
    tokens = _token_route(respx_mock, "at-1", "at-2")
    api = respx_mock.get(f"{BASE}/me").mock(side_effect=[httpx.Response(401), httpx.Response(200, json={"ok": 1})])
    async with client_for(_oauth()) as client:
        response = await client.send(path="/me")
    assert response.body == {"ok": 1}
    assert tokens.call_count == 2
    assert [c.request.headers["Authorization"] for c in api.calls] == ["Bearer at-1", "Bearer at-2"]


async def test_oauth_second_401_asks_to_reauthorise(respx_mock, client_for) -> None:
    tokens = _token_route(respx_mock, "at-1", "at-2", "at-3")
    api = respx_mock.get(f"{BASE}/me").respond(401, json={"error": "invalid_token"})
    async with client_for(_oauth()) as client:
        with pytest.raises(ReauthorizationNeededError) as caught:
            await client.send(path="/me")
    assert tokens.call_count == 2 and api.call_count == 2
    assert "re-authorise" in caught.value.hint and "client id" in caught.value.hint
    assert caught.value.status == 401


async def test_oauth_token_endpoint_refusal_names_client_credentials(respx_mock, client_for) -> None:
    respx_mock.post(TOKEN_URL).respond(401, json={"error": "invalid_client", "error_description": "bad secret"})
    async with client_for(_oauth()) as client:
        with pytest.raises(ReauthorizationNeededError) as caught:
            await client.send(path="/me")
    assert "client id and client secret" in caught.value.hint
    assert "csecret" not in str(caught.value)


async def test_oauth_concurrent_calls_share_one_token_request(respx_mock, client_for) -> None:
    started = asyncio.Event()

    async def slow_token(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.sleep(0.01)
        return httpx.Response(200, json={"access_token": "at-1", "expires_in": 3600})

    tokens = respx_mock.post(TOKEN_URL).mock(side_effect=slow_token)
    respx_mock.get(f"{BASE}/me").respond(json={})
    async with client_for(_oauth()) as client:
        await asyncio.gather(*(client.send(path="/me") for _ in range(5)))
    assert tokens.call_count == 1


async def test_oauth_authorization_code_refreshes_with_refresh_token(respx_mock, client_for, fake_time) -> None:
    tokens = respx_mock.post(TOKEN_URL).respond(
        json={"access_token": "at-new", "refresh_token": "rt-new", "expires_in": 3600}
    )
    api = respx_mock.get(f"{BASE}/me").respond(json={})
    persisted: list[dict] = []

    async def on_token(token: dict) -> None:
        persisted.append(token)

    conn = _oauth(
        grant="authorization_code",
        authorize_url="https://auth.example.com/authorize",
        access_token="at-old",
        refresh_token="rt-old",
        expires_at=fake_time.now - 10,
    )
    async with client_for(conn, on_token=on_token) as client:
        await client.send(path="/me")
    assert "grant_type=refresh_token" in tokens.calls[0].request.content.decode()
    assert "refresh_token=rt-old" in tokens.calls[0].request.content.decode()
    assert api.calls[0].request.headers["Authorization"] == "Bearer at-new"
    assert persisted == [
        {
            "access_token": "at-new",
            "refresh_token": "rt-new",
            "expires_in": 3600,
            "expires_at": fake_time.now + 3600,
            "token_lifetime_s": 3600.0,
        }
    ]


async def test_oauth_authorization_code_uses_stored_token_while_fresh(respx_mock, client_for, fake_time) -> None:
    api = respx_mock.get(f"{BASE}/me").respond(json={})
    conn = _oauth(
        grant="authorization_code",
        authorize_url="https://auth.example.com/authorize",
        access_token="at-old",
        refresh_token="rt-old",
        expires_at=fake_time.now + 3600,
    )
    async with client_for(conn) as client:
        await client.send(path="/me")
    assert api.calls[0].request.headers["Authorization"] == "Bearer at-old"


async def test_oauth_authorization_code_without_tokens_asks_to_authorise(respx_mock, client_for) -> None:
    conn = _oauth(grant="authorization_code", authorize_url="https://auth.example.com/authorize")
    async with client_for(conn) as client:
        with pytest.raises(ReauthorizationNeededError, match="not authorised yet") as caught:
            await client.send(path="/me")
    assert "connection authorize crm" in caught.value.hint
