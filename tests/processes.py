"""``flowdesk`` as a process of its own, the way a user starts it: one way for every test that needs it.

Each such process gets the test's data directory and never the OS keychain (keyring's fail backend: without a
usable keychain the data key lives in the vault file, under the master password when one is given). The
repository is put on ``PYTHONPATH`` so that the process imports this checkout, installed or not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def flowdesk_env(data_dir: Path, *, master_password: str | None = None, **extra: str) -> dict[str, str]:
    """This environment without any flowdesk or keyring setting of the machine's, plus the test's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLOWDESK_", "PYTHON_KEYRING"))}
    env.update(
        {
            "FLOWDESK_DATA_DIR": str(data_dir),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PYTHONPATH": str(REPO),
        }
    )
    if master_password is not None:
        env["FLOWDESK_MASTER_PASSWORD"] = master_password
    env.update(extra)
    return env


def run_python(args: list[str], env: dict[str, str], *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in the repository, output captured as text, no stdin (nothing may wait for a prompt)."""
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def run_flowdesk(args: list[str], env: dict[str, str], *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m flowdesk ARGS``: the entry point an installed app and the console script share."""
    return run_python(["-m", "flowdesk", *args], env, timeout=timeout)


def start_flowdesk(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """``python -m flowdesk ARGS`` in the background (a server, or a command that waits for a person), its
    output on text pipes."""
    return subprocess.Popen(
        [sys.executable, "-m", "flowdesk", *args],
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
