"""``connection authorize | refresh | disconnect``, ``member`` and ``audit list`` on the command line.

The browser is played by a thread that GETs the printed URL following redirects (the command's own loop keeps
serving the loopback redirect meanwhile); one test drives a real ``python -m flowdesk`` process headlessly.
"""

from __future__ import annotations

import threading
import webbrowser
from typing import Any

import httpx
import pytest

from tests.processes import flowdesk_env, start_flowdesk

from .conftest import files_containing, issued_tokens


def user_connection(server: Any, name: str = "crm") -> dict[str, Any]:
    base = server.base_url
    return {
        "name": name,
        "service": "rest",
        "base_url": f"{base}/api",
        "auth": {
            "type": "oauth2",
            "grant": "authorization_code",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "token_url": f"{base}/oauth/token",
            "authorize_url": f"{base}/oauth/authorize",
            "revocation_url": f"{base}/oauth/revoke",
            "scope": "crm",
        },
        "test_entity": "me",
        "retry": {"count": 0},
        "entities": [
            {"name": "me", "path": "/me"},
            {"name": "customers", "path": "/customers", "data_path": "$.data"},
        ],
    }


@pytest.fixture()
def oauth_server(demo_server_factory):  # type: ignore[no-untyped-def]
    return demo_server_factory(rotate_refresh_tokens=True)


@pytest.fixture()
def fake_browser(monkeypatch):  # type: ignore[no-untyped-def]
    """``webbrowser.open`` replaced by a thread that visits the URL (``suffix`` appended, e.g. ``&deny=1``)."""
    visits: list[str] = []
    threads: list[threading.Thread] = []
    settings = {"suffix": ""}

    def open_url(url: str, *args: Any, **kwargs: Any) -> bool:
        visits.append(url)
        thread = threading.Thread(
            target=lambda: httpx.get(url + settings["suffix"], follow_redirects=True, timeout=10), daemon=True
        )
        thread.start()
        threads.append(thread)
        return True

    monkeypatch.setattr(webbrowser, "open", open_url)
    yield settings, visits
    for thread in threads:
        thread.join(10)


def test_authorize_prints_the_url_opens_the_browser_and_names_the_account(
    cli, add_connection, oauth_server, fake_browser, data_dir
):
    _, visits = fake_browser
    add_connection(user_connection(oauth_server))
    result = cli("connection", "authorize", "crm", "--timeout", "20")
    assert result.code == 0, result.err
    assert visits and visits[0] in result.out, "the URL is printed as well as opened"
    assert "code_challenge_method=S256" in visits[0] and "state=" in visits[0]
    assert "Authorised connection 'crm' as demo" in result.out
    assert "refresh token kept" in result.out

    listed = cli("connection", "list", "--json").json()
    assert listed[0]["last_status"] != "reauth_needed"
    called = cli("call", "crm", "customers", "--json")
    assert called.code == 0 and len(called.json()) == 50

    refreshed = cli("connection", "refresh", "crm")
    assert refreshed.code == 0 and "Refreshed the token of connection 'crm'" in refreshed.out
    assert cli("call", "crm", "customers", "--json").code == 0, "the rotated refresh token was kept"

    secrets = [*issued_tokens(oauth_server), "demo-secret"]
    disconnected = cli("connection", "disconnect", "crm", "--json")
    assert disconnected.code == 0
    assert disconnected.json()["revoked"] == ["refresh_token", "access_token"]
    assert oauth_server.stats.revocations == 2
    assert cli("connection", "list", "--json").json()[0]["last_status"] == "reauth_needed"
    failed = cli("call", "crm", "customers")
    assert failed.code == 1 and "flowdesk connection authorize crm" in failed.err

    audit = cli("audit", "list", "--json", "--limit", "200")
    assert audit.code == 0
    actions = {(r["kind"], r["action"]) for r in audit.json()}
    assert {
        ("change", "connection.authorize"),
        ("change", "connection.refresh"),
        ("change", "connection.disconnect"),
    } <= actions
    assert ("call", "api.call") in actions
    for text in (audit.out, cli("audit", "list").out, cli("connection", "export", "crm").out):
        assert not [s for s in secrets if s in text]
    assert files_containing(data_dir, secrets) == {}


def test_a_denied_consent_exits_1_and_stores_nothing(cli, add_connection, oauth_server, fake_browser):
    settings, _ = fake_browser
    settings["suffix"] = "&deny=1"
    add_connection(user_connection(oauth_server))
    result = cli("connection", "authorize", "crm", "--timeout", "20")
    assert result.code == 1
    assert "the access was denied at the provider" in result.err and "nothing was stored" in result.err
    assert oauth_server.stats.token_requests == 0
    shown = cli("connection", "show", "crm").json()
    assert shown["auth"]["access_token"] is None and shown["auth"]["refresh_token"] is None


def test_no_browser_times_out_with_a_clear_message(cli, add_connection, oauth_server, fake_browser):
    _, visits = fake_browser
    add_connection(user_connection(oauth_server))
    result = cli("connection", "authorize", "crm", "--no-browser", "--timeout", "0.3")
    assert visits == [], "--no-browser opens nothing"
    assert result.code == 1
    assert "/oauth/authorize?" in result.out
    assert "no answer from the browser" in result.err and "within 0.3 s" in result.err


def test_authorize_refuses_bad_input_and_non_oauth_connections(cli, add_connection, oauth_server, demo_server):
    from .conftest import demo_connection

    add_connection(demo_connection(demo_server, name="keyed"))
    result = cli("connection", "authorize", "keyed", "--no-browser", "--timeout", "1")
    assert result.code == 2 and "only OAuth 2 connections are authorised" in result.err
    assert cli("connection", "authorize", "keyed", "--timeout", "0").code == 2
    assert cli("connection", "disconnect", "keyed").code == 2


def test_roles_on_the_command_line(cli, add_connection, oauth_server, write_file):
    add_connection(user_connection(oauth_server))
    me = cli("member", "list", "--json").json()
    assert [m["role"] for m in me] == ["admin"], "the first user of a new workspace is its admin"
    admin = me[0]["user"]
    assert cli("member", "add", "bob", "--role", "editor").code == 0
    assert cli("member", "add", "carol", "--role", "viewer").code == 0

    path = write_file(user_connection(oauth_server, "other"), "other.json")
    denied = cli("--user", "bob", "connection", "add", str(path))
    assert denied.code == 2
    assert denied.err.startswith(
        "error: permission denied: bob is an editor in workspace 'Default'; adding connections needs the admin role"
    )
    assert admin in denied.err and "member add bob --role admin" in denied.err

    viewer = cli("--user", "carol", "connection", "show", "crm")
    assert (
        viewer.code == 2
        and "carol is a viewer" in viewer.err
        and "connection settings needs the editor role" in viewer.err
    )
    assert cli("--user", "carol", "connection", "export", "crm").code == 2
    assert cli("--user", "carol", "connection", "list").code == 0
    assert cli("--user", "carol", "audit", "list").code == 2
    assert cli("--user", "bob", "member", "add", "bob", "--role", "admin").code == 2
    assert cli("--user", "bob", "connection", "authorize", "crm", "--no-browser", "--timeout", "1").code == 2

    stranger = cli("--user", "eve", "connection", "show", "crm")
    assert stranger.code == 2 and "eve is not a member of workspace 'Default'" in stranger.err
    assert "member add eve --role editor" in stranger.err
    assert cli("--user", "eve", "member", "list").code == 0

    trail = cli("audit", "list", "--json").json()
    assert [(r["action"], r["target"]) for r in trail[:2]] == [("member.add", "carol"), ("member.add", "bob")]


def test_headless_authorize_in_a_real_process(flowdesk_process, oauth_server, write_file, data_dir):
    """What a person on a server does: run the command, open the printed URL elsewhere, wait for the account."""
    path = write_file(user_connection(oauth_server))
    assert flowdesk_process("connection", "add", str(path)).code == 0
    process = start_flowdesk(
        ["connection", "authorize", "crm", "--no-browser", "--timeout", "30"],
        flowdesk_env(data_dir, master_password="correct horse battery staple"),
    )
    try:
        assert process.stdout is not None
        url = ""
        for line in process.stdout:
            if line.startswith("http"):
                url = line.strip()
                break
        assert "/oauth/authorize?" in url
        httpx.get(url, follow_redirects=True, timeout=10)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Authorised connection 'crm' as demo" in out
    called = flowdesk_process("call", "crm", "customers", "--json")
    assert called.code == 0, called.err
    assert files_containing(data_dir, [*issued_tokens(oauth_server), "demo-secret"]) == {}
