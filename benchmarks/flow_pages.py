"""1,000 pages of 100 records read by an ``api_call`` → ``output`` flow vs a plain httpx loop.

usage: python benchmarks/flow_pages.py [--reps 5]
``flowdesk flow run`` (a whole process: start-up, store, run history, the JSON Lines file) against the same
demo server as a plain httpx loop that writes the same JSON Lines file (``--baseline``, the same work: the
ratio's reference) and ``baseline_httpx.py pages`` (which only counts the records), interleaved; prints
medians, ratios and peak RSS. Targets: flowdesk at most 1.15x, peak RSS under 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess

from _harness import FLOWDESK, PYTHON, ROOT, compare, demo_server, flowdesk_env, print_table, temp_dir


def pages_flow(out: str) -> dict[str, object]:
    return {
        "format": "flowdesk.flow",
        "version": 1,
        "name": "bench-pages",
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "items", "type": "api_call",
             "config": {"connection": "demo-crm", "entity": "list_items", "all_pages": True}},
            {"id": "save", "type": "output", "config": {"path": out, "format": "jsonl"}},
        ],
        "edges": [{"source": "start.out", "target": "items.in"}, {"source": "items.out", "target": "save.in"}],
    }


async def plain_httpx_to_file(base: str, out: str) -> None:
    """What a person would write by hand: page through /api/items and write each record as a JSON line."""
    import httpx

    offset = 0
    async with httpx.AsyncClient(headers={"X-API-Key": "demo-key"}, timeout=30) as client:
        with open(out, "w", encoding="utf-8") as file:
            while True:
                response = await client.get(f"{base}/api/items", params={"offset": offset, "limit": 100})
                response.raise_for_status()
                records = response.json()["data"]
                file.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
                if len(records) < 100:
                    return
                offset += 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--baseline", nargs=2, metavar=("BASE_URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        asyncio.run(plain_httpx_to_file(*args.baseline))
        return
    data = temp_dir()
    env = flowdesk_env(data)
    flow_file = data / "pages.flow.json"
    flow_file.write_text(json.dumps(pages_flow(str(data / "items.jsonl"))))
    with demo_server() as base:
        conn_file = data / "demo.json"
        from flowdesk.demo import demo_connection_data

        conn_file.write_text(json.dumps(demo_connection_data(base)))
        subprocess.run([*FLOWDESK, "connection", "add", str(conn_file)], env=env, check=True, capture_output=True)
        runs = {
            "plain httpx loop → JSON Lines (baseline)": [
                PYTHON, str(ROOT / "benchmarks" / "flow_pages.py"), "--baseline", base, str(data / "plain.jsonl"),
            ],
            "plain httpx loop, counting only": [PYTHON, str(ROOT / "benchmarks" / "baseline_httpx.py"), "pages", base],
            "flowdesk flow run (api_call → output)": [*FLOWDESK, "flow", "run", str(flow_file), "--json"],
        }
        timings = compare(runs, args.reps, env)
    lines = sum(1 for _ in (data / "items.jsonl").open())
    print(f"1,000 pages × 100 records, medians of {args.reps} whole-process runs ({lines:,} lines written)")
    print_table(timings, "plain httpx loop → JSON Lines (baseline)")


if __name__ == "__main__":
    main()
