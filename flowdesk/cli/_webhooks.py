"""``webhook …``: register inbound webhooks and serve them headless (``webhook serve``)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import ipaddress
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from flowdesk.cli._common import open_workspace, port_number, run_async
from flowdesk.cli._output import note, plain, print_json, print_table, when
from flowdesk.model.errors import OperationalError, UserError
from flowdesk.webhooks import DEFAULT_HOST, DEFAULT_PORT, STYLES

if TYPE_CHECKING:
    from flowdesk.workspace import TriggeredRun, Workspace

EXIT_OK = 0
SECRET_ENV = "FLOWDESK_WEBHOOK_SECRET"


def register(commands: argparse._SubParsersAction[Any]) -> None:
    hook = commands.add_parser("webhook", help="register inbound webhooks and serve them")
    sub = hook.add_subparsers(title="webhook commands", metavar="ACTION", required=True)

    add = sub.add_parser(
        "add",
        help=f"register a webhook (its signing secret from {SECRET_ENV}, or asked for)",
        description=(
            f"Register POST /hooks/NAME. The signing secret is read from {SECRET_ENV} or asked for at the "
            "terminal; it is stored encrypted and never printed."
        ),
    )
    add.add_argument("name")
    add.add_argument("--style", choices=STYLES, default="generic", help="how senders sign (default: generic)")
    add.add_argument("--replace", action="store_true", help="change the style and secret of an existing webhook")
    add.set_defaults(handler=cmd_add)

    lst = sub.add_parser("list", help="the registered webhooks and the flows listening to each")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=cmd_list)

    rem = sub.add_parser("remove", help="unregister a webhook (and forget its secret)")
    rem.add_argument("name")
    rem.set_defaults(handler=cmd_remove)

    serve = sub.add_parser("serve", help="receive POST /hooks/NAME and start the flows whose trigger listens")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)")
    serve.set_defaults(handler=cmd_serve)


def _secret() -> str:
    value = os.environ.get(SECRET_ENV)
    if value:
        return value
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise UserError(f"no signing secret: set {SECRET_ENV}, or run the command at a terminal to be asked for it")
    first = getpass.getpass("Signing secret: ")
    if not first:
        raise UserError("the signing secret is empty")
    if getpass.getpass("Once more: ") != first:
        raise UserError("the two entries differ; nothing was saved")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        ws.add_webhook(args.name, args.style, secret=_secret(), replace=args.replace)
        listening = sorted({flow.name for flow, _ in ws.flows_listening(args.name)})
    finally:
        ws.close()
    note(f"Webhook {args.name!r} registered ({args.style} signatures).")
    note(f"`flowdesk webhook serve` receives it on POST http://{DEFAULT_HOST}:{DEFAULT_PORT}/hooks/{args.name}")
    if listening:
        note(f"Flows listening: {', '.join(listening)}")
    else:
        note(f"No flow listens yet: give a flow a trigger with kind: webhook, hook: {args.name}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        hooks = ws.list_webhooks()
        flows = {h.name: sorted({flow.name for flow, _ in ws.flows_listening(h.name)}) for h in hooks}
    finally:
        ws.close()
    if args.json:
        print_json([{**plain(h), "flows": flows[h.name]} for h in hooks])
        return EXIT_OK
    print_table(
        ["name", "style", "created", "flows listening"],
        [[h.name, h.style, when(h.created_at), ", ".join(flows[h.name]) or None] for h in hooks],
    )
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        ws.remove_webhook(args.name)
    finally:
        ws.close()
    note(f"Webhook {args.name!r} removed.")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    if not _is_loopback(args.host):
        note(f"warning: {args.host} may be reachable from other machines; only signed deliveries are accepted")
    ws = open_workspace(args)
    try:
        hooks = ws.list_webhooks()
    except BaseException:
        ws.close()
        raise
    if not hooks:
        note("No webhook is registered yet (flowdesk webhook add NAME); serving anyway.")

    def ready(base_url: str) -> None:
        for hook in hooks:
            sys.stdout.write(f"{base_url}/hooks/{hook.name}  ({hook.style})\n")
        sys.stdout.flush()
        note(f"Receiving webhooks on {base_url}/hooks/NAME  (Ctrl-C stops)")

    async def serve() -> None:
        await ws.serve_webhooks(args.host, args.port, report_run, on_ready=ready, log=note)

    return run_until_stopped(ws, serve, what=f"listen on {args.host}:{args.port}")


def report_run(run: TriggeredRun) -> None:
    """One line per finished triggered run, on stderr."""
    detail = f": {run.error}" if run.error else ""
    run_id = f" {run.run_id}" if run.run_id else ""
    note(f"run{run_id} of {run.flow} ({run.trigger}) {run.status}{detail}")


def run_until_stopped(ws: Workspace, serve: Callable[[], Awaitable[None]], *, what: str) -> int:
    """Run ``serve`` until Ctrl-C or SIGTERM, then close the workspace; 0 on a normal stop.

    Raises:
        OperationalError: the address cannot be used (``what`` says which).
    """
    import asyncio

    async def main() -> None:
        task = asyncio.ensure_future(serve())
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers on Windows' loops
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            await ws.aclose()

    try:
        run_async(main())
    except KeyboardInterrupt:
        note("stopped")
    except OSError as exc:
        raise OperationalError(
            f"cannot {what}: {exc.strerror or exc}",
            hint="another program may use the port: pick another with --port",
        ) from exc
    return EXIT_OK


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
