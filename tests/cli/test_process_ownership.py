"""A command that owns its process starts with the garbage collector off and turns it back on (with what
start-up loaded frozen) before it does its work, so a long flow run or a server still collects cyclic garbage.

The collector is replaced by a recorder: switching the real one off would change the whole test session."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from flowdesk.cli import _common


class RecordingCollector:
    def __init__(self) -> None:
        self.enabled = True
        self.calls: list[str] = []

    def disable(self) -> None:
        self.enabled = False
        self.calls.append("disable")

    def enable(self) -> None:
        self.enabled = True
        self.calls.append("enable")

    def freeze(self) -> None:
        self.calls.append("freeze")


@pytest.fixture()
def collector(monkeypatch: pytest.MonkeyPatch) -> RecordingCollector:
    fake = RecordingCollector()
    monkeypatch.setattr(_common, "gc", fake)
    monkeypatch.setattr(_common._Process, "owned", False)
    return fake


def workspace_args(data_dir: Path) -> argparse.Namespace:
    return argparse.Namespace(data_dir=data_dir, workspace=None, user=None)


def test_an_owned_process_collects_again_once_its_workspace_is_open(
    collector: RecordingCollector, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWDESK_MASTER_PASSWORD", "a-test-password")
    _common.own_process()
    assert not collector.enabled  # start-up: nothing to collect yet

    ws = _common.open_workspace(workspace_args(data_dir))
    try:
        assert collector.enabled
        assert collector.calls == ["disable", "freeze", "enable"]  # what start-up loaded is frozen first
    finally:
        ws.close()


def test_a_command_called_in_a_shared_process_leaves_the_collector_alone(
    collector: RecordingCollector, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWDESK_MASTER_PASSWORD", "a-test-password")
    ws = _common.open_workspace(workspace_args(data_dir))
    ws.close()
    _common.settle()

    assert collector.enabled
    assert collector.calls == []
