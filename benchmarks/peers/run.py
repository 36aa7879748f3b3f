"""flowdesk against its peers on four bounded HTTP workloads, side by side, in one command.

usage: .venv/bin/python benchmarks/peers/run.py [--reps 5] [--warmup 1] [--workloads pages,cursor,orders,flaky]
                                                [--engines httpx-c1,httpx-c8,nodered,nodered-c8,flowdesk] [--out FILE]

Every engine does the same work against the same local mock API (``mock_server.py``, 127.0.0.1, a free port):
a plain httpx script with 1 and 8 requests in flight (``baseline_httpx.py``; ``httpx-c1`` is the reference of
every ratio), Node-RED 4.1.15 (installed from npm on first use, one warm headless server, 1 and 8 in flight) and
``flowdesk flow run`` on the flows in ``flowdesk/``. Each run is checked against the mock's own counters, so a
fast but wrong run can never count; an invalid run is printed loudly and marked in the table. Runs are
interleaved (each round runs every engine once) so that noise of this shared machine hits all engines alike.
See README.md next to this file.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from _harness import flowdesk_env, free_port, timed  # noqa: E402

WORKLOADS = ("pages", "cursor", "orders", "flaky")
ENGINES = ("httpx-c1", "httpx-c8", "nodered", "nodered-c8", "flowdesk")
REFERENCE = "httpx-c1"
TARGETS = {"pages": 0.70, "cursor": 0.70, "orders": 0.55, "flaky": 0.50}  # flowdesk / httpx-c1, medians
RSS_TARGET_MB = 120.0
N_ORDERS = 2000
NODE_RED = HERE / "nodered"
NODE_RED_VERSION = "4.1.15"
WORK = HERE / "results" / "work"  # gitignored: logs, the Node-RED userDir
LOOPBACK = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


@dataclass
class Run:
    seconds: float
    rss_mb: float
    error: str | None = None


# ---------------------------------------------------------------- small HTTP helpers (loopback only, no proxies)


def call(port: int, method: str, path: str, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=b"" if method == "POST" else None)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str, log: Path, limit: float) -> None:
    """Poll ``ready`` until it is true; fail at once if the process died, or after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while True:
        with contextlib.suppress(OSError):
            if ready():
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{what} did not come up (exit code {proc.poll()}); {log}:\n{tail}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a child this script started, by its PID."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- the mock API and its validation


@contextlib.contextmanager
def mock_server() -> Iterator[int]:
    port = free_port()
    log = WORK / "mock.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "mock_server.py"), "--port", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_until(lambda: call(port, "GET", "/health", 2)[0] == 200, proc, "the mock server", log, 30)
        yield port
    finally:
        stop(proc)


def validate(workload: str, s: dict[str, Any]) -> list[str]:
    """What is wrong with a run, from the mock's counters (the shared harness's rules); empty when it is valid."""
    n, statuses = s["n"], s["statuses"]
    checks: list[tuple[bool, str]]
    if workload == "pages":
        checks = [
            (s["items_served"] == n, f"{s['items_served']} items served, not {n}"),
            (s["distinct_offsets"] == n // 100, f"{s['distinct_offsets']} distinct offsets, not {n // 100}"),
            (s["bad_requests"] == 0, f"{s['bad_requests']} answers 400"),
        ]
    elif workload == "cursor":
        checks = [
            (s["cursor_items"] == n, f"{s['cursor_items']} items served, not {n}"),
            (s["bad_requests"] == 0, f"{s['bad_requests']} answers 400"),
        ]
    else:
        checks = [
            (s["orders_ok"] == N_ORDERS, f"{s['orders_ok']} orders created (201), not {N_ORDERS}"),
            (s["distinct_order_refs"] == N_ORDERS, f"{s['distinct_order_refs']} distinct refs, not {N_ORDERS}"),
            (s["order_dupes"] == 0, f"{s['order_dupes']} duplicate orders"),
        ]
        if workload == "flaky":
            checks += [(statuses.get("429", 0) > 0, "no 429 seen"), (statuses.get("503", 0) > 0, "no 503 seen")]
    return [problem for ok, problem in checks if not ok]


# ---------------------------------------------------------------- engines


def process_run(cmd: list[str], env: dict[str, str]) -> Run:
    """A whole process, start-up included (the harness's ``timed``: wall time and ``wait4`` peak RSS)."""
    try:
        seconds, rss = timed(cmd, env)
    except RuntimeError as exc:
        return Run(float("nan"), 0.0, str(exc)[-600:])
    return Run(seconds, rss)


def flowdesk_command() -> list[str]:
    script = Path(sys.executable).parent / "flowdesk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "flowdesk"]


def flowdesk_setup(base: str, data: Path) -> dict[str, str]:
    """Untimed: a data dir of its own with the mock's connection in it; returns the env every run uses."""
    env = {**flowdesk_env(data), **LOOPBACK}
    connection = data / "mock-api.connection.json"
    text = (HERE / "flowdesk" / "mock-api.connection.json").read_text(encoding="utf-8")
    connection.write_text(text.replace("{base_url}", base), encoding="utf-8")
    done = subprocess.run(
        [*flowdesk_command(), "connection", "add", str(connection)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"flowdesk connection add failed:\n{done.stdout}{done.stderr}")
    return env


def nodered_install() -> str | None:
    """Install the pinned Node-RED into nodered/node_modules unless it is there; the reason it can't, or None."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "node and npm are needed for the Node-RED columns (Node.js >= 18); they are not on PATH"
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0] or 0) < 18:
        return f"Node-RED {NODE_RED_VERSION} needs Node.js >= 18; this is {version}"
    installed = NODE_RED / "node_modules" / "node-red" / "package.json"
    if installed.exists() and json.loads(installed.read_text())["version"] == NODE_RED_VERSION:
        return None
    print(f"installing Node-RED {NODE_RED_VERSION} into {NODE_RED / 'node_modules'} (npm ci, first use only) ...")
    log = WORK / "npm.log"
    with log.open("w") as out:
        for cmd in ([npm, "ci", "--no-audit", "--no-fund"], [npm, "install", "--no-audit", "--no-fund"]):
            if subprocess.run(cmd, cwd=NODE_RED, stdout=out, stderr=subprocess.STDOUT).returncode == 0:
                return None
    return f"npm could not install Node-RED (see {log})"


@dataclass
class NodeRed:
    port: int
    pid: int


@contextlib.contextmanager
def nodered_server() -> Iterator[NodeRed]:
    """One warm headless Node-RED for the whole benchmark; the flows come from the committed flows.json."""
    user_dir = WORK / "nodered-userdir"
    user_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(NODE_RED / "flows.json", user_dir / "flows.json")
    port = free_port()
    log = WORK / "nodered.log"
    red = NODE_RED / "node_modules" / "node-red" / "red.js"
    cmd = [shutil.which("node") or "node", str(red), "-s", str(NODE_RED / "settings.js"), "-u", str(user_dir)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env={**os.environ, **LOOPBACK, "NODERED_PORT": str(port)}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        # the trigger answers 400 to an unknown workload once the flow is running
        wait_until(lambda: call(port, "GET", "/bench/ping", 2)[0] == 400, proc, "Node-RED", log, 60)
        yield NodeRed(port, proc.pid)
    finally:
        stop(proc)


def nodered_run(server: NodeRed, workload: str, base: str, concurrency: int) -> Run:
    """Trigger → response of the warm server; peak RSS is the server's VmHWM, reset just before the run."""
    try:
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        started = time.perf_counter()
        status, body = call(server.port, "GET", f"/bench/{workload}?base={quote(base, safe='')}&c={concurrency}", 300)
        seconds = time.perf_counter() - started
        status_lines = Path(f"/proc/{server.pid}/status").read_text().splitlines()
    except OSError as exc:  # the server died, or the run took over 5 minutes
        return Run(float("nan"), 0.0, f"Node-RED trigger failed: {exc}")
    hwm_kb = next(int(line.split()[1]) for line in status_lines if line.startswith("VmHWM:"))
    return Run(seconds, hwm_kb / 1024, None if status == 200 else f"HTTP {status}: {body[-400:].decode()}")


# ---------------------------------------------------------------- the table


def summary(runs: list[Run], reference: float | None) -> tuple[str, float | None]:
    """A cell "ratio (median s, min–max)" and the ratio; invalid runs are counted in the cell, never dropped."""
    good = [r.seconds for r in runs if r.error is None]
    bad = len(runs) - len(good)
    if not good:
        return (f"**INVALID** ({bad}/{len(runs)} runs)" if runs else "-"), None
    median = statistics.median(good)
    ratio = median / reference if reference else None
    text = f"{ratio:.2f}" if ratio is not None else "-"
    text += f" ({median:.2f} s, {min(good):.2f}–{max(good):.2f})"
    return text + (f" **{bad}/{len(runs)} INVALID**" if bad else ""), ratio


def table(results: dict[tuple[str, str], list[Run]], workloads: list[str], engines: list[str]) -> str:
    """Rows = workloads and peak RSS; columns = engines, then flowdesk's target and whether it was met."""
    lines = [
        "| workload | " + " | ".join(engines) + " | target (flowdesk) | met? |",
        "|---" * (len(engines) + 3) + "|",
    ]
    for wl in workloads:
        ref_runs = [r.seconds for r in results[(wl, REFERENCE)] if r.error is None]
        reference = statistics.median(ref_runs) if ref_runs else None
        cells, ratios = [], {}
        for engine in engines:
            text, ratios[engine] = summary(results[(wl, engine)], reference)
            cells.append(text)
        fd_ratio = ratios.get("flowdesk")
        fd_invalid = any(r.error for r in results.get((wl, "flowdesk"), []))
        met = "-" if "flowdesk" not in engines else ("no (invalid runs)" if fd_invalid else "no")
        if fd_ratio is not None and not fd_invalid:
            met = "yes" if fd_ratio <= TARGETS[wl] else "no"
        lines.append(f"| {wl} | " + " | ".join(cells) + f" | ≤ {TARGETS[wl]:.2f} | {met} |")
    peaks = {
        e: max((r.rss_mb for wl in workloads for r in results[(wl, e)] if r.error is None), default=0) for e in engines
    }
    rss = [f"{peaks[e]:.0f} MB" + (" (server)" if e.startswith("nodered") else "") for e in engines]
    met = "-" if "flowdesk" not in engines else ("yes" if 0 < peaks["flowdesk"] <= RSS_TARGET_MB else "no")
    lines.append("| peak RSS | " + " | ".join(rss) + f" | ≤ {RSS_TARGET_MB:.0f} MB | {met} |")
    return "\n".join(lines)


def describe_machine(engines: list[str], reps: int, warmup: int) -> list[str]:
    """The lines above the table: when, on what (``uname -srm``, CPUs, versions) and how it was measured."""
    system = " ".join(os.uname()[i] for i in (0, 2, 4))
    versions = f"Python {platform.python_version()}"
    if any(e.startswith("nodered") for e in engines):
        node = subprocess.run([shutil.which("node") or "node", "--version"], capture_output=True, text=True)
        versions += f", Node.js {node.stdout.strip().lstrip('v')}, Node-RED {NODE_RED_VERSION}"
    return [
        f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"system: {system}, {os.cpu_count()} CPUs, {versions}",
        f"reps: {reps} (interleaved rounds), warm-up: {warmup}; cell = median / median({REFERENCE}) (median s,"
        " min–max s); Python engines are whole processes, Node-RED is trigger → response of a warm server",
    ]


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5, help="timed rounds per workload (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each engine per workload (default 1)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"{REFERENCE} always runs: it is the reference")
    parser.add_argument("--out", type=Path, help="also write the header and table (markdown) to this file")
    args = parser.parse_args()
    workloads = [w for w in args.workloads.split(",") if w]
    engines = [REFERENCE] + [e for e in args.engines.split(",") if e and e != REFERENCE]
    unknown = sorted(set(workloads) - set(WORKLOADS)) + sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown workload or engine: {', '.join(unknown)}")
    WORK.mkdir(parents=True, exist_ok=True)

    notes: list[str] = []
    if any(e.startswith("nodered") for e in engines) and (reason := nodered_install()):
        print(f"\n*** Node-RED skipped: {reason}\n", file=sys.stderr)
        notes.append(f"Node-RED skipped: {reason}")
        engines = [e for e in engines if not e.startswith("nodered")]

    results: dict[tuple[str, str], list[Run]] = {(wl, e): [] for wl in workloads for e in engines}
    invalid = 0
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(mock_server())
        base = f"http://127.0.0.1:{port}"
        py_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | LOOPBACK
        baseline = [sys.executable, str(HERE / "baseline_httpx.py")]
        runners: dict[str, Callable[[str], Run]] = {
            "httpx-c1": lambda wl: process_run([*baseline, wl, base, "--concurrency", "1"], py_env),
            "httpx-c8": lambda wl: process_run([*baseline, wl, base, "--concurrency", "8"], py_env),
        }
        if "flowdesk" in engines:
            data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="flowdesk-peers-")))
            fd_cmd = [*flowdesk_command(), "flow", "run"]
            try:
                fd_env = flowdesk_setup(base, data)
                runners["flowdesk"] = lambda wl: process_run(
                    [*fd_cmd, str(HERE / "flowdesk" / f"{wl}.flow.json")], fd_env
                )
            except RuntimeError as exc:  # every flowdesk run is then marked invalid, loudly
                runners["flowdesk"] = lambda wl, why=str(exc): Run(float("nan"), 0.0, why[-600:])
        if any(e.startswith("nodered") for e in engines):
            try:
                red = stack.enter_context(nodered_server())
                runners["nodered"] = lambda wl: nodered_run(red, wl, base, 1)
                runners["nodered-c8"] = lambda wl: nodered_run(red, wl, base, 8)
            except RuntimeError as exc:
                runners["nodered"] = runners["nodered-c8"] = lambda wl, why=str(exc): Run(float("nan"), 0.0, why[-600:])

        def measure(engine: str, wl: str, label: str) -> Run:
            nonlocal invalid
            call(port, "POST", "/reset")
            run = runners[engine](wl)
            stats = json.loads(call(port, "GET", "/stats")[1])
            if run.error is None and (problems := validate(wl, stats)):
                run.error = "; ".join(problems)
            if run.error:
                invalid += 1
                print(f"\n!!! INVALID RUN: {engine} {wl} ({label}): {run.error}\n", file=sys.stderr, flush=True)
            else:
                print(
                    f"  {wl:6} {engine:10} {label:7} {run.seconds:7.3f} s  {run.rss_mb:5.0f} MB"
                    f"  {stats['total_requests']} requests",
                    flush=True,
                )
            return run

        for wl in workloads:
            for i in range(args.warmup):
                for engine in engines:
                    measure(engine, wl, f"warm-up{i + 1}" if args.warmup > 1 else "warm-up")
            for i in range(args.reps):
                for engine in engines:
                    results[(wl, engine)].append(measure(engine, wl, f"run {i + 1}"))

    header = [*describe_machine(engines, args.reps, args.warmup), *notes]
    text = "\n".join(header) + "\n\n" + table(results, workloads, engines) + "\n"
    print("\n" + text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    if invalid:
        print(f"*** {invalid} invalid run(s): see the messages above", file=sys.stderr)
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
