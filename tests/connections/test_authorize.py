"""The OAuth 2 authorization-code flow with PKCE against the demo provider, headless, and the token lifecycle.

The "browser" is a coroutine that GETs the authorize URL with httpx following redirects, so the provider's
redirect lands on the loopback receiver exactly as a real browser's would. Lifetimes move with injected clocks
(the demo server's and the client's), never with sleeps.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from flowdesk.connections import ConnectionClient, authorize_code, revoke_tokens
from flowdesk.demo import DemoConfig, DemoServer
from flowdesk.model import Connection
from flowdesk.model.errors import (
    AuthorizationDeniedError,
    AuthorizationError,
    AuthorizationStateError,
    AuthorizationTimeoutError,
    InvalidConfigError,
    ReauthorizationNeededError,
)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def server_clock() -> Clock:
    return Clock(1000.0)


@pytest.fixture()
def client_clock() -> Clock:
    return Clock(time.time())


@pytest.fixture()
async def start_provider(server_clock):
    servers: list[DemoServer] = []

    async def start(**config: object) -> DemoServer:
        server = DemoServer(DemoConfig(**config), clock=server_clock)  # type: ignore[arg-type]
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture()
async def provider(start_provider) -> DemoServer:
    return await start_provider(rotate_refresh_tokens=True)


def user_connection(base: str, **auth: object) -> Connection:
    settings = {
        "type": "oauth2",
        "grant": "authorization_code",
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "token_url": f"{base}/oauth/token",
        "authorize_url": f"{base}/oauth/authorize",
        "revocation_url": f"{base}/oauth/revoke",
        "scope": "crm",
        **auth,
    }
    return Connection.model_validate(
        {
            "name": "crm",
            "base_url": f"{base}/api",
            "auth": settings,
            "test_entity": "me",
            "entities": [{"name": "me", "path": "/me"}],
            "retry": {"count": 0},
        }
    )


async def browser(url: str) -> None:
    """A user approving the consent: the provider redirects, the browser follows to the loopback receiver."""
    async with httpx.AsyncClient(follow_redirects=True) as client:
        await client.get(url)


def with_auth(connection: Connection, **fields: object) -> Connection:
    """``connection`` with some auth fields changed (validated, so secrets become SecretStr)."""
    data = connection.model_dump(by_alias=True)
    data["auth"].update(fields)
    return Connection.model_validate(data)


def token_store(server: DemoServer):  # type: ignore[no-untyped-def]
    for resource in server._runner.app.router.resources():  # type: ignore[union-attr]
        if resource.canonical == "/oauth/token":
            for route in resource:
                return route.handler.__self__._tokens
    raise AssertionError("no /oauth/token route")


# --- the consent round trip -----------------------------------------------------------------------------------


async def test_the_full_pkce_flow_gives_working_tokens(provider):
    seen: list[str] = []

    async def approving_browser(url: str) -> None:
        seen.append(url)
        await browser(url)

    connection = user_connection(provider.base_url)
    issued = await authorize_code(connection, open_browser=approving_browser, timeout_s=10)

    query = parse_qs(urlsplit(seen[0]).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["demo-client"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:") and query["redirect_uri"][0].endswith("/callback")
    assert "demo-secret" not in seen[0]
    assert issued.access_token.startswith("at-") and issued.refresh_token and issued.scope == "crm"
    assert issued.lifetime_s == 3600 and issued.expires_at is not None
    assert "at-" not in repr(issued) and "rt-" not in repr(issued)

    authorised = with_auth(connection, access_token=issued.access_token)
    async with ConnectionClient(authorised) as client:
        me = await client.send(connection.entity("me"))
    assert me.body["login"] == "demo"


async def test_a_public_client_without_secret_uses_pkce_alone(provider):
    connection = user_connection(provider.base_url, client_secret=None)
    issued = await authorize_code(connection, open_browser=browser, timeout_s=10)
    assert issued.access_token


async def test_a_denied_consent_is_a_clear_error(provider):
    async def refusing_browser(url: str) -> None:
        await browser(url + "&deny=1")

    with pytest.raises(AuthorizationDeniedError) as caught:
        await authorize_code(user_connection(provider.base_url), open_browser=refusing_browser, timeout_s=10)
    assert "denied" in caught.value.message and "nothing was stored" in caught.value.message
    assert provider.stats.token_requests == 0


async def test_a_redirect_with_another_state_is_refused(provider):
    async def forging_browser(url: str) -> None:
        async with httpx.AsyncClient() as client:
            answer = await client.get(url)  # the provider's 302, not followed
            location = answer.headers["location"].replace("state=", "state=forged")
            await client.get(location)

    with pytest.raises(AuthorizationStateError) as caught:
        await authorize_code(user_connection(provider.base_url), open_browser=forging_browser, timeout_s=10)
    assert "state" in caught.value.message and "nothing was stored" in caught.value.message
    assert provider.stats.token_requests == 0, "the code of a forged redirect is never exchanged"


async def test_no_redirect_times_out_and_frees_the_port(provider):
    urls: list[str] = []
    started = time.perf_counter()
    with pytest.raises(AuthorizationTimeoutError) as caught:
        await authorize_code(user_connection(provider.base_url), open_browser=urls.append, timeout_s=0.2)
    assert time.perf_counter() - started < 5
    assert "0.2 s" in caught.value.message and "--timeout" in (caught.value.hint or "")
    redirect = parse_qs(urlsplit(urls[0]).query)["redirect_uri"][0]
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(redirect + "?code=late&state=x")


async def test_a_code_the_provider_refuses_is_an_authorization_error(provider):
    async def tampering_browser(url: str) -> None:  # another challenge: the verifier no longer matches
        await browser(url.replace("code_challenge=", "code_challenge=X"))

    with pytest.raises(AuthorizationError) as caught:
        await authorize_code(user_connection(provider.base_url), open_browser=tampering_browser, timeout_s=10)
    assert "refused the authorisation code" in caught.value.message
    assert "demo-secret" not in str(caught.value)


async def test_only_authorization_code_connections_are_authorised(provider):
    connection = user_connection(provider.base_url, grant="client_credentials")
    with pytest.raises(InvalidConfigError, match="client_credentials"):
        await authorize_code(connection, open_browser=browser, timeout_s=1)


# --- the token lifecycle ---------------------------------------------------------------------------------------


async def authorised(provider: DemoServer, clock: Clock, **auth: object) -> Connection:
    connection = user_connection(provider.base_url, **auth)
    issued = await authorize_code(connection, open_browser=browser, timeout_s=10, clock=clock)
    return with_auth(
        connection,
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_at=issued.expires_at,
        token_lifetime_s=issued.lifetime_s,
    )


async def test_a_token_living_one_second_is_refreshed_before_it_expires(start_provider, server_clock, client_clock):
    provider = await start_provider(token_ttl_s=1, rotate_refresh_tokens=True)
    connection = await authorised(provider, client_clock)
    saved: list[dict] = []

    async def on_token(token: dict) -> None:
        saved.append(token)

    async with ConnectionClient(connection, on_token=on_token, clock=client_clock) as client:
        await client.send(connection.entity("me"))
        assert provider.stats.token_requests == 1  # the code exchange only
        for _ in range(3):
            server_clock.now += 0.6
            client_clock.now += 0.6  # past half the lifetime: renewed before the call
            await client.send(connection.entity("me"))
    assert provider.stats.token_requests == 4
    assert provider.stats.unauthorized == 0, "never sent an expired token"
    assert len({t["refresh_token"] for t in saved}) == 3, "every rotated refresh token was handed over"


async def test_a_401_refreshes_once_and_retries(start_provider, server_clock, client_clock):
    provider = await start_provider(token_ttl_s=3600)
    connection = await authorised(provider, client_clock)
    async with ConnectionClient(connection, clock=client_clock) as client:
        server_clock.now += 4000  # the provider expired it; the client still thinks it is fresh
        response = await client.send(connection.entity("me"))
    assert response.status == 200
    assert provider.stats.unauthorized == 1 and provider.stats.token_requests == 2


async def test_rotating_refresh_tokens_are_handed_over_inside_the_lock(provider, client_clock):
    connection = await authorised(provider, client_clock)
    tokens = token_store(provider)
    saved: list[str] = []

    async def on_token(token: dict) -> None:
        assert token["refresh_token"] in tokens._refresh, "handed over while it is the live one"
        saved.append(token["refresh_token"])

    async with ConnectionClient(connection, on_token=on_token, clock=client_clock) as client:
        await client.refresh_token()
        await client.refresh_token()
    assert len(saved) == 2 and saved[0] != saved[1]
    assert list(tokens._refresh) == [saved[1]], "the provider only honours the newest refresh token"


async def test_twenty_concurrent_calls_share_one_refresh(start_provider, server_clock, client_clock):
    provider = await start_provider(token_ttl_s=60, rotate_refresh_tokens=True)
    connection = await authorised(provider, client_clock)
    async with ConnectionClient(connection, clock=client_clock) as client:
        server_clock.now += 59.5
        client_clock.now += 59.5  # inside the leeway: every call wants a fresh token
        before = provider.stats.token_requests
        results = await asyncio.gather(*(client.send(connection.entity("me")) for _ in range(20)))
    assert all(r.status == 200 for r in results)
    assert provider.stats.token_requests - before == 1
    assert provider.stats.unauthorized == 0


async def test_a_refused_refresh_asks_to_authorise_again(provider, client_clock):
    connection = await authorised(provider, client_clock)
    token_store(provider).revoke(connection.auth.refresh_token.get_secret_value())
    heard: list[ReauthorizationNeededError] = []
    async with ConnectionClient(connection, clock=client_clock, on_reauth_needed=heard.append) as client:
        with pytest.raises(ReauthorizationNeededError) as caught:
            await client.send(connection.entity("me"))  # the access token died with its grant: 401, refresh refused
    assert "flowdesk connection authorize crm" in (caught.value.hint or "")
    assert len(heard) == 1
    assert connection.auth.refresh_token.get_secret_value() not in str(caught.value)


def test_the_default_leeway_is_a_minute_or_seven_days_for_long_lived_tokens():
    from flowdesk.connections._auth import OAuth2TokenSource

    def leeway(lifetime: float | None, remaining: float, configured: float | None = None) -> float:
        connection = user_connection("https://id.example.com", refresh_leeway_s=configured)
        auth = with_auth(
            connection, access_token="at", expires_at=1_000_000.0 + remaining, token_lifetime_s=lifetime
        ).auth
        source = OAuth2TokenSource(connection, auth, httpx.AsyncHTTPTransport(), clock=lambda: 1_000_000.0)
        return source.leeway()

    day = 86_400.0
    assert leeway(3600, 3600) == 60
    assert leeway(60 * day, 60 * day) == 7 * day
    assert leeway(None, 45 * day) == 7 * day, "a stored long-lived token without its lifetime"
    assert leeway(1, 1) == 0.5, "never more than half the lifetime"
    assert leeway(60 * day, day, configured=3600) == 3600


# --- revocation ------------------------------------------------------------------------------------------------


async def test_revoke_tokens_uses_rfc_7009(provider, client_clock):
    connection = await authorised(provider, client_clock)
    outcome = await revoke_tokens(connection)
    assert outcome.revoked == ["refresh_token", "access_token"] and outcome.problems == []
    assert provider.stats.revocations == 2
    assert token_store(provider)._refresh == {}


async def test_a_failing_revocation_is_reported_not_raised(provider, client_clock):
    connection = with_auth(await authorised(provider, client_clock), client_secret="wrong")
    outcome = await revoke_tokens(connection)
    assert outcome.revoked == []
    assert outcome.problems and "401" in outcome.problems[0]
