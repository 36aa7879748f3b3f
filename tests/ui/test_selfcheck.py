"""``flowdesk --self-test``'s window part: the main window opens offscreen and renders to PNG."""

from __future__ import annotations

from flowdesk.ui import self_check


def test_self_check_renders_the_main_window(qapp, data_dir):
    report = self_check(data_dir)
    assert "main window rendered" in report and "bytes PNG" in report
    assert "offscreen" in report


def test_the_self_test_command_passes_in_a_process_of_its_own(tmp_path) -> None:
    """As an installed app runs it: its own QApplication, which quits when its last window closes."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FLOWDESK_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "flowdesk", "--self-test"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ window" in done.stdout and "self-test passed" in done.stdout
