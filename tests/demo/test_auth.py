"""/api accepts any one of its credentials and refuses the rest with a JSON 401 and a challenge."""

from __future__ import annotations

import httpx
import pytest

HEALTH = {"status": "ok", "service": "flowdesk demo CRM"}


async def _token(client: httpx.AsyncClient) -> str:
    form = {"grant_type": "client_credentials"}
    r = await client.post("/oauth/token", data=form, auth=("demo-client", "demo-secret"))
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@pytest.mark.parametrize(
    "how",
    ["header key", "query key", "basic", "static bearer", "oauth token"],
)
async def test_every_auth_method_is_accepted(anonymous, how):
    kwargs: dict = {}
    if how == "header key":
        kwargs["headers"] = {"X-API-Key": "demo-key"}
    elif how == "query key":
        kwargs["params"] = {"api_key": "demo-key"}
    elif how == "basic":
        kwargs["auth"] = ("demo", "demo-pass")
    elif how == "static bearer":
        kwargs["headers"] = {"Authorization": "Bearer demo-token"}
    else:
        kwargs["headers"] = {"Authorization": f"Bearer {await _token(anonymous)}"}
    for path in ("/api", "/api/health"):
        r = await anonymous.get(path, **kwargs)
        assert r.status_code == 200, r.text
        assert r.json() == HEALTH


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"headers": {"X-API-Key": "wrong"}}, "unauthorized", "X-API-Key is not valid"),
        ({"params": {"api_key": "wrong"}}, "unauthorized", "api_key query parameter is not valid"),
        ({"auth": ("demo", "wrong")}, "unauthorized", "wrong username or password"),
        ({"headers": {"Authorization": "Bearer nope"}}, "invalid_token", "unknown bearer token"),
        ({"headers": {"Authorization": "Digest abc"}}, "unauthorized", "Digest"),
        ({}, "unauthorized", "no credentials"),
    ],
)
async def test_wrong_or_missing_credentials_get_a_json_401(server, anonymous, kwargs, error, words):
    r = await anonymous.get("/api/customers", **kwargs)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["www-authenticate"].startswith(("Basic", "Bearer"))
    body = r.json()
    assert body["error"] == error
    assert words in body["message"]
    assert server.stats.unauthorized == 1


async def test_one_right_credential_is_enough(anonymous):
    r = await anonymous.get("/api", headers={"X-API-Key": "wrong"}, auth=("demo", "demo-pass"))
    assert r.status_code == 200


async def test_unknown_api_paths_ask_for_credentials_before_saying_not_found(anonymous):
    assert (await anonymous.get("/api/no-such-thing")).status_code == 401
    r = await anonymous.get("/api/no-such-thing", headers={"X-API-Key": "demo-key"})
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "message": "no endpoint GET /api/no-such-thing"}


async def test_the_index_and_the_openapi_document_need_no_credentials(server, anonymous):
    root = await anonymous.get("/")
    assert root.status_code == 200
    assert root.json()["api"] == f"{server.base_url}/api"
    assert (await anonymous.get("/openapi.json")).status_code == 200


async def test_custom_credentials_replace_the_defaults(start):
    server = await start(api_key="other-key")
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        assert (await client.get("/api", headers={"X-API-Key": "demo-key"})).status_code == 401
        assert (await client.get("/api", headers={"X-API-Key": "other-key"})).status_code == 200
