"""Shared benchmark plumbing: a demo server in its own process, timed child processes, medians.

Whole processes are timed (start-up included), as a user running a command would feel it. Peak RSS comes
from the kernel's accounting of each child (``wait4``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FLOWDESK = [PYTHON, "-m", "flowdesk"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def demo_server(*extra: str) -> Iterator[str]:
    """``flowdesk demo-server`` in a child process; yields its base URL once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [*FLOWDESK, "demo-server", "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the demo server did not start") from None
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass
class Timing:
    label: str
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_rss(self) -> float:
        return max(self.rss_mb) if self.rss_mb else 0.0


def timed(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``cmd`` to completion; return (wall seconds, peak RSS in MB). Fails loudly on a non-zero exit."""
    started = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def compare(runs: dict[str, Sequence[str]], reps: int, env: dict[str, str] | None = None) -> dict[str, Timing]:
    """Interleave the commands ``reps`` times (after one warm-up each) so machine noise hits all alike."""
    timings = {label: Timing(label) for label in runs}
    for cmd in runs.values():
        timed(cmd, env)
    for _ in range(reps):
        for label, cmd in runs.items():
            seconds, rss = timed(cmd, env)
            timings[label].seconds.append(seconds)
            timings[label].rss_mb.append(rss)
    return timings


def flowdesk_env(data_dir: Path) -> dict[str, str]:
    """An environment with its own data dir and vault password, so no OS keychain is touched."""
    env = dict(os.environ)
    env["FLOWDESK_DATA_DIR"] = str(data_dir)
    env["FLOWDESK_MASTER_PASSWORD"] = "benchmark-only-password"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    # An installed flowdesk has compiled bytecode, like the httpx the baseline imports: let the warm-up
    # run write it, or every run would pay for compiling flowdesk's sources.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def temp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="flowdesk-bench-"))


def print_table(timings: dict[str, Timing], reference: str) -> None:
    base = timings[reference].median
    print(f"{'run':<40} {'median s':>9} {'ratio':>7} {'min-max s':>15} {'peak RSS MB':>12}")
    for t in timings.values():
        spread = f"{min(t.seconds):.2f}-{max(t.seconds):.2f}"
        print(f"{t.label:<40} {t.median:>9.3f} {t.median / base:>7.2f} {spread:>15} {t.peak_rss:>12.1f}")
