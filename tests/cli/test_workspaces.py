"""``--workspace NAME`` keeps connections apart; presets are allowed once per workspace; restarts lose nothing."""

from __future__ import annotations

from tests.cli.conftest import api_calls, demo_connection, ids_of


def test_workspaces_keep_connections_apart(cli, add_connection, demo_server):
    add_connection(demo_connection(demo_server, name="shared-name", description="in Default"))
    add_connection(demo_connection(demo_server, name="shared-name", description="in Team"), "--workspace", "Team")
    add_connection(demo_connection(demo_server, name="team-only"), "--workspace", "Team")

    default = cli("connection", "list", "--json").json()
    team = cli("--workspace", "Team", "connection", "list", "--json").json()

    assert [c["name"] for c in default] == ["shared-name"]
    assert sorted(c["name"] for c in team) == ["shared-name", "team-only"]
    assert cli("connection", "show", "shared-name").json()["description"] == "in Default"
    assert cli("--workspace", "Team", "connection", "show", "shared-name").json()["description"] == "in Team"
    hidden = cli("connection", "show", "team-only")
    assert hidden.code == 2
    assert "workspace 'Default'" in hidden.err

    # each workspace calls with its own (sealed) credentials
    assert ids_of(cli("--workspace", "Team", "call", "team-only", "get_customer", "-p", "id=2", "--json")) == [2]

    assert cli("--workspace", "Team", "connection", "remove", "shared-name").code == 0
    assert [c["name"] for c in cli("connection", "list", "--json").json()] == ["shared-name"]
    assert ids_of(cli("call", "shared-name", "get_customer", "-p", "id=1", "--json")) == [1]


def _github(server, name):
    # a preset service pointed at the local demo: nothing here talks to the internet
    return {
        "name": name,
        "service": "github",
        "base_url": f"{server.base_url}/api",
        "auth": {"type": "bearer", "token": "${env:FLOWDESK_TEST_GITHUB_TOKEN}"},
    }


def test_one_github_connection_per_workspace(cli, add_connection, write_file, demo_server, monkeypatch):
    monkeypatch.setenv("FLOWDESK_TEST_GITHUB_TOKEN", "demo-token")
    add_connection(_github(demo_server, "github"))

    second = cli("connection", "add", str(write_file(_github(demo_server, "github-work"), "second.json")))

    assert second.code == 2
    assert "Only one github connection allowed per workspace" in second.err
    assert "'github'" in second.err  # names the one that is already there
    assert [c["name"] for c in cli("connection", "list", "--json").json()] == ["github"]
    # another workspace may have its own
    other = cli("--workspace", "Work", "connection", "add", str(write_file(_github(demo_server, "github-work"))))
    assert other.code == 0, other.err
    # generic rest connections are keyed by name: any number of them
    add_connection(demo_connection(demo_server, name="rest-1"))
    add_connection(demo_connection(demo_server, name="rest-2"))
    assert len(cli("connection", "list", "--json").json()) == 3
    # the token came from the environment and works
    assert cli("call", "github", "/customers/1", "--json").json()[0]["id"] == 1


def test_a_second_start_loses_nothing(cli, add_connection, demo_server, data_dir):
    add_connection(demo_connection(demo_server))
    add_connection(demo_connection(demo_server, name="other"), "--workspace", "Team")
    assert cli("call", "demo-crm", "list_customers", "--all-pages", "--json").code == 0
    before = cli("connection", "show", "demo-crm").json()
    listed = cli("connection", "list", "--json").json()

    # every command is a fresh start (store opened, migrations checked); do several
    for _ in range(3):
        assert cli("connection", "list").code == 0

    assert cli("connection", "show", "demo-crm").json() == before
    assert cli("connection", "list", "--json").json() == listed
    assert before["usage"]["calls_24h"] == 5
    assert len(api_calls(data_dir, "demo-crm")) == 5
    assert [c["name"] for c in cli("--workspace", "Team", "connection", "list", "--json").json()] == ["other"]
    # the sealed key still opens
    assert ids_of(cli("call", "demo-crm", "get_customer", "-p", "id=9", "--json")) == [9]
    assert cli("connection", "show", "demo-crm").json()["usage"]["calls_24h"] == 6
