"""``demo-server``: the bundled demo CRM API on 127.0.0.1, for first steps and tests."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from flowdesk.cli._common import port_number, settle
from flowdesk.cli._output import note

EXIT_OK = 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    demo = commands.add_parser("demo-server", help="serve the bundled demo API on 127.0.0.1")
    demo.add_argument("--port", type=port_number, default=8765, help="port (default 8765; 0 picks a free one)")
    demo.add_argument("--error-rate", type=_share, default=0.0, help="share of answers that are 429/503 (0..1)")
    demo.add_argument("--token-ttl", type=float, default=3600.0, help="lifetime of OAuth tokens in seconds")
    demo.add_argument("--rate-limit", type=int, default=None, help="requests per second before 429")
    demo.add_argument(
        "--write-connection", type=Path, metavar="FILE", help="write a connection file for this server, then serve"
    )
    demo.add_argument("--auth", choices=["api_key", "oauth2"], default="api_key", help="auth of the written connection")
    demo.set_defaults(handler=cmd_demo_server)


def cmd_demo_server(args: argparse.Namespace) -> int:
    from flowdesk.demo import DemoConfig, demo_connection_data, run_demo_server

    config = DemoConfig(error_rate=args.error_rate, token_ttl_s=args.token_ttl, rate_limit=args.rate_limit)

    def ready(base_url: str) -> None:
        note(f"Demo API on {base_url}/api  (API key: {config.api_key} in X-API-Key; Ctrl-C stops)")
        if args.write_connection:
            data = demo_connection_data(base_url, auth=args.auth)
            args.write_connection.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            note(f"Wrote {args.write_connection}: add it with `flowdesk connection add {args.write_connection}`")

    settle()
    run_demo_server(args.port, config, on_ready=ready)
    return EXIT_OK


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return value
