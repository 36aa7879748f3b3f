"""``flowdesk webhook add|list|remove|serve`` and ``flowdesk schedule list|serve``: secrets never printed nor
readable in the data dir; the servers as real processes, stopped with SIGTERM like a service manager does."""

from __future__ import annotations

import json
import queue
import signal
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from flowdesk.webhooks import sign
from tests.cli.conftest import assert_no_secret, files_containing
from tests.processes import flowdesk_env, start_flowdesk

SECRET = "whsec-cli-8d2f61aa"
MASTER_PASSWORD = "master-pw-for-webhooks"


def listening_flow(name: str, hook: str) -> dict[str, Any]:
    return {
        "format": "flowdesk.flow",
        "version": 1,
        "name": name,
        "nodes": [
            {"id": "hook", "type": "trigger", "config": {"kind": "webhook", "hook": hook}},
            {"id": "mark", "type": "transform", "config": {"set": {"seen": True}}},
        ],
        "edges": [{"source": "hook.out", "target": "mark.in"}],
    }


def scheduled_flow(name: str) -> dict[str, Any]:
    return {
        "format": "flowdesk.flow",
        "version": 1,
        "name": name,
        "nodes": [
            {
                "id": "tick",
                "type": "trigger",
                "config": {
                    "kind": "schedule",
                    "cron": "0 9 * * MON-FRI",
                    "timezone": "Europe/Berlin",
                    "catch_up": True,
                },
            }
        ],
        "edges": [],
    }


def test_add_list_and_remove(cli, write_file, data_dir, monkeypatch):
    monkeypatch.setenv("FLOWDESK_WEBHOOK_SECRET", SECRET)
    added = cli("webhook", "add", "orders", "--style", "github")
    assert added.code == 0, added.err
    assert "No flow listens yet" in added.err and "/hooks/orders" in added.err
    assert cli("flow", "import", str(write_file(listening_flow("on-orders", "orders"), "f.flow.json"))).code == 0
    assert cli("webhook", "add", "payments").code == 0

    listed = cli("webhook", "list", "--json")
    assert listed.code == 0
    assert [(h["name"], h["style"], h["flows"]) for h in listed.json()] == [
        ("orders", "github", ["on-orders"]),
        ("payments", "generic", []),
    ]
    table = cli("webhook", "list")
    assert "orders" in table.out and "on-orders" in table.out

    assert cli("webhook", "remove", "payments").code == 0
    assert [h["name"] for h in cli("webhook", "list", "--json").json()] == ["orders"]
    gone = cli("webhook", "remove", "payments")
    assert gone.code == 2 and "there is no webhook 'payments'" in gone.err

    for result in (added, listed, table):
        assert_no_secret(result.text, [SECRET])
    assert files_containing(data_dir, [SECRET]) == {}


def test_add_refuses_a_taken_name_a_bad_style_and_a_missing_secret(cli, monkeypatch):
    monkeypatch.delenv("FLOWDESK_WEBHOOK_SECRET", raising=False)
    missing = cli("webhook", "add", "orders")
    assert missing.code == 2 and "set FLOWDESK_WEBHOOK_SECRET" in missing.err

    monkeypatch.setenv("FLOWDESK_WEBHOOK_SECRET", SECRET)
    assert cli("webhook", "add", "orders").code == 0
    taken = cli("webhook", "add", "orders")
    assert taken.code == 2 and "already has a webhook 'orders'" in taken.err
    assert cli("webhook", "add", "orders", "--replace", "--style", "stripe").code == 0
    bad = cli("webhook", "add", "other", "--style", "paypal")
    assert bad.code == 2 and "invalid choice" in bad.err


def test_schedule_list_shows_next_fire_times(cli, write_file):
    assert cli("flow", "import", str(write_file(scheduled_flow("morning"), "m.flow.json"))).code == 0
    listed = cli("schedule", "list", "--json")
    assert listed.code == 0
    (entry,) = listed.json()
    assert (entry["flow"], entry["node_id"], entry["cron"], entry["timezone"]) == (
        "morning",
        "tick",
        "0 9 * * MON-FRI",
        "Europe/Berlin",
    )
    assert entry["catch_up"] is True and entry["last_fired_at"] is None
    assert entry["next_at"].endswith(("07:00:00+00:00", "08:00:00+00:00")), "9:00 in Berlin, as UTC"
    assert "morning" in cli("schedule", "list").out


# --- the servers as processes ------------------------------------------------------------------------


class Server:
    """``python -m flowdesk …`` in the background; its output lines arrive on queues (no polling, no sleep)."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.process = start_flowdesk(list(args), flowdesk_env(data_dir, master_password=MASTER_PASSWORD))
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.err_lines: list[str] = []
        for stream, target in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, target), daemon=True).start()

    @staticmethod
    def _pump(stream: Any, target: queue.Queue[str]) -> None:
        for line in stream:
            target.put(line.rstrip("\n"))

    def line(self, which: str = "out", timeout: float = 30) -> str:
        source = self.out if which == "out" else self.err
        try:
            found = source.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no {which} line within {timeout} s; stderr so far: {self.err_lines}") from None
        if which == "err":
            self.err_lines.append(found)
        return found

    def err_until(self, text: str) -> list[str]:
        seen = []
        while True:
            seen.append(self.line("err"))
            if text in seen[-1]:
                return seen

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


@pytest.fixture()
def servers():  # type: ignore[no-untyped-def]
    started: list[Server] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(30)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_webhook_serve_prints_urls_starts_flows_and_stops_on_sigterm(flowdesk_process, write_file, data_dir, servers):
    added = flowdesk_process(
        "webhook", "add", "orders", master_password=MASTER_PASSWORD, FLOWDESK_WEBHOOK_SECRET=SECRET
    )
    assert added.code == 0, added.err
    flow_file = write_file(listening_flow("on-orders", "orders"), "f.flow.json")
    assert flowdesk_process("flow", "import", str(flow_file), master_password=MASTER_PASSWORD).code == 0

    server = Server(data_dir, "webhook", "serve", "--port", "0")
    servers.append(server)
    url, style = server.line().split()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/hooks/orders") and style == "(generic)"

    body = json.dumps({"order": 42}).encode()
    bad = _post(url, body, {"Content-Type": "application/json", **sign("generic", "wrong", body)})
    good = _post(url, body, {"Content-Type": "application/json", **sign("generic", SECRET, body)})
    assert bad[0] == 401 and good == (202, {"accepted": True, "hook": "orders", "flows": ["on-orders"]})
    lines = server.err_until("of on-orders (webhook) succeeded")
    assert any("-> 401" in line for line in lines)

    assert server.stop() == 0
    runs = flowdesk_process("runs", "list", "--json", master_password=MASTER_PASSWORD)
    assert [(r["flow_name"], r["trigger"], r["status"]) for r in json.loads(runs.out)] == [
        ("on-orders", "webhook", "succeeded")
    ]
    stdout_rest = server.process.stdout.read() if server.process.stdout else ""  # type: ignore[union-attr]
    assert_no_secret(url + stdout_rest + "\n".join(server.err_lines), [SECRET])
    assert files_containing(data_dir, [SECRET]) == {}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_schedule_serve_prints_next_times_and_stops_on_sigterm(flowdesk_process, write_file, data_dir, servers):
    flow_file = write_file(scheduled_flow("morning"), "m.flow.json")
    assert flowdesk_process("flow", "import", str(flow_file), master_password=MASTER_PASSWORD).code == 0

    server = Server(data_dir, "schedule", "serve")
    servers.append(server)
    header = server.line()
    assert header.split()[:4] == ["FLOW", "TRIGGER", "CRON", "TIMEZONE"]
    row = server.line()
    assert row.split()[:3] == ["morning", "tick", "0"] and "Europe/Berlin" in row
    assert "Running scheduled flows" in server.line("err")

    assert server.stop() == 0


def test_webhook_serve_on_a_taken_port_says_so(cli, monkeypatch):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("webhook", "serve", "--port", str(port))
    assert result.code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.err and "--port" in result.err
