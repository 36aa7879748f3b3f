"""``flowdesk --self-test``'s window part: the main window opens offscreen and renders to PNG."""

from __future__ import annotations

from flowdesk.ui import self_check


def test_self_check_renders_the_main_window(qapp, data_dir):
    report = self_check(data_dir)
    assert "main window rendered" in report and "bytes PNG" in report
    assert "offscreen" in report
