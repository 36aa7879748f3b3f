"""Does the window stay responsive while the request tester receives a body over 10 MB?

usage: python benchmarks/ui_large_body.py [--mb 12] [--runs 3] [--no-spool] [--threshold-ms 50]

Offscreen, in one process: a local aiohttp server (its own thread) answers ``GET /big`` with a JSON array of
about ``--mb`` MB; the request tester sends it ``--runs`` times. A QTimer firing every 1 ms records the time
between its ticks from the click on Send until the response (its first raw page) is on screen; prints the
longest gap per run. ``--no-spool`` keeps the whole body in memory and parses it on the event loop, as the
tester did before spooling, for comparison. Exit status 1 when a gap exceeds the threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")  # never the OS keychain
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import PySide6  # noqa: F401  (before qasync)
import qasync
from aiohttp import web
from PySide6.QtWidgets import QApplication
from ui_responsiveness import TickRecorder

PASSWORD = "benchmark-only-password"


def serve_big_body(megabytes: float) -> tuple[str, asyncio.AbstractEventLoop, web.AppRunner]:
    """``GET /big`` on 127.0.0.1, served from a loop in a thread; returns its base URL."""
    record_bytes = len(json.dumps({"id": 50_000, "name": "record 50000", "notes": "n" * 80})) + 2
    count = int(megabytes * 1024 * 1024 / record_bytes)
    body = json.dumps([{"id": i, "name": f"record {i}", "notes": "n" * 80} for i in range(count)]).encode()

    async def big(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/big", big)
    runner = web.AppRunner(app)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    return asyncio.run_coroutine_threadsafe(start(), loop).result(60), loop, runner


async def run(base_url: str, runs: int, spool: bool) -> list[tuple[float, int, bool]]:
    from flowdesk.model import Connection
    from flowdesk.ui._async import TaskKeeper
    from flowdesk.ui.app import freeze_startup_objects
    from flowdesk.ui.tester import RequestTesterWidget
    from flowdesk.ui.tester import _widget as tester_widget
    from flowdesk.workspace import Workspace, send_request, warm_up_http

    if not spool:  # the tester as it was: the whole body in memory, parsed on the loop
        tester_widget.send_request = functools.partial(send_request, spool_over=None)  # type: ignore[assignment]
    data_dir = Path(tempfile.mkdtemp(prefix="flowdesk-bench-body-"))
    ws = Workspace.open(data_dir, user="bench", master_password=lambda: PASSWORD)
    ws.add_connection(Connection(name="big", base_url=base_url, timeout=60, retry={"count": 0}))
    failures: list[BaseException] = []
    keeper = TaskKeeper(on_error=failures.append)
    widget = RequestTesterWidget(ws, keeper)
    widget.resize(1280, 860)
    widget.show()
    widget.set_connection("big")
    widget.path_edit.setText("/big")
    await asyncio.sleep(0.2)  # let the window settle (first paint) before measuring
    await warm_up_http()  # as the app does once its window is up
    ws.client("big")  # made once per connection, on first use
    freeze_startup_objects()
    results = []
    for _ in range(runs):
        shown: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        slot = widget.response_shown.connect(lambda shown=shown: shown.done() or shown.set_result(None))
        recorder = TickRecorder(1)
        recorder.start()
        widget.send()
        await shown
        recorder.stop()
        widget.response_shown.disconnect(slot)
        response = widget.last_response
        assert response is not None
        results.append((max(recorder.gaps_ms), response.size, response.body_file is not None))
    widget.close()
    await keeper.aclose()
    await ws.aclose()
    shutil.rmtree(data_dir, ignore_errors=True)
    if failures:
        raise failures[0]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=12.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-spool", action="store_true", help="hold and parse the body in memory (as before)")
    parser.add_argument("--threshold-ms", type=float, default=50.0)
    args = parser.parse_args()
    base_url, server_loop, runner = serve_big_body(args.mb)
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        results = loop.run_until_complete(run(base_url, args.runs, not args.no_spool))
    asyncio.run_coroutine_threadsafe(runner.cleanup(), server_loop).result(30)
    for number, (gap, size, spooled) in enumerate(results, 1):
        where = "spooled to a file" if spooled else "in memory, parsed"
        print(f"run {number}: {size / 1048576:.1f} MB {where}; longest event-loop gap {gap:.1f} ms")
    worst = max(gap for gap, _, _ in results)
    print(f"longest gap over {len(results)} runs: {worst:.1f} ms (target: under {args.threshold_ms:g} ms)")
    sys.exit(1 if worst > args.threshold_ms else 0)


if __name__ == "__main__":
    main()
