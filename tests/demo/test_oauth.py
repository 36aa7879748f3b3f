"""POST /oauth/token: client credentials and refresh grants; expired tokens refused (time moved, never slept)."""

from __future__ import annotations

import httpx

CLIENT = ("demo-client", "demo-secret")


async def test_client_credentials_with_basic_auth_issue_a_working_token(server, anonymous):
    r = await anonymous.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=CLIENT)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "crm"
    assert body["access_token"] and body["refresh_token"] and body["access_token"] != body["refresh_token"]
    r = await anonymous.get("/api/regions", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert r.status_code == 200
    assert server.stats.token_requests == 1


async def test_client_credentials_in_the_form_body_and_a_requested_scope(anonymous):
    form = {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret",
            "scope": "crm read"}  # fmt: skip
    r = await anonymous.post("/oauth/token", data=form)
    assert r.status_code == 200
    assert r.json()["scope"] == "crm read"


async def test_a_wrong_client_is_refused(anonymous):
    for kwargs in (
        {"auth": ("demo-client", "wrong")},
        {"auth": ("someone", "demo-secret")},
        {"data": {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "x"}},
    ):
        kwargs.setdefault("data", {"grant_type": "client_credentials"})
        r = await anonymous.post("/oauth/token", **kwargs)
        assert r.status_code == 401
        assert r.json()["error"] == "invalid_client"
    r = await anonymous.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


async def test_unknown_or_missing_grants_are_400(anonymous):
    r = await anonymous.post("/oauth/token", data={"grant_type": "password"}, auth=CLIENT)
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"
    r = await anonymous.post("/oauth/token", data={}, auth=CLIENT)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


async def test_an_expired_token_is_refused_and_a_refresh_gives_a_working_one(start, clock):
    server = await start(token_ttl_s=1)
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        first = (await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=CLIENT)).json()
        assert first["expires_in"] == 1
        bearer = {"Authorization": f"Bearer {first['access_token']}"}
        assert (await client.get("/api/customers/1", headers=bearer)).status_code == 200

        clock.advance(1.5)
        r = await client.get("/api/customers/1", headers=bearer)
        assert r.status_code == 401
        assert r.json() == {"error": "invalid_token", "message": "token expired"}
        assert 'error="invalid_token"' in r.headers["www-authenticate"]

        r = await client.post(
            "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, auth=CLIENT
        )
        assert r.status_code == 200
        second = r.json()
        assert second["access_token"] != first["access_token"]
        assert (
            await client.get("/api/customers/1", headers={"Authorization": f"Bearer {second['access_token']}"})
        ).status_code == 200
        assert server.stats.token_requests == 2


async def test_a_refresh_without_client_credentials_works_but_an_unknown_refresh_token_does_not(anonymous):
    issued = (await anonymous.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=CLIENT)).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    r = await anonymous.post("/oauth/token", data=refresh)
    assert r.status_code == 200
    r = await anonymous.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "rt-made-up"})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_a_json_token_request_is_understood_too(anonymous):
    r = await anonymous.post(
        "/oauth/token",
        json={"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"},
    )
    assert r.status_code == 200
