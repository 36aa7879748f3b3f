"""Workspace.authorize / refresh_connection / disconnect: tokens sealed atomically, states, audit, no leaks."""

from __future__ import annotations

import pytest

from flowdesk.model.errors import AuthorizationDeniedError, AuthorizationTimeoutError, ReauthorizationNeededError

from .conftest import browser, files_containing, token_store, user_connection


async def authorised_ws(open_ws, provider, **auth):  # type: ignore[no-untyped-def]
    ws = open_ws()
    ws.add_connection(user_connection(provider.base_url, **auth))
    result = await ws.authorize("crm", open_browser=browser, timeout_s=10)
    return ws, result


async def test_authorize_seals_the_tokens_and_names_the_account(open_ws, provider, data_dir):
    ws, result = await authorised_ws(open_ws, provider)
    assert result.account == "demo" and result.test_error is None
    assert result.has_refresh_token and result.scope == "crm" and result.expires_at is not None
    tokens = token_store(provider)
    [access] = [t for t in tokens._access]
    [refresh] = list(tokens._refresh)

    stored = ws.get_connection("crm").auth
    assert stored.access_token.get_secret_value() == access
    assert stored.refresh_token.get_secret_value() == refresh
    assert stored.expires_at == pytest.approx(result.expires_at)
    await ws.aclose()

    reopened = open_ws()
    outcome = await reopened.call("crm", "customers")
    assert len(outcome.records) == 50
    assert provider.stats.token_requests == 1, "the stored token is used across processes"
    await reopened.aclose()
    audit = [r.action for r in open_ws().audit_trail(calls=False)]
    assert "connection.authorize" in audit


@pytest.mark.parametrize("how", ["denied", "timeout"])
async def test_a_failed_authorisation_stores_nothing(open_ws, provider, how):
    ws = open_ws()
    ws.add_connection(user_connection(provider.base_url))

    async def refusing(url: str) -> None:
        await browser(url + "&deny=1")

    expected = AuthorizationDeniedError if how == "denied" else AuthorizationTimeoutError
    opener = refusing if how == "denied" else (lambda url: None)
    with pytest.raises(expected):
        await ws.authorize("crm", open_browser=opener, timeout_s=10 if how == "denied" else 0.2)
    auth = ws.get_connection("crm").auth
    assert auth.access_token is None and auth.refresh_token is None and auth.expires_at is None
    assert ws.list_connections()[0].last_status == "untested"
    assert ws.audit_trail(calls=False)[0].action == "connection.authorize_failed"
    await ws.aclose()


async def test_a_rotated_refresh_token_is_persisted(open_ws, provider):
    ws, _ = await authorised_ws(open_ws, provider)
    first = ws.get_connection("crm").auth.refresh_token.get_secret_value()
    await ws.refresh_connection("crm")
    await ws.aclose()

    tokens = token_store(provider)
    reopened = open_ws()
    kept = reopened.get_connection("crm").auth.refresh_token.get_secret_value()
    assert kept != first and list(tokens._refresh) == [kept], "the store holds the one the provider honours"
    await reopened.refresh_connection("crm")  # works from another process with the persisted token
    assert reopened.list_connections()[0].last_status != "reauth_needed"
    await reopened.aclose()


async def test_a_refused_refresh_marks_the_connection_reauth_needed(open_ws, provider):
    ws, _ = await authorised_ws(open_ws, provider)
    token_store(provider).revoke(ws.get_connection("crm").auth.refresh_token.get_secret_value())

    with pytest.raises(ReauthorizationNeededError) as caught:
        await ws.refresh_connection("crm")
    assert "flowdesk connection authorize crm" in str(caught.value)
    assert ws.list_connections()[0].last_status == "reauth_needed"
    with pytest.raises(ReauthorizationNeededError):
        await ws.call("crm", "customers")  # the access token died with the grant: 401, refresh refused
    actions = [r.action for r in ws.audit_trail(calls=False)]
    assert "connection.reauth_needed" in actions and "connection.refresh_failed" in actions

    await ws.authorize("crm", open_browser=browser, timeout_s=10)
    assert ws.list_connections()[0].last_status != "reauth_needed", "authorising again clears the mark"
    await ws.aclose()


async def test_disconnect_revokes_then_deletes_and_warns_about_flows(open_ws, provider):
    ws, _ = await authorised_ws(open_ws, provider)
    ws.store.save_flow(
        ws.name,
        "sync",
        {"name": "sync", "nodes": [{"id": "fetch", "type": "api_call", "config": {"connection": "crm"}}]},
    )
    result = await ws.disconnect("crm")

    assert result.revoked == ["refresh_token", "access_token"]
    assert provider.stats.revocations == 2
    assert token_store(provider)._refresh == {} and token_store(provider)._access == {}
    assert any("sync" in w for w in result.warnings)
    auth = ws.get_connection("crm").auth
    assert auth.access_token is None and auth.refresh_token is None
    assert auth.client_secret is not None, "the client secret is the user's, not the provider's: it stays"
    assert ws.list_connections()[0].last_status == "reauth_needed"
    with pytest.raises(ReauthorizationNeededError, match="not authorised yet"):
        await ws.call("crm", "customers")
    await ws.aclose()


async def test_disconnect_without_a_revocation_url_says_to_revoke_at_the_provider(open_ws, provider):
    ws, _ = await authorised_ws(open_ws, provider, revocation_url=None)
    result = await ws.disconnect("crm")
    assert result.revoked == [] and provider.stats.revocations == 0
    assert any("no revocation_url" in w for w in result.warnings)
    await ws.aclose()


async def test_no_token_or_secret_is_readable_in_the_data_dir_or_the_audit(open_ws, provider, data_dir):
    ws, _ = await authorised_ws(open_ws, provider)
    await ws.call("crm", "customers")
    await ws.refresh_connection("crm")
    await ws.call("crm", "customers")
    tokens = token_store(provider)
    used = [*tokens._access, *tokens._refresh, *tokens._grants, "demo-secret"]
    export = ws.export_connection("crm")
    audit = ws.audit_trail(limit=500)
    await ws.aclose()

    assert len(used) >= 5
    assert files_containing(data_dir, used) == {}
    assert not [s for s in used if s in repr(export) or s in repr(audit)]
    assert {r.kind for r in audit} == {"change", "call"}


async def test_a_refresh_token_rotated_by_another_process_is_adopted_not_reported(open_ws, provider):
    ws, _ = await authorised_ws(open_ws, provider)
    other = open_ws()  # another process on the same data dir, its client made with the same tokens
    other.client("crm")
    await ws.refresh_connection("crm")  # rotates: the other's refresh token is now refused by the provider

    await other.refresh_connection("crm")
    outcome = await other.call("crm", "customers")
    assert len(outcome.records) == 50
    assert other.list_connections()[0].last_status != "reauth_needed"
    assert "connection.reauth_needed" not in [r.action for r in other.audit_trail(calls=False)]
    await other.aclose()
    await ws.aclose()


async def test_the_signed_in_account_and_what_a_disconnect_would_affect(open_ws, provider):
    ws = open_ws()
    ws.add_connection(user_connection(provider.base_url))
    assert ws.signed_in_account("crm") is None and ws.disconnect_warnings("crm") == []
    await ws.authorize("crm", open_browser=browser, timeout_s=10)
    assert ws.signed_in_account("crm") == "demo"
    uses_crm = {"name": "sync", "nodes": [{"id": "fetch", "type": "api_call", "config": {"connection": "crm"}}]}
    ws.store.save_flow(ws.name, "sync", uses_crm)
    [flows] = ws.disconnect_warnings("crm")
    assert "sync" in flows, "named before disconnecting, so the window can ask first"
    await ws.disconnect("crm")
    assert ws.signed_in_account("crm") is None
    await ws.aclose()
