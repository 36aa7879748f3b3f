"""1,000 pages of 100 records from the demo API: ``flowdesk call --all-pages`` vs a plain httpx loop.

usage: python benchmarks/call_pages.py [--reps 5]
Both are whole processes doing the same work -- fetch every page, print the records as one JSON array --
against the same demo server (its own process), interleaved; prints medians,
ratios (plain httpx = 1.00) and peak RSS. Target: flowdesk at most 1.15x.
"""

from __future__ import annotations

import argparse
import json
import subprocess

from _harness import FLOWDESK, PYTHON, ROOT, compare, demo_server, flowdesk_env, print_table, temp_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    data = temp_dir()
    env = flowdesk_env(data)
    with demo_server() as base:
        conn_file = data / "demo.json"
        from flowdesk.demo import demo_connection_data

        conn_file.write_text(json.dumps(demo_connection_data(base)))
        subprocess.run([*FLOWDESK, "connection", "add", str(conn_file)], env=env, check=True, capture_output=True)
        runs = {
            "plain httpx loop (baseline)": [
                PYTHON,
                str(ROOT / "benchmarks" / "baseline_httpx.py"),
                "pages",
                base,
                "--print",
            ],
            "flowdesk call --all-pages --json": [*FLOWDESK, "call", "demo-crm", "list_items", "--all-pages", "--json"],
        }
        timings = compare(runs, args.reps, env)
    print(f"1,000 pages × 100 records, medians of {args.reps} whole-process runs")
    print_table(timings, "plain httpx loop (baseline)")


if __name__ == "__main__":
    main()
