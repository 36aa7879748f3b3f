"""What every command needs: opening the workspace named on the command line, and parsing k=v values."""

from __future__ import annotations

import argparse
import gc
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

    workspace = Workspace.open(
        args.data_dir,
        args.workspace or "Default",
        user=args.user,
        master_password=master_password,
    )
    settle()
    return workspace


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


class _Process:
    """Whether the running command owns its process (see :func:`own_process`)."""

    owned = False


def own_process() -> None:
    """Called by ``cli.main`` first when nothing else runs in this process after the command (not so for a test
    calling ``main()``). Such a command may

    - run on uvloop (:func:`run_async`): the test suite calls ``main()`` in a process that also runs Qt, and
      after in-process commands had run on uvloop it crashed in Qt's event processing (2 full runs of 3);
    - start with the cyclic garbage collector off until :func:`settle`: importing the store, the models and
      the HTTP stack creates ~100,000 objects that live until the process ends, and collecting them over and
      over during start-up cost ~45 ms of every ``flow run`` (gen-0 to gen-2 collections measured here).
    """
    _Process.owned = True
    gc.disable()


def settle() -> None:
    """Start-up is over: what is loaded by now lives until the process ends, so it is frozen out of the garbage
    collector (``gc.freeze()``: full collections walking every module cost a run 30-60 ms), and collection
    resumes for what the command does next. Called by :func:`open_workspace`, before a flow run, and by the
    commands that work without a workspace of theirs (the window, its snapshots, the demo server, the
    self-test); a no-op unless :func:`own_process`.
    """
    if _Process.owned:
        gc.freeze()
        gc.enable()


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to completion on a fresh event loop: uvloop's when the command owns its
    process and uvloop is installed (raw aiohttp took ~15 % less time per request on it here), else asyncio's
    own."""
    import asyncio

    if not _Process.owned:
        return asyncio.run(main)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
