"""Roles, enforced in the workspace: each role attempting what it must not do gets a clear refusal."""

from __future__ import annotations

import pytest

from flowdesk.model import Connection, Entity
from flowdesk.model.errors import ConflictError, NotPermittedError, UserError

from .conftest import ADMIN, browser, user_connection

FLOW = {
    "format": "flowdesk.flow",
    "version": 1,
    "name": "noop",
    "nodes": [{"id": "start", "type": "trigger", "config": {"kind": "manual"}}],
    "edges": [],
}


def plain_connection(name: str = "crm") -> Connection:
    return Connection.model_validate(
        {
            "name": name,
            "base_url": "http://127.0.0.1:9/api",
            "auth": {"type": "api_key", "key": "sekrit-key"},
            "entities": [{"name": "customers", "path": "/customers"}],
        }
    )


@pytest.fixture()
def team(open_ws):  # type: ignore[no-untyped-def]
    """A workspace made by alice (admin) with bob the editor and carol the viewer, a connection and a flow."""
    admin = open_ws(ADMIN)
    admin.add_connection(plain_connection())
    admin.add_member("bob", "editor")
    admin.add_member("carol", "viewer")
    from flowdesk.model.flow import Flow

    admin.save_flow(Flow.model_validate(FLOW))
    return admin


def test_the_first_user_of_a_new_workspace_is_its_admin(open_ws):
    ws = open_ws("zoe")
    assert ws.role == "admin"
    assert [(m.user, m.role) for m in ws.list_members()] == [("zoe", "admin")]
    assert open_ws("yann").role is None, "the second user is not a member until an admin adds them"
    [entry] = ws.audit_trail()
    assert (entry.action, entry.target, entry.detail) == ("member.add", "zoe", {"role": "admin", "first_member": True})


def admin_only(ws):  # type: ignore[no-untyped-def]
    """Every admin-only action, as (what, call)."""
    connection = plain_connection("other")
    return [
        ("adding connections", lambda: ws.add_connection(connection)),
        ("editing connections", lambda: ws.update_connection("crm", plain_connection())),
        ("removing connections", lambda: ws.remove_connection("crm")),
        ("changing entities", lambda: ws.set_entities("crm", [Entity(name="x", path="/x")])),
        ("removing entities", lambda: ws.remove_entity("crm", "customers")),
        ("adding or changing members", lambda: ws.add_member("mallory", "admin")),
        ("removing members", lambda: ws.remove_member(ADMIN)),
        ("reading the audit trail", lambda: ws.audit_trail()),
    ]


async def admin_only_async(ws):  # type: ignore[no-untyped-def]
    for what, call in [
        ("authorising connections", lambda: ws.authorize("crm", open_browser=browser, timeout_s=1)),
        ("refreshing connection tokens", lambda: ws.refresh_connection("crm")),
        ("disconnecting connections", lambda: ws.disconnect("crm")),
    ]:
        with pytest.raises(NotPermittedError) as caught:
            await call()
        assert what in caught.value.message


def editor_actions(ws):  # type: ignore[no-untyped-def]
    from flowdesk.model.flow import Flow

    return [
        ("reading connection settings", lambda: ws.get_connection("crm")),
        ("exporting connection settings", lambda: ws.export_connection("crm")),
        ("reading a connection's entities", lambda: ws.entities("crm")),
        ("using connections", lambda: ws.client("crm")),
        ("calling connections", lambda: ws.call_pages("crm", "customers")),
        ("saving flows", lambda: ws.save_flow(Flow.model_validate(FLOW))),
        ("removing flows", lambda: ws.remove_flow("noop")),
        ("validating flows", lambda: ws.validate_flow(FLOW)),
    ]


async def test_an_editor_uses_connections_but_does_not_change_them(team, open_ws):
    bob = open_ws("bob")
    assert bob.role == "editor"
    for what, call in admin_only(bob):
        with pytest.raises(NotPermittedError) as caught:
            call()
        error = caught.value
        assert (
            error.message == f"permission denied: bob is an editor in workspace 'Default'; {what} needs the admin role"
        )
        assert "alice" in error.hint and "member add bob --role admin" in error.hint
        assert isinstance(error, UserError), "the CLI exits with 2"
    await admin_only_async(bob)

    assert bob.get_connection("crm").auth.key.get_secret_value() == "sekrit-key"
    assert [e.name for e in bob.entities("crm")] == ["customers"]
    assert bob.export_flow("noop")["name"] == "noop"
    from flowdesk.model.flow import Flow

    result = await bob.run_flow(Flow.model_validate(FLOW))
    assert result.status == "succeeded"
    await bob.aclose()


async def test_a_viewer_sees_flows_runs_and_connection_names_only(team, open_ws):
    carol = open_ws("carol")
    assert carol.role == "viewer"
    assert [(c.name, c.base_url) for c in carol.list_connections()] == [("crm", "")], "names, not settings"
    assert [f.name for f in carol.list_flows()] == ["noop"]
    assert carol.get_flow("noop").name == "noop"
    assert carol.list_runs() == []
    for what, call in [*editor_actions(carol), *admin_only(carol)]:
        with pytest.raises(NotPermittedError) as caught:
            call()
        assert caught.value.message.startswith("permission denied: carol is a viewer in workspace 'Default'; ")
        assert what in caught.value.message
    for coroutine in (carol.test_connection("crm"), carol.call("crm", "customers")):
        with pytest.raises(NotPermittedError):
            await coroutine
    from flowdesk.model.flow import Flow

    with pytest.raises(NotPermittedError, match="running flows needs the editor role"):
        await carol.run_flow(Flow.model_validate(FLOW))
    await admin_only_async(carol)
    assert team.list_runs() == [], "nothing was run"


async def test_someone_who_is_not_a_member_may_only_list(team, open_ws):
    eve = open_ws("eve")
    assert eve.role is None
    assert [c.name for c in eve.list_connections()] == ["crm"]
    assert [m.user for m in eve.list_members()] == ["alice", "bob", "carol"]
    with pytest.raises(NotPermittedError) as caught:
        eve.get_flow("noop")
    error = caught.value
    assert error.message == (
        "permission denied: eve is not a member of workspace 'Default'; reading flows needs the viewer role"
    )
    assert "ask an admin of workspace 'Default' (alice)" in error.hint
    assert "flowdesk --workspace Default member add eve --role viewer" in error.hint
    for _what, call in [*editor_actions(eve), *admin_only(eve)]:
        with pytest.raises(NotPermittedError):
            call()
    await admin_only_async(eve)


def test_roles_change_and_the_last_admin_stays(team, open_ws):
    assert team.add_member("bob", "admin") == "editor"
    assert open_ws("bob").role == "admin"
    team.add_member("bob", "viewer")
    with pytest.raises(ConflictError, match="last admin"):
        team.add_member(ADMIN, "editor")
    with pytest.raises(ConflictError, match="last admin"):
        team.remove_member(ADMIN)
    assert team.remove_member("carol") == "viewer"
    assert open_ws("carol").role is None
    with pytest.raises(UserError, match="unknown role"):
        team.add_member("dave", "owner")  # type: ignore[arg-type]
    actions = [(r.action, r.target) for r in team.audit_trail(calls=False)]
    assert ("member.role", "bob") in actions and ("member.remove", "carol") in actions


async def test_every_connection_change_and_call_is_audited_with_who(team, open_ws, provider):
    team.update_connection("crm", plain_connection())
    team.add_connection(user_connection(provider.base_url, name="user-crm"))
    await team.authorize("user-crm", open_browser=browser, timeout_s=10)
    await team.refresh_connection("user-crm")
    await team.aclose()
    bob = open_ws("bob")
    await bob.call("user-crm", "customers")
    await bob.aclose()
    admin = open_ws(ADMIN)
    admin.remove_connection("crm")
    trail = admin.audit_trail(limit=200)

    changes = [(r.user, r.action, r.target) for r in trail if r.kind == "change"]
    for expected in [
        ("alice", "connection.add", "crm"),
        ("alice", "connection.update", "crm"),
        ("alice", "connection.authorize", "user-crm"),
        ("alice", "connection.refresh", "user-crm"),
        ("alice", "connection.remove", "crm"),
        ("alice", "member.add", "bob"),
    ]:
        assert expected in changes
    calls = [r for r in trail if r.kind == "call"]
    assert {(r.user, r.detail["url"].split("/api")[-1]) for r in calls} >= {("alice", "/me"), ("bob", "/customers")}
    assert [r.at for r in trail] == sorted((r.at for r in trail), reverse=True)
    assert not [r for r in trail if "sekrit-key" in repr(r) or "demo-secret" in repr(r)]
