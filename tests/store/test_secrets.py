"""Secrets: never readable on disk, sealed under a workspace key kept in the keychain or the vault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from flowdesk.model.errors import (
    InvalidConfigError,
    MasterPasswordRequiredError,
    SecretStoreError,
    WrongMasterPasswordError,
)
from flowdesk.store import Store

from .conftest import WS
from .helpers import connection, secret

API_KEY = "sk-live-API-KEY-7f3a9c1e"
BASIC_PASSWORD = "Basic-Pa55word-e91b"
BEARER_TOKEN = "bearer-TOKEN-4c2d88aa"
CLIENT_SECRET = "oauth-CLIENT-SECRET-0d7e"
ACCESS_TOKEN = "oauth-ACCESS-TOKEN-b3f1"
REFRESH_TOKEN = "oauth-REFRESH-TOKEN-a9c4"
PROXY_PASSWORD = "proxy-PASSWORD-55e2"
HEADER_TOKEN = "Token HEADER-AUTH-6aa0"
CERT_PASSWORD = "cert-PASSWORD-19bb"
SECRETS = (
    API_KEY,
    BASIC_PASSWORD,
    BEARER_TOKEN,
    CLIENT_SECRET,
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    PROXY_PASSWORD,
    HEADER_TOKEN,
    CERT_PASSWORD,
)


def _connections() -> list:  # type: ignore[type-arg]
    return [
        connection("keyed", auth={"type": "api_key", "key": API_KEY}),
        connection("basic", auth={"type": "basic", "username": "ann", "password": BASIC_PASSWORD}),
        connection(
            "bearer",
            auth={"type": "bearer", "token": BEARER_TOKEN},
            proxy={"url": "http://proxy.local:3128", "username": "pu", "password": PROXY_PASSWORD},
            headers={"Authorization": HEADER_TOKEN, "X-Trace": "visible"},
            client_cert={"cert": "/c.pem", "password": CERT_PASSWORD},
        ),
        connection(
            "oauth",
            auth={
                "type": "oauth2",
                "grant": "authorization_code",
                "client_id": "cid",
                "client_secret": CLIENT_SECRET,
                "token_url": "https://auth.example.com/token",
                "authorize_url": "https://auth.example.com/authorize",
                "access_token": ACCESS_TOKEN,
                "refresh_token": REFRESH_TOKEN,
            },
        ),
    ]


def _leaks(folder: Path, secrets: tuple[str, ...] = SECRETS) -> list[tuple[str, str]]:
    """Every (file, secret) where a secret's bytes appear in a file under ``folder``."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [(path.name, s) for s in secrets if s.encode() in data or s.encode("utf-16-le") in data]
    return found


def _assert_all_secrets_readable(store: Store) -> None:
    assert secret(store.get_connection(WS, "keyed").auth.key) == API_KEY
    assert secret(store.get_connection(WS, "basic").auth.password) == BASIC_PASSWORD
    bearer = store.get_connection(WS, "bearer")
    assert secret(bearer.auth.token) == BEARER_TOKEN
    assert secret(bearer.proxy.password) == PROXY_PASSWORD
    assert secret(bearer.client_cert.password) == CERT_PASSWORD
    assert bearer.headers == {"Authorization": HEADER_TOKEN, "X-Trace": "visible"}
    oauth = store.get_connection(WS, "oauth").auth
    assert (secret(oauth.client_secret), secret(oauth.access_token), secret(oauth.refresh_token)) == (
        CLIENT_SECRET,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
    )


@pytest.fixture()
def no_keychain(memory_keyring) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """keyring's ``fail`` backend, as on headless Linux without Secret Service."""
    keyring.set_keyring(fail.Keyring())
    yield


def test_no_secret_is_readable_anywhere_in_the_data_dir(store, open_store, data_dir, memory_keyring):
    for item in _connections():
        store.add_connection(WS, item)
    store.update_connection(WS, "keyed", connection("keyed", auth={"type": "api_key", "key": API_KEY}))
    assert list(data_dir.glob("*-wal")), "the check must cover the write-ahead log while the store is open"

    assert _leaks(data_dir) == []
    _assert_all_secrets_readable(store)
    assert _leaks(data_dir) == []
    store.close()
    assert _leaks(data_dir) == []

    reopened = open_store()
    _assert_all_secrets_readable(reopened)
    # the OS keychain holds one data key per workspace, not the secrets
    assert list(memory_keyring.entries) == [("flowdesk", f"workspace-key:{reopened.list_workspaces()[0].uuid}")]
    assert not any(s in value for value in memory_keyring.entries.values() for s in SECRETS)


def test_secrets_false_leaves_every_secret_empty(store):
    for item in _connections():
        store.add_connection(WS, item)

    keyed = store.get_connection(WS, "keyed", secrets=False)
    bearer = store.get_connection(WS, "bearer", secrets=False)
    oauth = store.get_connection(WS, "oauth", secrets=False)

    assert keyed.auth.key is None
    assert store.get_connection(WS, "basic", secrets=False).auth.password is None
    assert (bearer.auth.token, bearer.proxy.password, bearer.client_cert.password) == (None, None, None)
    assert bearer.headers["Authorization"] in ("", None)
    assert bearer.headers["X-Trace"] == "visible"
    assert (oauth.auth.client_secret, oauth.auth.access_token, oauth.auth.refresh_token) == (None, None, None)
    assert oauth.auth.client_id == "cid"
    assert bearer.proxy.username == "pu"


def test_a_password_inside_the_proxy_url_is_not_readable_on_disk(store, data_dir):
    store.add_connection(WS, connection("crm", proxy="http://pu:" + PROXY_PASSWORD + "@proxy.local:3128"))
    store.close()

    assert _leaks(data_dir, (PROXY_PASSWORD,)) == []


def test_an_entity_cannot_carry_a_credential_of_its_own(store, data_dir):
    # Entities are stored and exported in the clear: a literal token there is refused, naming the field.
    with pytest.raises(InvalidConfigError) as caught:
        connection("crm", entities=[{"name": "me", "headers": {"Authorization": HEADER_TOKEN}}])
    assert "Authorization" in str(caught.value) and HEADER_TOKEN not in str(caught.value)
    store.close()

    assert _leaks(data_dir, (HEADER_TOKEN,)) == []


def test_without_a_keychain_secrets_go_to_the_vault(no_keychain, open_store, data_dir):
    store = open_store(master_password=lambda: "correct horse")
    store.ensure_workspace(WS)
    for item in _connections():
        store.add_connection(WS, item)
    store.close()

    assert (data_dir / "vault.json").is_file()
    assert _leaks(data_dir) == []
    _assert_all_secrets_readable(open_store(master_password=lambda: "correct horse"))


def test_a_wrong_master_password_is_a_clear_error_and_loses_nothing(no_keychain, open_store, data_dir):
    store = open_store(master_password=lambda: "correct horse")
    store.ensure_workspace(WS)
    for item in _connections():
        store.add_connection(WS, item)
    store.close()
    vault_before = (data_dir / "vault.json").read_bytes()

    wrong = open_store(master_password=lambda: "battery staple")
    with pytest.raises(WrongMasterPasswordError) as caught:
        wrong.get_connection(WS, "keyed")
    assert "vault.json" in caught.value.message
    assert "correct horse" not in str(caught.value) and "battery staple" not in str(caught.value)
    with pytest.raises(WrongMasterPasswordError):
        wrong.add_connection(WS, connection("new", auth={"type": "bearer", "token": "new-token"}))
    wrong.ensure_workspace("Team")
    with pytest.raises(WrongMasterPasswordError):
        wrong.add_connection("Team", connection("team", auth={"type": "bearer", "token": "team-token"}))
    assert [c.name for c in wrong.list_connections(WS)] == ["basic", "bearer", "keyed", "oauth"]
    assert wrong.list_connections("Team") == []
    assert wrong.get_connection(WS, "keyed", secrets=False).auth.key is None  # still usable without secrets
    wrong.close()

    assert (data_dir / "vault.json").read_bytes() == vault_before
    _assert_all_secrets_readable(open_store(master_password=lambda: "correct horse"))


def test_no_master_password_is_required_error_and_saves_nothing(no_keychain, open_store, data_dir):
    store = open_store(master_password=lambda: None)
    store.ensure_workspace(WS)

    with pytest.raises(MasterPasswordRequiredError, match="FLOWDESK_MASTER_PASSWORD"):
        store.add_connection(WS, connection("keyed", auth={"type": "api_key", "key": API_KEY}))

    assert store.list_connections(WS) == []
    assert not (data_dir / "vault.json").exists()


def test_the_master_password_comes_from_the_environment_by_default(no_keychain, open_store, monkeypatch):
    monkeypatch.setenv("FLOWDESK_MASTER_PASSWORD", "from-env")
    store = open_store()
    store.ensure_workspace(WS)
    store.add_connection(WS, connection("keyed", auth={"type": "api_key", "key": API_KEY}))
    store.close()

    assert secret(open_store(master_password=lambda: "from-env").get_connection(WS, "keyed").auth.key) == API_KEY
    monkeypatch.setenv("FLOWDESK_MASTER_PASSWORD", "other")
    with pytest.raises(WrongMasterPasswordError):
        open_store().get_connection(WS, "keyed")


def test_a_workspace_without_secrets_never_asks_for_the_master_password(no_keychain, open_store, data_dir):
    def must_not_ask() -> str:
        raise AssertionError("the master password was asked for")

    store = open_store(master_password=must_not_ask)
    store.ensure_workspace(WS)
    store.add_connection(WS, connection("open", entities=[{"name": "items"}], headers={"X-Trace": "on"}))
    store.add_connection(WS, connection("basic-no-password", auth={"type": "basic", "username": "ann"}))
    store.update_connection(WS, "open", connection("renamed"))

    assert store.get_connection(WS, "renamed").auth.type == "none"
    assert store.get_connection(WS, "basic-no-password").auth.password is None
    assert [c.name for c in store.list_connections(WS)] == ["basic-no-password", "renamed"]
    assert not (data_dir / "vault.json").exists()


def test_another_workspaces_vault_secrets_do_not_make_this_one_ask(no_keychain, open_store, data_dir):
    def must_not_ask() -> str:
        raise AssertionError("the master password was asked for")

    with_secrets = open_store(master_password=lambda: "correct horse")
    with_secrets.ensure_workspace("Team")
    with_secrets.add_connection("Team", connection("keyed", auth={"type": "api_key", "key": API_KEY}))
    with_secrets.close()
    assert (data_dir / "vault.json").is_file()

    store = open_store(master_password=must_not_ask)
    store.ensure_workspace(WS)
    store.add_connection(WS, connection("open"))

    assert store.get_connection(WS, "open").auth.type == "none"
    assert [c.name for c in store.list_connections("Team")] == ["keyed"]
    assert store.get_connection("Team", "keyed", secrets=False).auth.key is None


def test_a_tampered_ciphertext_is_an_error_not_a_wrong_value(store, sql):
    store.add_connection(WS, connection("keyed", auth={"type": "api_key", "key": API_KEY}))
    (ciphertext,) = sql("SELECT ciphertext FROM secrets WHERE field = 'auth.key'")[0]
    flipped = bytes([ciphertext[0] ^ 0x01]) + bytes(ciphertext[1:])
    sql("UPDATE secrets SET ciphertext = ? WHERE field = 'auth.key'", (flipped,))

    with pytest.raises(SecretStoreError) as caught:
        store.get_connection(WS, "keyed")

    assert "auth.key" in caught.value.message and "'keyed'" in caught.value.message
    assert API_KEY not in str(caught.value)
    assert store.get_connection(WS, "keyed", secrets=False).base_url  # the rest is still there


def test_a_secret_copied_onto_another_connection_is_refused(store, sql):
    store.add_connection(WS, connection("crm", auth={"type": "api_key", "key": API_KEY}))
    store.add_connection(
        WS, connection("evil", base_url="https://attacker.example.com", auth={"type": "api_key", "key": "junk"})
    )
    crm_id = sql("SELECT id FROM connections WHERE name = 'crm'")[0][0]
    evil_id = sql("SELECT id FROM connections WHERE name = 'evil'")[0][0]
    nonce, ciphertext = sql("SELECT nonce, ciphertext FROM secrets WHERE connection_id = ?", (crm_id,))[0]
    sql("UPDATE secrets SET nonce = ?, ciphertext = ? WHERE connection_id = ?", (nonce, ciphertext, evil_id))

    with pytest.raises(SecretStoreError):
        store.get_connection(WS, "evil")
    assert secret(store.get_connection(WS, "crm").auth.key) == API_KEY


def test_a_secret_moved_to_another_connection_row_is_refused(store, sql):
    store.add_connection(WS, connection("crm", auth={"type": "bearer", "token": BEARER_TOKEN}))
    store.add_connection(WS, connection("evil", base_url="https://attacker.example.com"))
    evil_id = sql("SELECT id FROM connections WHERE name = 'evil'")[0][0]
    sql("UPDATE secrets SET connection_id = ?", (evil_id,))

    with pytest.raises(SecretStoreError):
        store.get_connection(WS, "evil")


def test_a_lost_workspace_key_is_an_error_naming_the_connection(store, open_store, memory_keyring):
    store.add_connection(WS, connection("keyed", auth={"type": "api_key", "key": API_KEY}))
    store.close()
    memory_keyring.entries.clear()

    reopened = open_store()

    with pytest.raises(SecretStoreError, match="'keyed'"):
        reopened.get_connection(WS, "keyed")
    assert reopened.get_connection(WS, "keyed", secrets=False).name == "keyed"
