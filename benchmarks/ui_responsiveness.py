"""Does the window stay responsive while the request tester fetches 1,000 pages?

usage: python benchmarks/ui_responsiveness.py [--entity list_items] [--tick-ms 5] [--threshold-ms 50]

Offscreen, in one process: the demo API (100,000 items) runs on the window's qasync loop, the request
tester is opened on the items entity and "Fetch all pages" is clicked. A QTimer firing every 5 ms records
the time between its ticks until the fetch (and the rendering of its result) is done; a long gap is a
moment the window could not repaint or react. Prints the longest gap and how many gaps exceeded 50 ms
(target: none). Exit status 1 when the target is missed.

The window is prepared as ``flowdesk`` prepares it after its first paint (the HTTP stack warmed up, the
start-up objects frozen out of the garbage collector's full passes), so the figure is what a user sees.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")  # never the OS keychain
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import PySide6  # noqa: F401  (before qasync)
import qasync
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

PASSWORD = "benchmark-only-password"


class TickRecorder:
    """Records the gaps between the timeouts of a fast QTimer (the event loop's heartbeat)."""

    def __init__(self, interval_ms: int) -> None:
        self.gaps_ms: list[float] = []
        self._clock = QElapsedTimer()
        self._last = 0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        self.gaps_ms.append((now - self._last) / 1e6)
        self._last = now


async def run(entity: str, tick_ms: int, items: int) -> tuple[TickRecorder, int, int, float]:
    from flowdesk.demo import DemoConfig, DemoServer, demo_connection_data
    from flowdesk.model import parse_connection
    from flowdesk.ui._async import TaskKeeper
    from flowdesk.ui.app import freeze_startup_objects
    from flowdesk.ui.tester import RequestTesterWidget
    from flowdesk.workspace import Workspace, warm_up_http

    server = DemoServer(DemoConfig(port=0, items=items))
    base_url = await server.start()
    data_dir = Path(tempfile.mkdtemp(prefix="flowdesk-bench-ui-"))
    ws = Workspace.open(data_dir, user="bench", master_password=lambda: PASSWORD)
    connection = parse_connection(demo_connection_data(base_url))
    ws.add_connection(connection, replace=True)
    failures: list[BaseException] = []
    keeper = TaskKeeper(on_error=failures.append)
    widget = RequestTesterWidget(ws, keeper)
    widget.resize(1280, 860)
    widget.show()
    widget.set_connection(connection.name, entity)
    await asyncio.sleep(0.2)  # let the window settle (first paint) before measuring
    await warm_up_http()  # as the app does once its window is up
    freeze_startup_objects()

    finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    widget.pages_finished.connect(lambda n: finished.done() or finished.set_result(n))
    recorder = TickRecorder(tick_ms)
    recorder.start()
    started = time.perf_counter()
    QTest.mouseClick(widget.fetch_all_button, Qt.MouseButton.LeftButton)
    records = await finished
    while not widget.response_view.raw_view.done:  # the result's rendering counts too
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    recorder.stop()
    pages = widget.pages_fetched
    widget.close()
    await keeper.aclose()
    await ws.aclose()
    await server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)
    if failures:
        raise failures[0]
    return recorder, pages, records, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entity", default="list_items")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--tick-ms", type=int, default=5)
    parser.add_argument("--threshold-ms", type=float, default=50.0)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)  # closing the tester must not stop the loop mid-run
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        recorder, pages, records, elapsed = loop.run_until_complete(run(args.entity, args.tick_ms, args.items))
    gaps = recorder.gaps_ms
    slow = [g for g in gaps if g > args.threshold_ms]
    ordered = sorted(gaps)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    print(f"fetched {records:,} records in {pages:,} pages in {elapsed:.2f} s (entity {args.entity})")
    print(f"event-loop ticks: {len(gaps):,} at {args.tick_ms} ms; median gap {statistics.median(gaps):.1f} ms, "
          f"p99 {p99:.1f} ms, max gap {max(gaps):.1f} ms")  # fmt: skip
    print(f"gaps over {args.threshold_ms:g} ms: {len(slow)}" + (f" ({', '.join(f'{g:.0f}' for g in slow[:10])} ms)"
                                                                if slow else ""))  # fmt: skip
    sys.exit(1 if slow else 0)


if __name__ == "__main__":
    main()
