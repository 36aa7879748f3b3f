"""``connection authorize | refresh | disconnect``: the OAuth 2 tokens of a connection."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flowdesk.cli._common import open_workspace, run_async
from flowdesk.cli._output import note, print_json, when
from flowdesk.model.errors import UserError

if TYPE_CHECKING:
    from flowdesk.workspace import Workspace

EXIT_OK = 0
T = TypeVar("T")


def register_oauth(sub: argparse._SubParsersAction[Any]) -> None:
    authorize = sub.add_parser(
        "authorize",
        help="OAuth 2 authorization code: print (and open) the consent URL, wait for the redirect, keep the tokens",
        description=(
            "Authorise an OAuth 2 connection (grant authorization_code) in the browser: the consent URL is printed "
            "(and opened unless --no-browser), the provider's redirect to http://127.0.0.1:<port>/callback is "
            "awaited, and the tokens are sealed in the store. Then the connection's test request names the "
            "account. A denied consent, a wrong state or a timeout stores nothing. Needs the admin role."
        ),
    )
    authorize.add_argument("name")
    authorize.add_argument("--no-browser", action="store_true", help="only print the URL (open it yourself)")
    authorize.add_argument(
        "--timeout", type=float, default=300.0, metavar="S", help="seconds to wait for the redirect (default 300)"
    )
    authorize.add_argument(
        "--port", type=int, default=0, help="loopback port for the redirect URI (default: any free port)"
    )
    authorize.add_argument("--json", action="store_true", help="print the result as JSON (the URL goes to stderr)")
    authorize.set_defaults(handler=cmd_authorize)

    refresh = sub.add_parser(
        "refresh", help="renew a connection's OAuth token now (a rotated refresh token is kept); needs admin"
    )
    refresh.add_argument("name")
    refresh.add_argument("--json", action="store_true")
    refresh.set_defaults(handler=cmd_refresh)

    disconnect = sub.add_parser(
        "disconnect",
        help="revoke a connection's OAuth tokens at the provider (RFC 7009) and delete them; needs admin",
    )
    disconnect.add_argument("name")
    disconnect.add_argument("--json", action="store_true")
    disconnect.set_defaults(handler=cmd_disconnect)


def cmd_authorize(args: argparse.Namespace) -> int:
    if not args.timeout > 0:
        raise UserError(f"--timeout must be above 0 seconds (got {args.timeout:g})")
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port} is out of range (0-65535; 0 picks a free port)")
    url_out = sys.stderr if args.json else sys.stdout

    def show(url: str) -> None:
        print("Open this URL to authorise the connection:", file=url_out)
        print(url, file=url_out, flush=True)
        note(f"Waiting up to {args.timeout:g} s for the provider's redirect (Ctrl-C to give up)…")
        if not args.no_browser:
            import webbrowser

            try:
                webbrowser.open(url)
            except Exception as exc:  # no usable browser: the printed URL is the way
                note(f"could not open a browser ({type(exc).__name__}): open the URL yourself")

    result = _run(args, lambda ws: ws.authorize(args.name, open_browser=show, timeout_s=args.timeout, port=args.port))
    if args.json:
        print_json(
            {
                "connection": result.connection,
                "account": result.account,
                "scope": result.scope,
                "expires_at": when(result.expires_at),
                "refresh_token": result.has_refresh_token,
                "test_error": result.test_error,
            }
        )
        return EXIT_OK
    account = result.account or "an unknown account"
    print(f"Authorised connection {result.connection!r} as {account}")
    details = [f"scope: {result.scope}" if result.scope else None]
    details.append(f"token expires {when(result.expires_at)}" if result.expires_at else "token without expiry")
    details.append("refresh token kept" if result.has_refresh_token else "no refresh token (authorise again later)")
    print("  " + " · ".join(d for d in details if d))
    if result.test_error:
        print(f"  the test request failed: {result.test_error}")
    return EXIT_OK


def cmd_refresh(args: argparse.Namespace) -> int:
    result = _run(args, lambda ws: ws.refresh_connection(args.name))
    if args.json:
        print_json({"connection": result.connection, "expires_at": when(result.expires_at)})
    else:
        expiry = f"; it expires {when(result.expires_at)}" if result.expires_at else ""
        print(f"Refreshed the token of connection {result.connection!r}{expiry}")
    return EXIT_OK


def cmd_disconnect(args: argparse.Namespace) -> int:
    result = _run(args, lambda ws: ws.disconnect(args.name))
    if args.json:
        print_json({"connection": result.connection, "revoked": result.revoked, "warnings": result.warnings})
        return EXIT_OK
    revoked = f" (revoked at the provider: {', '.join(result.revoked)})" if result.revoked else ""
    print(f"Disconnected {result.connection!r}: its tokens are deleted{revoked}")
    for warning in result.warnings:
        print(f"  warning: {warning}")
    return EXIT_OK


def _run(args: argparse.Namespace, action: Callable[[Workspace], Awaitable[T]]) -> T:

    async def run() -> T:
        ws = open_workspace(args)
        try:
            return await action(ws)
        finally:
            await ws.aclose()

    return run_async(run())
