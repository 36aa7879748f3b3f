"""Per-item overhead of the engine: 100,000 in-memory items through a ``condition`` → ``transform`` chain.

usage: python benchmarks/flow_chain.py [--reps 5] [--items 100000]
The items are fed to the condition (a run started at that node, as the canvas's "run from here" does), the
transform fills a template and a constant for the items that pass. The same work written as a plain Python
loop is timed in the same process for the ratio. Target: at least 200,000 items/s through the flow.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from flowdesk.engine import FlowRunner
from flowdesk.model.flow import Flow

CHAIN = Flow.model_validate(
    {
        "name": "chain",
        "nodes": [
            {"id": "check", "type": "condition", "config": {"expression": "amount >= 10 and region != 'LATAM'"}},
            {"id": "tidy", "type": "transform", "config": {"set": {"label": "{name} ({region})", "checked": True}}},
        ],
        "edges": [{"source": "check.true", "target": "tidy.in"}],
    }
)
REGIONS = ("EU", "US", "APAC", "LATAM")


def make_items(count: int) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"customer {i}", "region": REGIONS[i % 4], "amount": i % 100} for i in range(count)]


def plain_loop(items: list[dict[str, Any]]) -> int:
    """What a person would write by hand for the same work."""
    out = []
    for item in items:
        if item["amount"] >= 10 and item["region"] != "LATAM":
            new = dict(item)
            new["label"] = f"{item['name']} ({item['region']})"
            new["checked"] = True
            out.append(new)
    return len(out)


async def through_flow(items: list[dict[str, Any]]) -> int:
    events = 0

    def observe(event: Any) -> None:  # events on, as in the window and the CLI
        nonlocal events
        events += 1

    runner = FlowRunner(CHAIN, clients=None, start_at="check", start_inputs={"in": items}, on_event=observe)  # type: ignore[arg-type]
    result = await runner.run()
    assert result.status == "succeeded", result.error
    return result.counts["tidy"]["out"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    items = make_items(args.items)
    expected = plain_loop(items)
    flow_s: list[float] = []
    plain_s: list[float] = []
    asyncio.run(through_flow(items))  # warm-up: compiled expressions and templates are cached
    for _ in range(args.reps):
        started = time.perf_counter()
        assert plain_loop(items) == expected
        plain_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert asyncio.run(through_flow(items)) == expected
        flow_s.append(time.perf_counter() - started)
    flow_rate = args.items / statistics.median(flow_s)
    plain_rate = args.items / statistics.median(plain_s)
    print(f"{args.items:,} items through condition → transform, medians of {args.reps} runs")
    print(f"{'run':<40} {'items/s':>12} {'ratio':>7}")
    print(f"{'plain Python loop (baseline)':<40} {plain_rate:>12,.0f} {1.0:>7.2f}")
    print(f"{'flowdesk FlowRunner':<40} {flow_rate:>12,.0f} {plain_rate / flow_rate:>7.2f}")
    print(f"target ≥ 200,000 items/s: {'met' if flow_rate >= 200_000 else 'MISSED'}")


if __name__ == "__main__":
    main()
