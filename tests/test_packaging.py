"""The frozen app: built with packaging/build.py and passing its own self-test (issue: installers).

Slow (a PyInstaller build), so it runs only when asked: ``python -m pytest -m packaging``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIZE_BUDGET_MB = 150


@pytest.mark.packaging
def test_the_one_folder_build_is_within_budget_and_passes_its_self_test() -> None:
    pytest.importorskip("PyInstaller", reason="install the packaging extras: pip install -e '.[package]'")
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"), "--skip-installer", "--self-test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    built = re.search(r"built .* \((\d+) MB unpacked\)", output)
    assert built is not None, output[-2000:]
    assert int(built.group(1)) < SIZE_BUDGET_MB, built.group(0)
    assert "self-test passed (frozen" in output, output[-2000:]
