"""``connection …``, ``entity list`` and ``call``: connections, their entities, one-off calls."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowdesk.cli._common import key_values, open_workspace, run_async
from flowdesk.cli._output import note, plain, preview, print_json, print_table, when
from flowdesk.model.errors import UserError

if TYPE_CHECKING:
    from flowdesk.model import Entity

EXIT_OK, EXIT_FAILED = 0, 1


def register(commands: argparse._SubParsersAction[Any]) -> None:
    conn = commands.add_parser(
        "connection", help="add, list, show, test, export, remove, authorize, refresh or disconnect connections"
    )
    sub = conn.add_subparsers(title="connection commands", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="add a connection from a JSON or YAML file")
    add.add_argument("file", type=Path)
    add.add_argument("--replace", action="store_true", help="replace a connection of the same name")
    add.set_defaults(handler=cmd_add)

    lst = sub.add_parser("list", help="list the workspace's connections")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help="show one connection's settings (secrets masked)")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    test = sub.add_parser("test", help="run the connection's test request")
    test.add_argument("name")
    test.add_argument("--entity", help="test this entity instead of GET base URL")
    test.add_argument("--json", action="store_true")
    test.set_defaults(handler=cmd_test)

    export = sub.add_parser("export", help="print the connection as a file, without secrets")
    export.add_argument("name")
    export.add_argument("--out", type=Path, help="write to this file instead of stdout")
    export.set_defaults(handler=cmd_export)

    remove = sub.add_parser("remove", help="delete a connection, its entities and its secrets")
    remove.add_argument("name")
    remove.set_defaults(handler=cmd_remove)
    _register_oauth(sub)

    entity = commands.add_parser("entity", help="list (or discover) a connection's entities")
    esub = entity.add_subparsers(title="entity commands", metavar="ACTION", required=True)
    elist = esub.add_parser("list", help="list a connection's entities")
    elist.add_argument("connection")
    elist.add_argument("--json", action="store_true")
    elist.set_defaults(handler=cmd_entity_list)
    _register_discover(esub)

    call = commands.add_parser("call", help="call one entity (or a /path) of a connection")
    call.add_argument("connection")
    call.add_argument("entity", help="entity name, or a path starting with / for a plain GET")
    call.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="path parameter")
    call.add_argument("-q", "--query", action="append", metavar="NAME=VALUE", help="query parameter")
    call.add_argument("-H", "--header", action="append", metavar="'NAME: VALUE'", help="request header")
    call.add_argument("--body", help="JSON body, or @FILE to read it from a file")
    call.add_argument("--all-pages", action="store_true", help="follow the entity's pagination to the end")
    call.add_argument("--json", action="store_true", help="print the records as one JSON array")
    call.add_argument(
        "--check-contract",
        action="store_true",
        help="check the records against the entity's response schema (or schema fields); mismatches are "
        "warnings on stderr",
    )
    call.set_defaults(handler=cmd_call)


def _register_oauth(connection_commands: argparse._SubParsersAction[Any]) -> None:
    """``connection authorize | refresh | disconnect`` live with the OAuth commands."""
    from flowdesk.cli import _authorize

    _authorize.register_oauth(connection_commands)


def _register_discover(entity_commands: argparse._SubParsersAction[Any]) -> None:
    """``entity discover`` lives with the discovery commands."""
    from flowdesk.cli import _discovery

    _discovery.register_discover(entity_commands)


def cmd_add(args: argparse.Namespace) -> int:
    from flowdesk.model import load_connection, secret_values

    connection = load_connection(args.file)
    ws = open_workspace(args)
    try:
        ws.add_connection(connection, replace=args.replace)
    finally:
        ws.close()
    secrets = len(secret_values(connection))
    note(
        f"Added connection {connection.name!r} ({connection.service}, {connection.auth.type} auth, "
        f"{len(connection.entities)} entities, {secrets} secret(s) sealed) to workspace {ws.name!r}"
    )
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        rows = ws.list_connections()
    finally:
        ws.close()
    if args.json:
        print_json([plain(r) for r in rows])
        return EXIT_OK
    print_table(
        ["name", "service", "base url", "auth", "entities", "status", "last used", "calls 24h"],
        [
            [r.name, r.service, r.base_url, r.auth_type, r.entity_count, r.last_status, when(r.last_used), r.calls_24h]
            for r in rows
        ],
    )
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        data = ws.export_connection(args.name)
        usage = ws.usage(args.name)
    finally:
        ws.close()
    for path in data.pop("reenter_secrets"):
        _mask(data, path)
    data["usage"] = {
        "last_used": when(usage.last_used),
        "calls_24h": usage.calls_24h,
        "success_rate": usage.success_rate,
        "recent_errors": [
            {"at": when(e.at), "endpoint": e.url, "status": e.status, "error": e.error, "attempt": e.attempt}
            for e in usage.recent_errors
        ],
    }
    print_json(data)
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:

    async def run() -> Any:
        ws = open_workspace(args)
        try:
            return await ws.test_connection(args.name, args.entity)
        finally:
            await ws.aclose()

    result = run_async(run())
    if args.json:
        print_json(
            {
                "ok": result.ok,
                "status": result.status,
                "elapsed_ms": round(result.elapsed_ms, 1),
                "preview": result.preview,
                "error": result.error,
                "hint": result.hint,
            }
        )
    else:
        mark = "✓" if result.ok else "✗"
        status = result.status if result.status is not None else "no response"
        print(f"{mark} {args.name}: HTTP {status} in {result.elapsed_ms:.0f} ms")
        if result.error:
            print(f"  error: {result.error}")
        if result.hint:
            print(f"  check: {result.hint}")
        if result.preview is not None:
            print(f"  preview: {preview(result.preview)}")
    return EXIT_OK if result.ok else EXIT_FAILED


def cmd_export(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        data = ws.export_connection(args.name)
    finally:
        ws.close()
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"--out {args.out}: cannot write the file ({exc.strerror})") from exc
        note(f"Wrote {args.out} (secrets left out: {', '.join(data['reenter_secrets']) or 'none'})")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        ws.remove_connection(args.name)
    finally:
        ws.close()
    note(f"Removed connection {args.name!r} with its entities and secrets")
    return EXIT_OK


def cmd_entity_list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        entities = ws.entities(args.connection)
    finally:
        ws.close()
    if args.json:
        print_json([e.model_dump(mode="json", by_alias=True) for e in entities])
        return EXIT_OK
    print_table(
        ["name", "method", "path", "data path", "pagination"],
        [[e.name, e.method, e.path or "/", e.data_path or "$", e.pagination.type] for e in entities],
    )
    return EXIT_OK


def cmd_call(args: argparse.Namespace) -> int:

    params = key_values(args.param, "-p")
    query = key_values(args.query, "-q")
    headers = key_values(args.header, "-H", sep=":")
    body = _read_body(args.body)
    return run_async(_call(args, params, query, headers, body))


async def _call(
    args: argparse.Namespace, params: dict[str, str], query: dict[str, str], headers: dict[str, str], body: Any
) -> int:
    from flowdesk.connections import UNSET

    ws = open_workspace(args)
    out = sys.stdout
    started = time.perf_counter()
    pages = records = 0
    status: int | None = None
    opened = False
    contract = None
    try:
        _check_path_params(args.connection, ws.entity(args.connection, args.entity), params)
        if args.check_contract:
            from flowdesk.cli._contract import ContractWatch

            contract = ContractWatch(ws, args.connection, args.entity)
    except BaseException:
        ws.close()
        raise
    try:
        async for page in ws.call_pages(
            args.connection,
            args.entity,
            params=params,
            query=query,
            headers=headers,
            body=UNSET if body is None else body,
            all_pages=args.all_pages,
        ):
            pages += 1
            status = page.response.status
            if contract is not None:
                contract.observe(page.records)
            if not page.records:
                continue
            if args.json:
                chunk = json.dumps(page.records, ensure_ascii=False)[1:-1]
                out.write(",\n" + chunk if opened else "[" + chunk)
                opened = True
            else:
                out.write("\n".join(json.dumps(r, ensure_ascii=False) for r in page.records) + "\n")
            records += len(page.records)
    finally:
        if args.json:
            out.write("]\n" if opened else "[]\n")
        out.flush()
        await ws.aclose()
    elapsed = (time.perf_counter() - started) * 1000
    note(f"HTTP {status} · {pages} page(s) · {records} record(s) · {elapsed:.0f} ms")
    if contract is not None:
        contract.report()
    return EXIT_OK


_PATH_PARAM = re.compile(r"(?<!\{)\{([A-Za-z_][\w\-]*)\}(?!\})")


def _check_path_params(connection: str, entity: Entity, params: dict[str, str]) -> None:
    """Every ``{name}`` of the entity's path needs a ``-p name=value``; say so before anything is sent.

    Raises:
        UserError: naming the missing parameters, the path and the option to give.
    """
    missing = [name for name in dict.fromkeys(_PATH_PARAM.findall(entity.path)) if name not in params]
    if missing:
        needed = " ".join(f"-p {name}=VALUE" for name in missing)
        raise UserError(
            f"entity {entity.name!r} of connection {connection!r} needs the path parameter(s) "
            f"{', '.join(missing)} ({entity.path}): add {needed}"
        )


def _read_body(value: str | None) -> Any:
    """``--body``: JSON text, or ``@FILE`` holding JSON (or plain text, sent as it is)."""
    if value is None:
        return None
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"--body {value}: cannot read {path} ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise UserError(f"--body {value}: {path} is not UTF-8 text (byte {exc.start})") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise UserError(f"--body is not valid JSON at column {exc.colno}: {exc.msg} (use @FILE for a file)") from None


def _mask(data: dict[str, Any], path: str) -> None:
    head, _, rest = path.partition(".")
    target = data.get(head)
    if isinstance(target, dict):
        target[rest] = "•••••• (set)"
