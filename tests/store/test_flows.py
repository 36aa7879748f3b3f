"""Flows: saved as documents, listed with their size and last run, renamed, removed."""

from __future__ import annotations

import pytest

from flowdesk.model.errors import ConflictError, NotFoundError

from .conftest import WS


def _flow(name: str, nodes: int) -> dict:  # type: ignore[type-arg]
    return {
        "name": name,
        "nodes": [{"id": f"n{i}", "type": "transform", "config": {"set": {"x": "{y}"}}} for i in range(nodes)],
        "edges": [],
        "variables": {"limit": 10, "note": "ünïcode"},
    }


def test_save_get_and_list(store):
    store.save_flow(WS, "sync", _flow("sync", 3))
    store.save_flow(WS, "alpha", _flow("alpha", 0))

    assert store.get_flow(WS, "sync") == _flow("sync", 3)
    flows = store.list_flows(WS)
    assert [(f.name, f.node_count, f.last_run_status) for f in flows] == [("alpha", 0, None), ("sync", 3, None)]
    assert all(f.created_at <= f.updated_at for f in flows)


def test_saving_again_replaces_the_document(store):
    store.save_flow(WS, "sync", _flow("sync", 3))
    created = store.list_flows(WS)[0].created_at

    store.save_flow(WS, "sync", _flow("sync", 5))

    assert store.get_flow(WS, "sync") == _flow("sync", 5)
    [info] = store.list_flows(WS)
    assert (info.node_count, info.created_at) == (5, created)
    assert info.updated_at >= created


def test_the_list_shows_the_status_of_the_latest_run(store):
    store.save_flow(WS, "sync", _flow("sync", 1))
    store.save_flow(WS, "other", _flow("other", 1))
    first = store.start_run(WS, "sync", "manual")
    store.finish_run(first, "failed", "boom", None, [])
    assert {f.name: f.last_run_status for f in store.list_flows(WS)} == {"other": None, "sync": "failed"}

    second = store.start_run(WS, "sync", "manual")
    assert {f.name: f.last_run_status for f in store.list_flows(WS)}["sync"] == "running"
    store.finish_run(second, "succeeded", None, None, [])

    assert {f.name: f.last_run_status for f in store.list_flows(WS)} == {"other": None, "sync": "succeeded"}


def test_rename_moves_the_flow_and_its_name(store):
    store.save_flow(WS, "sync", _flow("sync", 2))

    store.rename_flow(WS, "sync", "nightly sync")

    assert store.get_flow(WS, "nightly sync")["name"] == "nightly sync"
    assert len(store.get_flow(WS, "nightly sync")["nodes"]) == 2
    assert [f.name for f in store.list_flows(WS)] == ["nightly sync"]
    with pytest.raises(NotFoundError, match=r"flows: nightly sync"):
        store.get_flow(WS, "sync")


def test_rename_onto_a_taken_name_is_a_conflict(store):
    store.save_flow(WS, "a", _flow("a", 1))
    store.save_flow(WS, "b", _flow("b", 2))

    with pytest.raises(ConflictError, match="'b' already exists"):
        store.rename_flow(WS, "a", "b")

    assert len(store.get_flow(WS, "b")["nodes"]) == 2
    assert store.get_flow(WS, "a")["name"] == "a"
    store.rename_flow(WS, "a", "a")  # to itself: nothing to do
    with pytest.raises(NotFoundError):
        store.rename_flow(WS, "missing", "c")


def test_remove_flow(store):
    store.save_flow(WS, "a", _flow("a", 1))
    store.save_flow(WS, "b", _flow("b", 1))

    store.remove_flow(WS, "a")

    assert [f.name for f in store.list_flows(WS)] == ["b"]
    with pytest.raises(NotFoundError):
        store.remove_flow(WS, "a")


def test_flows_belong_to_their_workspace(store):
    store.ensure_workspace("Team")
    store.save_flow(WS, "sync", _flow("sync", 1))
    store.save_flow("Team", "sync", _flow("sync", 4))

    assert store.get_flow(WS, "sync") == _flow("sync", 1)
    assert store.get_flow("Team", "sync") == _flow("sync", 4)
