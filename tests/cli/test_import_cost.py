"""What a command loads: building the parser loads no command's implementation, and ``flow run`` of a
trivial flow loads neither the window nor what only other commands need (OAuth, webhooks, schedules,
contract checks, YAML, discovery, the keychain).

Each check runs in a fresh interpreter, because this test process has imported everything already. Start-up
time is not asserted (it depends on the machine); the modules are, so an eager import that comes back is
caught.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from flowdesk.cli._main import build_parser
from tests.processes import flowdesk_env, run_python

PROBE = """
import json, sys
out, args = sys.argv[1], sys.argv[2:]
if args == ["--build-parser"]:
    from flowdesk.cli._main import build_parser
    build_parser()
    code = 0
else:
    from flowdesk.cli import main
    code = main(args)
with open(out, "w", encoding="utf-8") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""

NOOP_FLOW = {
    "format": "flowdesk.flow",
    "version": 1,
    "name": "noop",
    "nodes": [{"id": "start", "type": "trigger"}],
    "edges": [],
}

NEVER_IN_FLOW_RUN = (
    "PySide6",
    "shiboken6",
    "qasync",
    "flowdesk.ui",
    "aiohttp.web",  # the OAuth loopback listener, the webhook receiver, the demo server
    "jsonschema",  # contract checks
    "authlib",  # OAuth 2 connections
    "cronsim",  # schedule triggers
    "yaml",  # YAML files
    "defusedxml",  # OData discovery
    "alembic",  # only when the store file needs upgrading
    "flowdesk.discovery",
    "flowdesk.demo",
    "flowdesk.connections._authorize",
    "flowdesk.workspace._tester_support",
    "flowdesk.workspace._window_support",
)

NOT_WITHOUT_SECRETS = ("keyring", "cryptography")
"""Nothing has to be unsealed: the keychain is not asked and the vault not opened."""


def _loaded(data_dir: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    """Run ``flowdesk ARGS`` in a fresh interpreter (no master password, no keychain); its exit code and
    every module it had loaded by the end."""
    out = tmp_path / "probe.json"
    done = run_python(["-c", PROBE, str(out), *args], flowdesk_env(data_dir))
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    result["stdout"], result["stderr"] = done.stdout, done.stderr
    return result


def _present(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_building_the_parser_imports_no_command_implementation(data_dir, tmp_path):
    loaded = _loaded(data_dir, tmp_path, "--build-parser")

    heavy = ("asyncio", "pydantic", "sqlalchemy", "httpx", "aiohttp", "keyring", "cryptography", *NEVER_IN_FLOW_RUN)
    flowdesk_layers = ("flowdesk.workspace", "flowdesk.store", "flowdesk.engine", "flowdesk.connections")
    assert _present(loaded["modules"], (*heavy, *flowdesk_layers)) == []


def test_the_parser_still_lists_every_command_with_its_help():
    parser = build_parser()
    top = parser.format_help()
    for command in ("gui", "connection", "entity", "call", "flow", "runs", "demo-server", "member", "audit"):
        assert command in top
    for command in ("webhook", "schedule"):
        assert command in top

    def walk(p: argparse.ArgumentParser, path: tuple[str, ...]) -> dict[tuple[str, ...], argparse.ArgumentParser]:
        found = {path: p}
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.update(walk(sub, (*path, name)))
        return found

    commands = walk(parser, ())
    assert {("flow", "run"), ("connection", "authorize"), ("entity", "discover"), ("webhook", "serve")} <= set(commands)
    for sub in commands.values():
        assert "usage:" in sub.format_help()


def test_flow_run_of_a_trivial_flow_loads_only_what_it_needs(data_dir, tmp_path):
    flow = tmp_path / "noop.flow.json"
    flow.write_text(json.dumps(NOOP_FLOW), encoding="utf-8")
    listed = _loaded(data_dir, tmp_path, "flow", "list")  # the store file exists and is current afterwards
    assert listed["code"] == 0
    never_in_listing = ("httpx", "aiohttp", "flowdesk.engine", *(m for m in NEVER_IN_FLOW_RUN if m != "alembic"))
    assert _present(listed["modules"], never_in_listing) == []  # (alembic: a new store file was just created)

    loaded = _loaded(data_dir, tmp_path, "flow", "run", str(flow))

    assert loaded["code"] == 0, loaded["stderr"]
    assert loaded["stdout"].startswith("succeeded: flow 'noop'")
    assert _present(loaded["modules"], (*NEVER_IN_FLOW_RUN, *NOT_WITHOUT_SECRETS)) == []


def test_calling_a_connection_without_secrets_never_opens_the_keychain_or_the_vault(data_dir, tmp_path, demo_server):
    connection = {
        "name": "public",
        "base_url": demo_server.base_url,
        "auth": {"type": "none"},
        "entities": [{"name": "spec", "method": "GET", "path": "/openapi.json", "data_path": "$"}],
    }
    (tmp_path / "public.json").write_text(json.dumps(connection), encoding="utf-8")
    assert _loaded(data_dir, tmp_path, "connection", "add", str(tmp_path / "public.json"))["code"] == 0
    flow = dict(
        NOOP_FLOW,
        name="public-call",
        nodes=[
            {"id": "start", "type": "trigger"},
            {"id": "get", "type": "api_call", "config": {"connection": "public", "entity": "spec"}},
        ],
        edges=[{"source": "start.out", "target": "get.in"}],
    )
    (tmp_path / "call.flow.json").write_text(json.dumps(flow), encoding="utf-8")

    loaded = _loaded(data_dir, tmp_path, "flow", "run", str(tmp_path / "call.flow.json"), "--json")

    assert loaded["code"] == 0, loaded["stderr"]
    result = json.loads(loaded["stdout"])
    assert (result["status"], result["api_calls"]) == ("succeeded", 1)
    absent = (*NOT_WITHOUT_SECRETS, "aiohttp.web", "authlib", "jsonschema", "jsonpath_ng")  # "$" needs no parser
    assert _present(loaded["modules"], absent) == []
