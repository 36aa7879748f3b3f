"""``flowdesk --self-test``: prove that an installed (or frozen) app has everything it needs.

Runs offscreen in a temporary data dir and checks, printing each: TLS, the store with its migrations,
secret sealing (through the master-password vault, so no OS keychain entry is made), the bundled demo API
with a tiny flow run through the engine, and the window (Qt platform plugin, styles, SVG icons). A frozen
build that misses a plugin, a data file or a hidden import fails here instead of on a user's machine.
"""

from __future__ import annotations

import os
import shutil
import ssl
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowdesk.cli._common import run_async

TINY_FLOW: dict[str, Any] = {
    "format": "flowdesk.flow",
    "version": 1,
    "name": "self-test",
    "nodes": [
        {"id": "start", "type": "trigger", "config": {"kind": "manual"}},
        {
            "id": "fetch",
            "type": "api_call",
            "config": {"connection": "demo-crm", "entity": "list_customers", "all_pages": True},
        },
        {"id": "eu", "type": "condition", "config": {"expression": "region == 'EU'"}},
        {"id": "all", "type": "collect", "config": {}},
    ],
    "edges": [
        {"source": "start.out", "target": "fetch.in"},
        {"source": "fetch.out", "target": "eu.in"},
        {"source": "eu.true", "target": "all.in"},
    ],
}


def run_self_test() -> int:
    """Run every check; 0 when all pass, 1 otherwise."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Seal secrets in the master-password vault: a self-test never writes to the user's keychain.
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    data_dir = Path(tempfile.mkdtemp(prefix="flowdesk-selftest-"))
    failures = 0
    try:
        for name, check in _checks(data_dir):
            started = time.perf_counter()
            try:
                detail = check()
            except Exception as exc:
                failures += 1
                print(f"✗ {name}: {type(exc).__name__}: {exc}", flush=True)
                continue
            print(f"✓ {name}: {detail} ({(time.perf_counter() - started) * 1000:.0f} ms)", flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    frozen = "frozen" if getattr(sys, "frozen", False) else "from source"
    print(
        f"self-test {'passed' if failures == 0 else f'FAILED ({failures})'} ({frozen}, Python {sys.version.split()[0]})"
    )
    return 0 if failures == 0 else 1


def _checks(data_dir: Path) -> list[tuple[str, Callable[[], str]]]:
    def tls() -> str:
        context = ssl.create_default_context()
        return f"{ssl.OPENSSL_VERSION}, {len(context.get_ca_certs()) or 'system'} CA certificates"

    def store_and_flow() -> str:
        return run_async(_store_and_flow(data_dir))

    def window() -> str:
        from flowdesk.ui import self_check

        return self_check(data_dir)

    return [("TLS", tls), ("store, secrets, demo API and a flow run", store_and_flow), ("window", window)]


async def _store_and_flow(data_dir: Path) -> str:
    from flowdesk.demo import DemoServer, demo_connection_data
    from flowdesk.model import parse_connection
    from flowdesk.model.flow import Flow
    from flowdesk.workspace import Workspace

    server = DemoServer()
    base_url = await server.start()
    ws = Workspace.open(data_dir, "Default", user="self-test", master_password=lambda: "self-test-only")
    try:
        ws.add_connection(parse_connection(demo_connection_data(base_url)))
        secret = "demo-key"
        if _readable_anywhere(data_dir, secret):
            raise RuntimeError("a secret is readable in the data dir")
        result = await ws.run_flow(Flow.model_validate(TINY_FLOW))
        if result.status != "succeeded":
            raise RuntimeError(f"flow {result.status}: {result.error}")
        runs = ws.list_runs(limit=1)
        return f"migrations applied, secret sealed, flow {result.status} (run {runs[0].id if runs else '?'})"
    finally:
        await ws.aclose()
        await server.stop()


def _readable_anywhere(folder: Path, secret: str) -> bool:
    """Whether ``secret`` appears in the bytes of any file under ``folder`` (the store, its WAL, the vault)."""
    return any(secret.encode() in p.read_bytes() for p in folder.rglob("*") if p.is_file())
