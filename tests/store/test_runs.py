"""Runs: recorded with their nodes and calls; a run whose process died is marked interrupted at next open."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections import Counter

import pytest

from flowdesk.model import ApiCallMade
from flowdesk.model.errors import NotFoundError
from flowdesk.store import RunNodeRecord

from .conftest import WS
from .helpers import BASE, connection


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return int(finished.stdout)


def test_a_finished_run_keeps_its_nodes_samples_and_calls(store):
    store.add_connection(WS, connection("crm"))
    run_id = store.start_run(WS, "sync", "manual")
    assert store.get_run(run_id).info.status == "running"
    store.record_api_calls(
        WS,
        [
            ApiCallMade(
                connection="crm",
                node_id="fetch",
                method="GET",
                url=f"{BASE}/c?page=1",
                status=200,
                duration_ms=12.5,
                at=1_800_000_000.0,
            ),
            ApiCallMade(
                connection="crm",
                node_id="fetch",
                method="GET",
                url=f"{BASE}/c?page=2",
                status=503,
                duration_ms=3.0,
                attempt=1,
                error="503 Service Unavailable",
                at=1_800_000_001.0,
            ),
            ApiCallMade(
                connection="crm",
                node_id="fetch",
                method="GET",
                url=f"{BASE}/c?page=2",
                status=200,
                duration_ms=4.0,
                attempt=2,
                at=1_800_000_002.0,
            ),
        ],
        run_id=run_id,
    )
    store.record_api_calls(WS, [ApiCallMade(connection="crm", method="GET", url=BASE, status=200, duration_ms=1)])
    nodes = [
        RunNodeRecord("trigger", items_in=0, items_out=1, duration_ms=0.5, sample=[{"since": "2024-01-01"}]),
        RunNodeRecord(
            "fetch",
            items_in=1,
            items_out=3,
            errors=1,
            duration_ms=20.0,
            sample=[{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bø"}],
            error="one page retried",
        ),
    ]

    store.finish_run(run_id, "succeeded", None, {"items": 3}, nodes)

    detail = store.get_run(run_id)
    assert detail.info.status == "succeeded"
    assert (detail.info.flow_name, detail.info.trigger, detail.info.workspace) == ("sync", "manual", WS)
    assert detail.info.finished_at is not None and detail.info.finished_at >= detail.info.started_at
    assert detail.info.summary == {"items": 3}
    assert detail.nodes == nodes
    assert [(c.url[-6:], c.status, c.attempt, c.ok, c.run_id) for c in detail.api_calls] == [
        ("page=1", 200, 1, True, run_id),
        ("page=2", 503, 1, False, run_id),
        ("page=2", 200, 2, True, run_id),
    ]
    assert detail.api_calls[1].error == "503 Service Unavailable"
    assert {c.connection for c in detail.api_calls} == {"crm"}


def test_a_failed_run_keeps_its_error(store):
    run_id = store.start_run(WS, "sync", "schedule")

    store.finish_run(run_id, "failed", "node fetch: 401 Unauthorized", None, [RunNodeRecord("fetch", errors=1)])

    info = store.get_run(run_id).info
    assert (info.status, info.error, info.summary) == ("failed", "node fetch: 401 Unauthorized", {})


def test_finishing_as_running_or_an_unknown_run_is_refused(store):
    run_id = store.start_run(WS, "sync", "manual")

    with pytest.raises(ValueError, match="running"):
        store.finish_run(run_id, "running", None, None, [])
    with pytest.raises(NotFoundError):
        store.finish_run("no-such-run", "succeeded", None, None, [])
    assert store.get_run(run_id).info.status == "running"


def test_list_runs_newest_first_per_flow_and_limited(store):
    store.ensure_workspace("Team")
    ids = [store.start_run(WS, flow, "manual") for flow in ("a", "b", "a", "b", "a")]
    store.start_run("Team", "a", "manual")

    assert [r.id for r in store.list_runs(WS)] == ids[::-1]
    assert [r.id for r in store.list_runs(WS, flow="a")] == [ids[4], ids[2], ids[0]]
    assert [r.id for r in store.list_runs(WS, limit=2)] == [ids[4], ids[3]]
    assert {r.workspace for r in store.list_runs(WS)} == {WS}


def test_get_run_accepts_a_unique_prefix(store):
    ids = [store.start_run(WS, "sync", "manual") for _ in range(17)]  # 17 ids, 16 hex digits: two share one
    shared = next(char for char, count in Counter(i[0] for i in ids).items() if count > 1)
    target = ids[0]

    assert store.get_run(target[:13]).info.id == target
    assert store.get_run(target).info.id == target
    with pytest.raises(NotFoundError, match="several"):
        store.get_run(shared)
    with pytest.raises(NotFoundError):
        store.get_run("")
    with pytest.raises(NotFoundError):
        store.get_run("zzzz")
    with pytest.raises(NotFoundError):
        store.get_run("%")  # not a LIKE wildcard


def test_a_run_whose_process_died_is_marked_interrupted_at_next_open(store, open_store, sql):
    store.ensure_workspace("Team")
    dead = store.start_run(WS, "sync", "manual")
    no_pid = store.start_run("Team", "other", "schedule")
    done = store.start_run(WS, "sync", "manual")
    store.finish_run(done, "succeeded", None, None, [])
    store.close()
    gone = _dead_pid()
    sql("UPDATE runs SET pid = ? WHERE id IN (?, ?)", (gone, dead, done))
    sql("UPDATE runs SET pid = NULL WHERE id = ?", (no_pid,))

    reopened = open_store()

    assert sorted(reopened.interrupted_runs) == sorted([dead, no_pid])
    info = reopened.get_run(dead).info
    assert info.status == "interrupted"
    assert info.finished_at is not None
    assert "stopped" in (info.error or "")
    assert reopened.get_run(no_pid).info.status == "interrupted"
    assert reopened.get_run(done).info.status == "succeeded"
    assert open_store().interrupted_runs == [], "reported once, not at every start"


def test_a_run_of_a_live_process_is_left_running(store, open_store, sql):
    mine = store.start_run(WS, "sync", "manual")
    other = store.start_run(WS, "sync", "manual")
    elsewhere = store.start_run(WS, "sync", "manual")
    sql("UPDATE runs SET pid = ?, host = ? WHERE id = ?", (_dead_pid(), f"not-{socket.gethostname()}", elsewhere))
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        sql("UPDATE runs SET pid = ? WHERE id = ?", (child.pid, other))

        reopened = open_store()

        assert reopened.interrupted_runs == []
        assert sql("SELECT pid FROM runs WHERE id = ?", (mine,)) == [(os.getpid(),)]
        for run_id in (mine, other, elsewhere):  # another machine's pid cannot be checked from here
            assert reopened.get_run(run_id).info.status == "running"
    finally:
        child.communicate(timeout=30)
