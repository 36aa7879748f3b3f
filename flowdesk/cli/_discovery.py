"""``entity discover``: import a connection's endpoints from OpenAPI/Swagger, OData or GraphQL.

Prints the discovered entities that are new or changed, then the drift report in groups (added, changed,
skipped, removed upstream, unchanged); ``--json`` has it all under ``drift``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from flowdesk.cli._common import open_workspace, run_async
from flowdesk.cli._output import note, print_json, print_table

if TYPE_CHECKING:
    from flowdesk.discovery import DriftReport, DriftStatus

EXIT_OK = 0


def register_discover(entity_commands: argparse._SubParsersAction[Any]) -> None:
    disc = entity_commands.add_parser("discover", help="import endpoints as entities from an API description")
    disc.add_argument("connection")
    source = disc.add_mutually_exclusive_group(required=True)
    source.add_argument("--openapi", metavar="FILE|URL", help="OpenAPI 3.x or Swagger 2.0 (JSON or YAML)")
    source.add_argument("--odata", metavar="URL", help="OData service root or its $metadata URL (or a file)")
    source.add_argument("--graphql", metavar="URL", help="GraphQL endpoint (introspection), or an SDL file")
    disc.add_argument("--tag", action="append", default=[], help="only operations with this tag (repeatable)")
    disc.add_argument(
        "--replace",
        action="store_true",
        help="make the entities exactly the discovered ones: overwrite edited and hand-made ones, drop the rest "
        "(default: add new ones, update those the description changed, keep edited, hand-made and removed ones)",
    )
    disc.add_argument("--dry-run", action="store_true", help="show what importing would change, save nothing")
    disc.add_argument("--json", action="store_true")
    disc.set_defaults(handler=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:

    async def run() -> Any:
        ws = open_workspace(args)
        try:
            return await ws.discover(
                args.connection,
                openapi=args.openapi,
                odata=args.odata,
                graphql=args.graphql,
                tags=args.tag,
                replace=args.replace,
                dry_run=args.dry_run,
            )
        finally:
            await ws.aclose()

    result = run_async(run())
    drift = result.drift
    if args.json:
        print_json(
            {
                "source": result.source,
                "title": result.title,
                "saved": drift is not None and drift.saved,
                "dry_run": args.dry_run,
                "entities": [e.model_dump(mode="json", by_alias=True) for e in result.entities],
                "drift": drift.to_dict() if drift is not None else None,
                "base_urls": result.base_urls,
                "auth_suggestions": result.auth_suggestions,
                "notes": result.notes,
                "warnings": result.warnings,
                "extras": result.extras,
            }
        )
        return EXIT_OK
    print(f"{result.source}: {result.title or 'untitled'} — {len(result.entities)} entities in the description")
    shown = result.entities
    if drift is not None:
        fresh = {e.name for e in drift.entries if e.status in ("added", "changed")}
        shown = [e for e in result.entities if e.name in fresh]
    if shown:
        print_table(
            ["name", "method", "path", "data path", "pagination", "tags"],
            [[e.name, e.method, e.path or "/", e.data_path or "$", e.pagination.type, ",".join(e.tags)] for e in shown],
        )
        shown_names = {e.name for e in shown}
        for name, lines in result.notes.items():
            if name in shown_names:
                for line in lines:
                    print(f"  guess ({name}): {line}")
    if drift is not None:
        _print_drift(drift, dry_run=args.dry_run)
    if result.base_urls:
        print("base URL offered by the description: " + ", ".join(result.base_urls))
    for suggestion in result.auth_suggestions:
        print(f"auth suggested: {suggestion}")
    for warning in result.warnings:
        note(f"warning: {warning}")
    counts = drift.counts() if drift is not None else {}
    summary = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items() if n) or "nothing"
    if args.dry_run:
        note(f"dry run: nothing saved (would be: {summary})")
    elif drift is not None and not drift.saved:
        note(f"{args.connection!r} is up to date: nothing to save ({summary})")
    else:
        note(f"saved to {args.connection!r}: {summary}")
    return EXIT_OK


_HEADINGS: dict[DriftStatus, str] = {
    "added": "added (in the table above)",
    "changed": "changed (stored → description)",
    "skipped": "skipped, kept as stored (stored → description)",
    "removed_upstream": "removed upstream",
    "removed": "removed (--replace)",
}


def _print_drift(drift: DriftReport, *, dry_run: bool) -> None:
    """The drift report in groups; ``changes`` read stored → description."""
    if dry_run:
        print("dry run — what importing would do:")
    for status, heading in _HEADINGS.items():
        entries = drift.group(status)
        if not entries:
            continue
        print(f"{heading}: {len(entries)}")
        if status == "added":
            continue
        for entry in entries:
            print(f"  {entry.name}" + (f": {entry.reason}" if entry.reason else ""))
            for change in entry.changes:
                print(f"    - {change}")
    unchanged = drift.group("unchanged")
    if unchanged:
        names = ", ".join(e.name for e in unchanged[:10]) + (" …" if len(unchanged) > 10 else "")
        print(f"unchanged: {len(unchanged)} ({names})")
