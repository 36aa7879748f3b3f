"""What every command needs: opening the workspace named on the command line, and parsing k=v values."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from flowdesk.model.errors import UserError

if TYPE_CHECKING:  # the workspace (store, HTTP) loads when a command runs, not when the parser is built
    from flowdesk.workspace import Workspace


T = TypeVar("T")


def master_password() -> str | None:
    """``FLOWDESK_MASTER_PASSWORD``, else a prompt when a person is at the terminal."""
    value = os.environ.get("FLOWDESK_MASTER_PASSWORD")
    if value:
        return value
    if sys.stdin.isatty() and sys.stderr.isatty():
        return getpass.getpass("Master password for the flowdesk vault: ")
    return None


def open_workspace(args: argparse.Namespace) -> Workspace:
    """The workspace chosen by ``--data-dir`` / ``--workspace`` / ``--user``."""
    from flowdesk.workspace import Workspace

    return Workspace.open(
        args.data_dir,
        args.workspace or "Default",
        user=args.user,
        master_password=master_password,
    )


def key_values(pairs: Iterable[str] | None, what: str, sep: str = "=") -> dict[str, str]:
    """``["a=1", "b=2"]`` → ``{"a": "1", "b": "2"}``.

    Raises:
        UserError: a pair without the separator, naming the option and the value.
    """
    out: dict[str, str] = {}
    for pair in pairs or ():
        name, found, value = pair.partition(sep)
        if not found or not name.strip():
            shown = "'Name: value'" if sep == ":" else "name=value"
            raise UserError(f"{what} {pair!r} is not of the form {shown}")
        out[name.strip()] = value.strip() if sep == ":" else value
    return out


def port_number(text: str) -> int:
    """An argparse type for ``--port``: 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range (0-65535)")
    return value


_FAST_LOOP = {"on": False}
"""Whether :func:`run_async` may use uvloop: only in a process of the command's own (see :func:`use_fast_loop`)."""


def use_fast_loop() -> None:
    """Let :func:`run_async` run on uvloop where it is installed (Linux, macOS). Called by ``cli.main`` only
    when the command owns its process: the test suite calls ``main()`` in a process that also runs Qt, and
    after in-process commands had run on uvloop it crashed in Qt's event processing (2 full runs of 3)."""
    _FAST_LOOP["on"] = True


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to completion on a fresh event loop: uvloop's when allowed and installed
    (raw aiohttp took ~15 % less time per request on it here), else asyncio's own."""
    import asyncio

    if not _FAST_LOOP["on"]:
        return asyncio.run(main)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
