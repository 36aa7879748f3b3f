"""The audit log: who did what, newest first."""

from __future__ import annotations

from .conftest import WS


def test_audit_entries_are_listed_newest_first_with_their_detail(store):
    store.ensure_workspace("Team")
    store.add_audit(WS, "ann", "connection.add", "crm", {"service": "rest"})
    store.add_audit(WS, "bob", "flow.run", "sync")
    store.add_audit(WS, "ann", "connection.remove", "crm", {"entities": 3, "nested": {"ok": True}})
    store.add_audit("Team", "cid", "member.add", "dan")

    entries = store.list_audit(WS)

    assert [(e.user, e.action, e.target, e.detail) for e in entries] == [
        ("ann", "connection.remove", "crm", {"entities": 3, "nested": {"ok": True}}),
        ("bob", "flow.run", "sync", None),
        ("ann", "connection.add", "crm", {"service": "rest"}),
    ]
    assert entries[0].at >= entries[1].at >= entries[2].at
    assert [e.action for e in store.list_audit(WS, limit=1)] == ["connection.remove"]
    assert [e.target for e in store.list_audit("Team")] == ["dan"]


def test_the_audit_log_survives_a_reopen(store, open_store):
    store.add_audit(WS, "ann", "connection.add", "crm")
    store.close()

    assert [e.action for e in open_store().list_audit(WS)] == ["connection.add"]
