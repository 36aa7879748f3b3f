"""``flowdesk --self-test``'s window part: the main window opens offscreen and renders to PNG."""

from __future__ import annotations

from flowdesk.ui import self_check
from tests.processes import flowdesk_env, run_flowdesk


def test_self_check_renders_the_main_window(qapp, data_dir):
    report = self_check(data_dir)
    assert "main window rendered" in report and "bytes PNG" in report
    assert "offscreen" in report


def test_the_self_test_command_passes_in_a_process_of_its_own(tmp_path) -> None:
    """As an installed app runs it: its own QApplication, which quits when its last window closes."""
    done = run_flowdesk(["--self-test"], flowdesk_env(tmp_path, QT_QPA_PLATFORM="offscreen"), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ window" in done.stdout and "self-test passed" in done.stdout
