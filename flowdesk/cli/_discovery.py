"""``entity discover``: import a connection's endpoints from OpenAPI/Swagger, OData or GraphQL."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from flowdesk.cli._common import open_workspace
from flowdesk.cli._output import note, print_json, print_table

EXIT_OK = 0


def register_discover(entity_commands: argparse._SubParsersAction[Any]) -> None:
    disc = entity_commands.add_parser("discover", help="import endpoints as entities from an API description")
    disc.add_argument("connection")
    source = disc.add_mutually_exclusive_group(required=True)
    source.add_argument("--openapi", metavar="FILE|URL", help="OpenAPI 3.x or Swagger 2.0 (JSON or YAML)")
    source.add_argument("--odata", metavar="URL", help="OData service root or its $metadata URL (or a file)")
    source.add_argument("--graphql", metavar="URL", help="GraphQL endpoint (introspection), or an SDL file")
    disc.add_argument("--tag", action="append", default=[], help="only operations with this tag (repeatable)")
    disc.add_argument("--replace", action="store_true", help="replace all entities instead of merging by name")
    disc.add_argument("--dry-run", action="store_true", help="show what would be imported, save nothing")
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

    result = asyncio.run(run())
    if args.json:
        print_json(
            {
                "source": result.source,
                "title": result.title,
                "saved": not args.dry_run,
                "entities": [e.model_dump(mode="json", by_alias=True) for e in result.entities],
                "base_urls": result.base_urls,
                "auth_suggestions": result.auth_suggestions,
                "notes": result.notes,
                "warnings": result.warnings,
                "extras": result.extras,
            }
        )
        return EXIT_OK
    print(f"{result.source}: {result.title or 'untitled'} — {len(result.entities)} entities")
    print_table(
        ["name", "method", "path", "data path", "pagination", "tags"],
        [
            [e.name, e.method, e.path or "/", e.data_path or "$", e.pagination.type, ",".join(e.tags)]
            for e in result.entities
        ],
    )
    for name, lines in result.notes.items():
        for line in lines:
            print(f"  guess ({name}): {line}")
    if result.base_urls:
        print("base URL offered by the description: " + ", ".join(result.base_urls))
    for suggestion in result.auth_suggestions:
        print(f"auth suggested: {suggestion}")
    for warning in result.warnings:
        note(f"warning: {warning}")
    if args.dry_run:
        note("dry run: nothing saved")
    else:
        note(f"saved {len(result.entities)} entities to {args.connection!r}")
    return EXIT_OK
