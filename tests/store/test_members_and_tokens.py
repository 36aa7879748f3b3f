"""Members (the first is admin, one admin always stays) and OAuth tokens sealed in one transaction."""

from __future__ import annotations

import pytest

from flowdesk.model.errors import ConflictError, NotFoundError, UserError

from .conftest import WS
from .helpers import connection, secret

OAUTH = {
    "type": "oauth2",
    "grant": "authorization_code",
    "client_id": "app",
    "client_secret": "client-secret-value",
    "token_url": "https://id.example.com/token",
    "authorize_url": "https://id.example.com/authorize",
}


def test_only_the_first_claim_makes_an_admin(store):
    assert store.claim_first_admin(WS, "alice") is True
    assert store.claim_first_admin(WS, "bob") is False
    assert [(m.user, m.role) for m in store.list_members(WS)] == [("alice", "admin")]
    assert store.member_role(WS, "bob") is None


def test_members_are_added_changed_and_removed_but_one_admin_stays(store):
    store.claim_first_admin(WS, "alice")
    assert store.set_member(WS, "bob", "viewer") is None
    assert store.set_member(WS, "bob", "editor") == "viewer"
    assert [(m.user, m.role) for m in store.list_members(WS)] == [("alice", "admin"), ("bob", "editor")]
    with pytest.raises(ConflictError, match="last admin"):
        store.set_member(WS, "alice", "viewer")
    with pytest.raises(ConflictError, match="last admin"):
        store.remove_member(WS, "alice")
    with pytest.raises(UserError, match="unknown role"):
        store.set_member(WS, "carol", "owner")
    with pytest.raises(NotFoundError):
        store.remove_member(WS, "carol")
    assert store.remove_member(WS, "bob") == "editor"


def test_tokens_are_sealed_together_and_a_missing_refresh_token_keeps_the_old_one(store, sql):
    store.add_connection(WS, connection("crm", auth=OAUTH))
    store.save_oauth_tokens(
        WS, "crm", access_token="at-first-value", refresh_token="rt-first-value", expires_at=5000.0, lifetime_s=3600
    )
    store.save_oauth_tokens(
        WS, "crm", access_token="at-second-value", refresh_token=None, expires_at=9000.0, lifetime_s=3600
    )

    auth = store.get_connection(WS, "crm").auth
    assert secret(auth.access_token) == "at-second-value"
    assert secret(auth.refresh_token) == "rt-first-value"
    assert secret(auth.client_secret) == "client-secret-value"
    assert (auth.expires_at, auth.token_lifetime_s) == (9000.0, 3600)
    fields = sorted(row[0] for row in sql("SELECT field FROM secrets"))
    assert fields == ["auth.access_token", "auth.client_secret", "auth.refresh_token"]


def test_clearing_tokens_marks_the_connection_and_keeps_the_client_secret(store):
    store.add_connection(WS, connection("crm", auth=OAUTH))
    store.save_oauth_tokens(WS, "crm", access_token="at-v", refresh_token="rt-v", expires_at=1.0, lifetime_s=None)
    assert store.clear_oauth_tokens(WS, "crm") is True
    auth = store.get_connection(WS, "crm").auth
    assert auth.access_token is None and auth.refresh_token is None and auth.expires_at is None
    assert secret(auth.client_secret) == "client-secret-value"
    assert store.list_connections(WS)[0].last_status == "reauth_needed"
    store.save_oauth_tokens(WS, "crm", access_token="at-w", refresh_token="rt-w", expires_at=None, lifetime_s=None)
    assert store.list_connections(WS)[0].last_status == "untested"


def test_tokens_only_for_oauth_connections(store):
    store.add_connection(WS, connection("plain"))
    with pytest.raises(UserError, match="does not use OAuth 2"):
        store.save_oauth_tokens(WS, "plain", access_token="x", refresh_token=None, expires_at=None, lifetime_s=None)
