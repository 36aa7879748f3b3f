"""``member add | list | remove`` and ``audit list``: who may do what, and what was done."""

from __future__ import annotations

import argparse
import json
from typing import Any

from flowdesk.cli._common import open_workspace
from flowdesk.cli._output import note, plain, print_json, print_table, when
from flowdesk.model.errors import UserError

EXIT_OK = 0
ROLES = ("admin", "editor", "viewer")


def register(commands: argparse._SubParsersAction[Any]) -> None:
    member = commands.add_parser(
        "member",
        help="add or list the members of a workspace (roles admin, editor, viewer)",
        description=(
            "Roles: admin adds, edits and removes connections, entities and members and authorises connections; "
            "editor uses connections (calls, tests, flows); viewer sees flows and runs and connection names. The "
            "first user to open a new workspace is its admin; act as someone else with the global --user."
        ),
    )
    sub = member.add_subparsers(title="member commands", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a member, or change their role (admin only)")
    add.add_argument("member", metavar="USER")  # not "user": that is the global --user, the acting user
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(handler=cmd_member_add)
    lst = sub.add_parser("list", help="list the members and their roles")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_member_list)
    remove = sub.add_parser("remove", help="remove a member (admin only; the last admin stays)")
    remove.add_argument("member", metavar="USER")
    remove.set_defaults(handler=cmd_member_remove)

    audit = commands.add_parser("audit", help="the audit trail: changes and API calls, who and when")
    asub = audit.add_subparsers(title="audit commands", metavar="ACTION", required=True)
    alist = asub.add_parser(
        "list",
        help="list the newest changes and API calls (admin only)",
        description=(
            "One trail, newest first, merging two sources by time: changes (kind 'change': connections created, "
            "edited, removed, authorised, refreshed, disconnected, entities, members, flows) and API calls (kind "
            "'call': method, redacted URL, status, who made it). --limit caps the lines printed (default 100); "
            "--changes-only leaves the API calls out. No secrets are ever recorded."
        ),
    )
    alist.add_argument("--json", action="store_true", help="a JSON array of {at, user, kind, action, target, detail}")
    alist.add_argument("--limit", type=int, default=100, metavar="N", help="at most N lines (default 100)")
    alist.add_argument("--changes-only", action="store_true", help="leave out the API calls")
    alist.set_defaults(handler=cmd_audit_list)


def cmd_member_add(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        before = ws.add_member(args.member, args.role)
    finally:
        ws.close()
    if before is None:
        note(f"Added {args.member!r} to workspace {ws.name!r} as {args.role}")
    elif before == args.role:
        note(f"{args.member!r} already is {args.role} in workspace {ws.name!r}")
    else:
        note(f"{args.member!r} is now {args.role} in workspace {ws.name!r} (was {before})")
    return EXIT_OK


def cmd_member_list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        members = ws.list_members()
    finally:
        ws.close()
    if args.json:
        print_json([plain(m) for m in members])
        return EXIT_OK
    print_table(["user", "role", "added"], [[m.user, m.role, when(m.added_at)] for m in members])
    return EXIT_OK


def cmd_member_remove(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        before = ws.remove_member(args.member)
    finally:
        ws.close()
    note(f"Removed {args.member!r} ({before}) from workspace {ws.name!r}")
    return EXIT_OK


def cmd_audit_list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1 (got {args.limit})")
    ws = open_workspace(args)
    try:
        records = ws.audit_trail(limit=args.limit, calls=not args.changes_only)
    finally:
        ws.close()
    if args.json:
        print_json([plain(r) for r in records])
        return EXIT_OK
    print_table(
        ["at", "user", "kind", "action", "target", "detail"],
        [[when(r.at), r.user, r.kind, r.action, r.target, _detail(r.detail)] for r in records],
    )
    return EXIT_OK


def _detail(detail: dict[str, Any] | None) -> str | None:
    if not detail:
        return None
    if {"method", "url"} <= detail.keys():
        status = detail.get("status")
        text = f"{detail['method']} {detail['url']} → {status if status is not None else 'no response'}"
        return f"{text} ({detail['error']})" if detail.get("error") else text
    return json.dumps(detail, ensure_ascii=False, separators=(",", ":"), default=str)
