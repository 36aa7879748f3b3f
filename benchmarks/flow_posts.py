"""2,000 POSTs, one per item, concurrency 8: a ``loop`` → ``transform`` → ``api_call`` flow vs plain httpx.

usage: python benchmarks/flow_posts.py [--reps 5]
``flowdesk flow run`` (a whole process) against the same demo server as ``baseline_httpx.py posts
--concurrency 8``, interleaved; prints medians, ratios (plain httpx = 1.00) and peak RSS. Target: flowdesk
at most 1.15x.
"""

from __future__ import annotations

import argparse
import json
import subprocess

from _harness import FLOWDESK, PYTHON, ROOT, compare, demo_server, flowdesk_env, print_table, temp_dir

POSTS = 2000


def posts_flow() -> dict[str, object]:
    return {
        "format": "flowdesk.flow",
        "version": 1,
        "name": "bench-posts",
        "variables": {"numbers": list(range(POSTS))},
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "each", "type": "loop", "config": {"mode": "each", "field": "numbers", "as": "i"}},
            {"id": "shape", "type": "transform",
             "config": {"set": {"ref": "o-{i}"}, "compute": {"qty": "1 + i % 5"}, "pick": ["ref", "qty"]}},
            {"id": "create", "type": "api_call",
             "config": {"connection": "demo-crm", "entity": "create_item", "body_from_item": True, "concurrency": 8}},
        ],
        "edges": [
            {"source": "start.out", "target": "each.in"},
            {"source": "each.each", "target": "shape.in"},
            {"source": "shape.out", "target": "create.in"},
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    data = temp_dir()
    env = flowdesk_env(data)
    flow_file = data / "posts.flow.json"
    flow_file.write_text(json.dumps(posts_flow()))
    with demo_server() as base:
        conn_file = data / "demo.json"
        from flowdesk.demo import demo_connection_data

        conn_file.write_text(json.dumps(demo_connection_data(base)))
        subprocess.run([*FLOWDESK, "connection", "add", str(conn_file)], env=env, check=True, capture_output=True)
        runs = {
            "plain httpx, 8 at once (baseline)": [
                PYTHON, str(ROOT / "benchmarks" / "baseline_httpx.py"), "posts", base, "--concurrency", "8",
            ],
            "flowdesk flow run (api_call, concurrency 8)": [*FLOWDESK, "flow", "run", str(flow_file), "--json"],
        }
        timings = compare(runs, args.reps, env)
    print(f"{POSTS:,} POSTs, one per item, concurrency 8, medians of {args.reps} whole-process runs")
    print_table(timings, "plain httpx, 8 at once (baseline)")


if __name__ == "__main__":
    main()
