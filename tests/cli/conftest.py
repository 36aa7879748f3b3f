from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowdesk.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.out)


@pytest.fixture()
def cli(data_dir: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``flowdesk --data-dir DATA …`` in this process and capture what it prints."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main(["--data-dir", str(data_dir), *args])
        except SystemExit as exc:  # argparse errors and --version
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
