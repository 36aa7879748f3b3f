"""``flow …`` and ``runs …``: import, validate and run flows headless; read the run history."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowdesk.cli._common import key_values, open_workspace, run_async, settle
from flowdesk.cli._output import note, plain, print_json, print_table, when
from flowdesk.model.errors import NotFoundError

if TYPE_CHECKING:  # the models, the workspace and the engine load when a command runs
    from flowdesk.model.flow import Flow
    from flowdesk.workspace import Workspace

EXIT_OK, EXIT_FAILED = 0, 1


def register(commands: argparse._SubParsersAction[Any]) -> None:
    flow = commands.add_parser("flow", help="import, list, export, validate or run flows")
    sub = flow.add_subparsers(title="flow commands", metavar="ACTION", required=True)

    imp = sub.add_parser("import", help="store a .flow.json (or YAML) file in the workspace")
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=cmd_import)

    lst = sub.add_parser("list", help="list the workspace's flows")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)

    exp = sub.add_parser("export", help="print a stored flow as a .flow.json file")
    exp.add_argument("name")
    exp.add_argument("--out", type=Path)
    exp.set_defaults(handler=cmd_export)

    val = sub.add_parser("validate", help="check a flow file against node types and connections")
    val.add_argument("file", type=Path)
    val.set_defaults(handler=cmd_validate)

    run = sub.add_parser("run", help="run a flow file or a stored flow, headless")
    run.add_argument("flow", help="a flow file path, or the name of a stored flow")
    run.add_argument("--var", action="append", metavar="NAME=VALUE", help="set a flow variable")
    run.add_argument("--json", action="store_true", help="print the result as JSON")
    run.set_defaults(handler=cmd_run)

    runs = commands.add_parser("runs", help="the run history")
    rsub = runs.add_subparsers(title="runs commands", metavar="ACTION", required=True)
    rlist = rsub.add_parser("list", help="recent runs")
    rlist.add_argument("--flow", help="only runs of this flow")
    rlist.add_argument("--limit", type=int, default=50)
    rlist.add_argument("--json", action="store_true")
    rlist.set_defaults(handler=cmd_runs_list)
    rshow = rsub.add_parser("show", help="one run: nodes, counts, API calls, errors")
    rshow.add_argument("run_id")
    rshow.add_argument("--json", action="store_true")
    rshow.set_defaults(handler=cmd_runs_show)


def _load_flow(ws: Workspace, ref: str | Path) -> Flow:
    """A flow from a file (validated against the workspace), or a stored flow by name."""
    from flowdesk.model import read_document

    path = Path(ref)
    if path.suffix.lower() in (".json", ".yaml", ".yml") or path.exists():
        return ws.validate_flow(read_document(path))
    try:
        return ws.get_flow(str(ref))
    except NotFoundError:
        raise NotFoundError(f"{ref!r} is neither a flow file nor a stored flow (see `flowdesk flow list`)") from None


def cmd_import(args: argparse.Namespace) -> int:
    from flowdesk.model import read_document

    ws = open_workspace(args)
    try:
        flow = ws.validate_flow(read_document(args.file))
        ws.save_flow(flow)
    finally:
        ws.close()
    note(f"Imported flow {flow.name!r} ({len(flow.nodes)} nodes, {len(flow.edges)} edges)")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        flows = ws.list_flows()
    finally:
        ws.close()
    if args.json:
        print_json([plain(f) for f in flows])
    else:
        print_table(
            ["name", "nodes", "updated", "last run"],
            [[f.name, f.node_count, when(f.updated_at), f.last_run_status] for f in flows],
        )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        data = ws.export_flow(args.name)
    finally:
        ws.close()
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        note(f"Wrote {args.out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from flowdesk.model import read_document

    ws = open_workspace(args)
    try:
        flow = ws.validate_flow(read_document(args.file))
    finally:
        ws.close()
    print(f"✓ {args.file}: flow {flow.name!r} is valid ({len(flow.nodes)} nodes, {len(flow.edges)} edges)")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:

    variables: dict[str, Any] = {k: _typed(v) for k, v in key_values(args.var, "--var").items()}
    return run_async(_run(args, variables))


async def _run(args: argparse.Namespace, variables: dict[str, Any]) -> int:
    import asyncio

    ws = open_workspace(args)
    display = _Progress(sys.stderr.isatty())
    try:
        flow = _load_flow(ws, args.flow)
        display.flow = flow.name
        settle()  # the flow and what it loaded live until the process ends
        task = asyncio.current_task()
        assert task is not None
        try:
            result = await ws.run_flow(flow, variables=variables, on_event=display.observe)
        except asyncio.CancelledError:
            display.close()
            runs = ws.list_runs(flow=flow.name, limit=1)
            run_id = runs[0].id if runs else None
            if args.json:
                print_json({"status": "cancelled", "run_id": run_id})
            note(f"run {run_id} cancelled")
            raise KeyboardInterrupt from None
    finally:
        display.close()
        await ws.aclose()
    counts = {
        node_id: {"items_in": n.items_in, "items_out": n.items_out, "errors": n.errors}
        for node_id, n in display.progress.nodes.items()
    }
    if args.json:
        print_json(
            {
                "status": result.status,
                "run_id": result.run_id,
                "duration_ms": round(result.duration_ms, 1),
                "error": result.error,
                "api_calls": display.progress.api_calls,
                "retries": display.progress.retries,
                "nodes": counts,
                "warnings": display.progress.warnings,
            }
        )
    else:
        print(f"{result.status}: flow {flow.name!r} run {result.run_id} in {result.duration_ms / 1000:.2f} s")
        print_table(
            ["node", "in", "out", "errors"],
            [[node_id, c["items_in"], c["items_out"], c["errors"]] for node_id, c in counts.items()],
        )
        if result.error:
            print(f"error: {result.error}")
        for warning in display.progress.warnings:
            note(f"warning: {warning}")
    return EXIT_OK if result.status == "succeeded" else EXIT_FAILED


class _Progress:
    """Live progress on stderr: a redrawn line on a terminal, plain lines otherwise."""

    def __init__(self, tty: bool) -> None:
        from flowdesk.workspace._runs import RunProgress

        self.tty = tty
        self.flow = ""
        self.progress = RunProgress()
        self._last_draw = 0.0
        self._drawn = False

    def observe(self, event: Any) -> None:
        self.progress.observe(event)
        kind = getattr(event, "kind", "")
        if not self.tty:
            if kind == "node_finished":
                sys.stderr.write(
                    f"node {event.node_id}: {event.items_in} in, {event.items_out} out, {event.errors} errors\n"
                )
            elif kind == "node_failed":
                sys.stderr.write(f"node {event.node_id} failed: {event.error}\n")
            return
        now = time.perf_counter()
        if now - self._last_draw >= 0.1 or kind == "run_finished":
            self._last_draw = now
            p = self.progress
            total = len(p.nodes) or 1
            line = (
                f"\r{self.flow}: nodes {p.nodes_done}/{total} · {p.items:,} items · "
                f"{p.items_per_second:,.0f}/s · {p.api_calls:,} API calls · {p.retries} retries"
            )
            sys.stderr.write(line.ljust(100))
            sys.stderr.flush()
            self._drawn = True

    def close(self) -> None:
        if self._drawn:
            sys.stderr.write("\n")
            self._drawn = False


def cmd_runs_list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        runs = ws.list_runs(flow=args.flow, limit=args.limit)
    finally:
        ws.close()
    if args.json:
        print_json([plain(r) for r in runs])
    else:
        print_table(
            ["id", "flow", "status", "trigger", "started", "duration s"],
            [[r.id, r.flow_name, r.status, r.trigger, when(r.started_at), _duration(r)] for r in runs],
        )
    return EXIT_OK


def cmd_runs_show(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        detail = ws.get_run(args.run_id)
    finally:
        ws.close()
    data = plain(detail)
    if args.json:
        print_json(data)
        return EXIT_OK
    info = data.get("info", data)
    print(f"run {info.get('id')}: flow {info.get('flow_name')!r} {info.get('status')}")
    if info.get("error"):
        print(f"error: {info['error']}")
    summary = info.get("summary") or {}
    warnings = summary.get("warnings") or []
    if warnings:
        total = summary.get("warnings_total", len(warnings))
        print(f"{total} warning(s)" + (f", the first {len(warnings)}:" if total > len(warnings) else ":"))
        for warning in warnings:
            print(f"  warning: {warning}")
    print_table(
        ["node", "in", "out", "errors", "ms", "error"],
        [
            [n["node_id"], n["items_in"], n["items_out"], n["errors"], n["duration_ms"], n.get("error")]
            for n in data.get("nodes", [])
        ],
    )
    calls = data.get("api_calls", [])
    print(f"{len(calls)} API call(s)")
    print_table(
        ["method", "url", "status", "ms", "attempt", "error"],
        [[c["method"], c["url"], c["status"], c["duration_ms"], c["attempt"], c.get("error")] for c in calls[:50]],
    )
    return EXIT_OK


def _duration(run: Any) -> str | None:
    start, end = getattr(run, "started_at", None), getattr(run, "finished_at", None)
    if isinstance(start, int | float) and isinstance(end, int | float):
        return f"{end - start:.2f}"
    return None


def _typed(text: str) -> Any:
    """``--var n=5`` gives 5, ``--var on=true`` gives True, ``--var s=abc`` stays text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
