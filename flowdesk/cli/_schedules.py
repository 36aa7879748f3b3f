"""``schedule …``: list the schedule triggers of the stored flows, and run them headless (``schedule serve``)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from flowdesk.cli._common import open_workspace
from flowdesk.cli._output import note, plain, print_json, print_table, when
from flowdesk.cli._webhooks import report_run, run_until_stopped

if TYPE_CHECKING:
    from flowdesk.workspace import ScheduleInfo

EXIT_OK = 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    schedule = commands.add_parser("schedule", help="scheduled flows: list them, or run them headless")
    sub = schedule.add_subparsers(title="schedule commands", metavar="ACTION", required=True)

    lst = sub.add_parser("list", help="every schedule trigger with its next fire time")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)

    serve = sub.add_parser("serve", help="run the scheduled flows at their times until Ctrl-C")
    serve.set_defaults(handler=cmd_serve)


def _rows(schedules: list[ScheduleInfo]) -> list[list[Any]]:
    return [
        [
            s.flow,
            s.node_id,
            s.cron,
            s.timezone,
            when(s.next_at) or "never",
            when(s.last_fired_at),
            "yes" if s.catch_up else "no",
            "yes" if s.allow_overlap else "no",
        ]
        for s in schedules
    ]


_HEADERS = ["flow", "trigger", "cron", "timezone", "next run", "last handled", "catch up", "overlap"]


def cmd_list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        schedules = ws.schedules()
    finally:
        ws.close()
    if args.json:
        print_json(
            [
                {
                    **plain(s),
                    "next_at": s.next_at.isoformat() if s.next_at else None,
                    "last_fired_at": s.last_fired_at.isoformat() if s.last_fired_at else None,
                }
                for s in schedules
            ]
        )
        return EXIT_OK
    print_table(_HEADERS, _rows(schedules))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        schedules = ws.schedules()
    except BaseException:
        ws.close()
        raise

    async def serve() -> None:
        # printed from inside the loop: once this is out, Ctrl-C and SIGTERM stop the scheduler cleanly
        print_table(_HEADERS, _rows(schedules))
        sys.stdout.flush()
        if not schedules:
            note("No flow has a schedule trigger yet; flows saved while this runs are picked up.")
        note("Running scheduled flows (times in local time above; Ctrl-C stops)")
        await ws.serve_schedules(on_run=report_run, log=note)

    return run_until_stopped(ws, serve, what="run the scheduler")
