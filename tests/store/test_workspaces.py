"""Workspaces: made on first use, once."""

from __future__ import annotations

import pytest

from flowdesk.model.errors import NotFoundError

from .conftest import WS


def test_ensure_workspace_creates_it_once(open_store):
    store = open_store()

    first = store.ensure_workspace("Team")
    again = store.ensure_workspace("Team")
    padded = store.ensure_workspace("  Team ")

    assert first == again == padded
    assert [w.name for w in store.list_workspaces()] == ["Team"]


def test_workspaces_are_listed_by_name_and_survive_a_reopen(open_store):
    store = open_store()
    for name in ("Zeta", WS, "Alpha"):
        store.ensure_workspace(name)
    uuids = {w.name: w.uuid for w in store.list_workspaces()}
    store.close()

    reopened = open_store()

    assert [w.name for w in reopened.list_workspaces()] == ["Alpha", WS, "Zeta"]
    assert {w.name: w.uuid for w in reopened.list_workspaces()} == uuids
    assert len(set(uuids.values())) == 3


def test_a_blank_workspace_name_is_refused(open_store):
    store = open_store()

    with pytest.raises(NotFoundError):
        store.ensure_workspace("   ")
    assert store.list_workspaces() == []


def test_using_a_workspace_that_does_not_exist_says_so(store):
    with pytest.raises(NotFoundError, match="no workspace 'Nope'"):
        store.list_connections("Nope")
