"""``flowdesk snapshot --flow FILE --out DIR``: the canvas with an example flow, before and after a run."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage

from .conftest import EXAMPLES


def test_snapshot_renders_an_example_flow_and_its_finished_run(tmp_path, qapp):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FLOWDESK_MASTER_PASSWORD="snapshot-test")
    command = [
        sys.executable,
        "-m",
        "flowdesk",
        "--data-dir",
        str(tmp_path / "data"),
        "snapshot",
        "--flow",
        str(EXAMPLES / "error_handler.flow.json"),
        "--out",
        str(tmp_path / "out"),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    before = tmp_path / "out" / "canvas-error_handler.png"
    after = tmp_path / "out" / "canvas-error_handler-run.png"
    assert f"wrote {before}" in result.stderr and f"wrote {after}" in result.stderr
    first, second = QImage(str(before)), QImage(str(after))
    assert (first.width(), first.height()) == (1440, 880) == (second.width(), second.height())
    assert first != second  # the run coloured the nodes and filled the details

    missing = subprocess.run(
        [*command[:7], str(tmp_path / "nope.flow.json"), "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr
