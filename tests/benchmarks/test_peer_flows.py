"""The peer benchmark's flowdesk flows do their workload exactly, and the run history records every call.

``benchmarks/peers/run.py`` times these flows against httpx and Node-RED; a fast run only counts if it did the
work, so here each flow runs once through the real CLI (``python -m flowdesk``, a data dir of its own) against
the benchmark's mock API (``benchmarks/peers/mock_server.py`` in a subprocess on 127.0.0.1), and the mock's own
counters say whether every page was read once, every order created once, and every 429/503 retried.
"""

from __future__ import annotations

import collections
import http.client
import json
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.processes import REPO, flowdesk_env, run_flowdesk

pytestmark = pytest.mark.slow

PEERS = REPO / "benchmarks" / "peers"
N_ITEMS = 100_000
N_ORDERS = 2_000


def request(port: int, method: str, path: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=b"" if method == "POST" else None)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def mock_port() -> Iterator[int]:
    """The benchmark's mock API in its own process; ready once ``/health`` answers (30 s at most)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = subprocess.Popen(
        [sys.executable, str(PEERS / "mock_server.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if request(port, "GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            assert time.monotonic() < deadline, "the mock server did not answer /health within 30 s"
            select.select([proc.stdout], [], [], 0.1)  # wakes as soon as the server prints that it listens
        yield port
    finally:
        proc.terminate()
        proc.wait(15)
        proc.stdout.close()


@pytest.fixture(scope="module")
def flowdesk(
    mock_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``python -m flowdesk …`` on a data dir of its own, with the mock's connection added."""
    data = tmp_path_factory.mktemp("peers-data")
    env = flowdesk_env(
        data,
        master_password="benchmark-only-password",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = run_flowdesk(list(args), env, timeout=120)
        assert done.returncode == 0, f"flowdesk {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        return done

    template = (PEERS / "flowdesk" / "mock-api.connection.json").read_text(encoding="utf-8")
    connection = data / "mock-api.connection.json"
    connection.write_text(template.replace("{base_url}", f"http://127.0.0.1:{mock_port}"), encoding="utf-8")
    run("connection", "add", str(connection))
    return run


def run_flow(workload: str, mock_port: int, flowdesk: Callable[..., Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run one benchmark flow on a freshly reset mock; returns (the mock's counters, the run's history)."""
    assert request(mock_port, "POST", "/reset")[0] == 200
    result = json.loads(flowdesk("flow", "run", "--json", str(PEERS / "flowdesk" / f"{workload}.flow.json")).stdout)
    assert result["status"] == "succeeded", result
    stats = request(mock_port, "GET", "/stats")[1]
    history = json.loads(flowdesk("runs", "show", "--json", result["run_id"]).stdout)
    return stats, history


def assert_history_matches(stats: dict[str, Any], history: dict[str, Any]) -> None:
    """Every request the mock counted is one recorded API call, with the same status (429s and 503s too)."""
    calls = history["api_calls"]
    assert len(calls) == stats["total_requests"]
    assert history["info"]["summary"]["api_calls"] == stats["total_requests"]
    recorded = collections.Counter(str(call["status"]) for call in calls)
    assert recorded == collections.Counter(stats["statuses"])


def test_pages_reads_every_page_once(mock_port: int, flowdesk: Callable[..., Any]) -> None:
    stats, history = run_flow("pages", mock_port, flowdesk)
    assert stats["items_served"] == N_ITEMS
    assert stats["distinct_offsets"] == N_ITEMS // 100
    assert stats["bad_requests"] == 0
    assert stats["statuses"] == {"200": stats["total_requests"]}
    assert_history_matches(stats, history)


def test_cursor_follows_every_cursor(mock_port: int, flowdesk: Callable[..., Any]) -> None:
    stats, history = run_flow("cursor", mock_port, flowdesk)
    assert stats["cursor_items"] == N_ITEMS
    assert stats["cursor_pages"] == N_ITEMS // 100
    assert stats["bad_requests"] == 0
    assert_history_matches(stats, history)


def test_orders_creates_each_order_once(mock_port: int, flowdesk: Callable[..., Any]) -> None:
    stats, history = run_flow("orders", mock_port, flowdesk)
    assert stats["statuses"] == {"201": N_ORDERS}
    assert stats["orders_ok"] == N_ORDERS
    assert stats["distinct_order_refs"] == N_ORDERS
    assert stats["order_dupes"] == 0
    assert_history_matches(stats, history)


def test_flaky_retries_429_and_503_without_duplicates(mock_port: int, flowdesk: Callable[..., Any]) -> None:
    stats, history = run_flow("flaky", mock_port, flowdesk)
    statuses = stats["statuses"]
    assert statuses.get("429", 0) > 0 and statuses.get("503", 0) > 0  # the mock refused some requests ...
    assert statuses["201"] == N_ORDERS  # ... and each refused one was retried until it was created
    assert stats["distinct_order_refs"] == N_ORDERS
    assert stats["order_dupes"] == 0
    assert stats["total_requests"] == N_ORDERS + statuses["429"] + statuses["503"]
    assert_history_matches(stats, history)
    assert history["info"]["summary"]["retries"] == statuses["429"] + statuses["503"]
