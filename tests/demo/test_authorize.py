"""GET /oauth/authorize (auto-approving consent, deny=1), the code grant with PKCE, rotation, RFC 7009 revoke."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from flowdesk.demo._auth import s256

CLIENT = ("demo-client", "demo-secret")
REDIRECT = "http://127.0.0.1:65000/callback"
VERIFIER = "v" * 20 + "erifier-" + "x" * 30


def _authorize_params(**extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "demo-client",
        "redirect_uri": REDIRECT,
        "state": "st-1",
        "scope": "crm",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return params


def _redirect(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def _code(client: httpx.AsyncClient, **extra: str) -> str:
    return _redirect(await client.get("/oauth/authorize", params=_authorize_params(**extra)))["code"]


def _exchange(code: str, verifier: str | None = VERIFIER, redirect: str = REDIRECT) -> dict[str, str]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    if verifier is not None:
        form["code_verifier"] = verifier
    return form


async def test_consent_redirects_with_code_and_state_and_the_code_buys_tokens_once(server, anonymous):
    query = _redirect(await anonymous.get("/oauth/authorize", params=_authorize_params()))
    assert query["state"] == "st-1" and query["code"]
    r = await anonymous.post("/oauth/token", data=_exchange(query["code"]), auth=CLIENT)
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["access_token"] and tokens["refresh_token"] and tokens["scope"] == "crm"
    me = await anonymous.get("/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["login"] == "demo" and me.json()["type"] == "user"

    again = await anonymous.post("/oauth/token", data=_exchange(query["code"]), auth=CLIENT)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert server.stats.authorize_requests == 1


async def test_deny_redirects_with_access_denied(anonymous):
    query = _redirect(await anonymous.get("/oauth/authorize", params=_authorize_params(deny="1")))
    assert query == {"error": "access_denied", "error_description": "the user denied the request", "state": "st-1"}


async def test_pkce_is_verified(anonymous):
    code = await _code(anonymous)
    r = await anonymous.post("/oauth/token", data=_exchange(code, verifier="another-verifier-" + "y" * 30), auth=CLIENT)
    assert r.status_code == 400 and "code_verifier" in r.json()["error_description"]
    code = await _code(anonymous)
    r = await anonymous.post("/oauth/token", data=_exchange(code, verifier=None), auth=CLIENT)
    assert r.status_code == 400 and "code_verifier is required" in r.json()["error_description"]


async def test_a_public_client_exchanges_with_pkce_and_client_id_only(anonymous):
    code = await _code(anonymous)
    r = await anonymous.post("/oauth/token", data={**_exchange(code), "client_id": "demo-client"})
    assert r.status_code == 200, r.text


async def test_the_redirect_uri_must_match_and_be_loopback(anonymous):
    code = await _code(anonymous)
    r = await anonymous.post(
        "/oauth/token", data=_exchange(code, redirect="http://127.0.0.1:65001/callback"), auth=CLIENT
    )
    assert r.status_code == 400 and "redirect_uri" in r.json()["error_description"]
    bad = await anonymous.get("/oauth/authorize", params=_authorize_params(redirect_uri="https://evil.example/cb"))
    assert bad.status_code == 400 and "location" not in bad.headers
    unknown = await anonymous.get("/oauth/authorize", params=_authorize_params(client_id="someone"))
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_client"


async def test_pkce_can_be_required_and_only_s256_is_accepted(start):
    server = await start(require_pkce=True)
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        params = _authorize_params()
        del params["code_challenge"], params["code_challenge_method"]
        query = _redirect(await client.get("/oauth/authorize", params=params))
        assert query["error"] == "invalid_request" and query["state"] == "st-1"
        query = _redirect(await client.get("/oauth/authorize", params=_authorize_params(code_challenge_method="plain")))
        assert query["error"] == "invalid_request"


async def test_rotating_refresh_tokens_work_once(start):
    server = await start(rotate_refresh_tokens=True)
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        code = await _code(client)
        first = (await client.post("/oauth/token", data=_exchange(code), auth=CLIENT)).json()
        refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        second = await client.post("/oauth/token", data=refresh, auth=CLIENT)
        assert second.status_code == 200
        assert second.json()["refresh_token"] != first["refresh_token"]
        reused = await client.post("/oauth/token", data=refresh, auth=CLIENT)
        assert reused.status_code == 400 and "rotate" in reused.json()["error_description"]
        me = await client.get("/api/me", headers={"Authorization": f"Bearer {second.json()['access_token']}"})
        assert me.json()["login"] == "demo", "the refreshed token still acts for the consenting user"


async def test_revoking_the_refresh_token_ends_the_grant(server, anonymous):
    code = await _code(anonymous)
    tokens = (await anonymous.post("/oauth/token", data=_exchange(code), auth=CLIENT)).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await anonymous.get("/api/customers/1", headers=bearer)).status_code == 200

    wrong = await anonymous.post("/oauth/revoke", data={"token": tokens["refresh_token"]}, auth=("demo-client", "x"))
    assert wrong.status_code == 401
    r = await anonymous.post(
        "/oauth/revoke", data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}, auth=CLIENT
    )
    assert r.status_code == 200
    assert (await anonymous.get("/api/customers/1", headers=bearer)).status_code == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert (await anonymous.post("/oauth/token", data=refresh, auth=CLIENT)).status_code == 400
    unknown = await anonymous.post("/oauth/revoke", data={"token": "never-issued"}, auth=CLIENT)
    assert unknown.status_code == 200, "RFC 7009 §2.2: an unknown token is not an error"
    assert server.stats.revocations == 3


async def test_me_names_the_application_for_client_credentials(anonymous):
    r = await anonymous.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=CLIENT)
    me = await anonymous.get("/api/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json() == {"login": "demo-client", "name": "demo-client (application)", "type": "application"}
