"""Argument parsing and dispatch; each command group lives in its own module."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from flowdesk import __version__
from flowdesk.model.errors import ApiError, FlowdeskError, OperationalError, UserError

Handler = Callable[[argparse.Namespace], int]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse with exit status 2 and the usage of the sub-command that was wrong."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree (also used to print help).

    Building it must stay cheap (``--help``, ``--version``): the command modules import only the standard
    library and each other at the top, and a handler imports what its command needs (the workspace, the
    models, asyncio) when it runs. ``tests/cli/test_import_cost.py`` checks this.
    """
    from flowdesk.cli import _connections, _demo, _gui

    parser = _Parser(
        prog="flowdesk",
        description="Work with web APIs: connections, entities, calls and flows. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"flowdesk {__version__}")
    parser.add_argument(
        "--self-test", action="store_true", help="check that the app has all it needs (offscreen, temporary data)"
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="where the store lives (env FLOWDESK_DATA_DIR)")
    parser.add_argument("--workspace", default=None, help="workspace name (default: Default; created on first use)")
    parser.add_argument("--user", default=None, help="acting user for roles and audit (default: the OS login)")
    parser.set_defaults(handler=_gui.run_gui)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for module in (_gui, _connections, _demo):
        module.register(commands)
    _register_optional(commands)
    return parser


def _register_optional(commands: argparse._SubParsersAction[_Parser]) -> None:
    """Command groups of later layers register themselves when their module exists."""
    import importlib

    for name in ("_flows", "_admin", "_webhooks", "_schedules"):
        try:
            module = importlib.import_module(f"flowdesk.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"flowdesk.cli.{name}":
                raise
            continue
        module.register(commands)


def console_main() -> int:
    """The ``flowdesk`` command as a process of its own (the console script, ``python -m flowdesk``, the frozen
    app): :func:`main`, allowed what only a process that ends right after the command may do."""
    return main(owns_process=True)


def main(argv: Sequence[str] | None = None, *, owns_process: bool = False) -> int:
    """Run one command (``argv``, default ``sys.argv[1:]``) and return its exit status.

    ``owns_process``: nothing else runs in this process after the command (not so for a test calling this):
    see ``_common.own_process`` for what that allows. Objects alive at the end are frozen out of the garbage
    collector (``gc.freeze()``): tearing SQLAlchemy's and pydantic's object graphs down at exit took ~80 ms of
    every command.
    """
    if owns_process:
        from flowdesk.cli._common import own_process

        own_process()
    _tolerate_narrow_stdout()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from flowdesk.cli._common import settle
        from flowdesk.cli._selftest import run_self_test

        settle()
        return run_self_test()
    if args.data_dir is None and os.environ.get("FLOWDESK_DATA_DIR"):
        args.data_dir = Path(os.environ["FLOWDESK_DATA_DIR"])
    try:
        return _dispatch(args.handler, args)
    finally:
        if owns_process:  # frozen objects are left to the OS at exit (exit handlers and finalizers still run)
            gc.freeze()


def _dispatch(handler: Handler, args: argparse.Namespace) -> int:
    """Run the command, turning flowdesk's errors into a message and an exit code."""
    try:
        return handler(args)
    except UserError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_BAD_INPUT
    except OperationalError as exc:
        sys.stderr.write(f"failed: {exc}\n")
        if isinstance(exc, ApiError) and exc.body_excerpt:
            # what the server said (secrets masked): the hint often points here ("a 422 names the field")
            sys.stderr.write(f"  response: {exc.body_excerpt}\n")
        return EXIT_FAILED
    except FlowdeskError as exc:
        sys.stderr.write(f"failed: {exc}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


def _tolerate_narrow_stdout() -> None:
    """Escape what stdout cannot encode instead of crashing on it.

    A Windows pipe (cp1252) or ``PYTHONIOENCODING=ascii`` cannot encode ``✓`` or every customer's name:
    stdout would raise ``UnicodeEncodeError`` halfway through the output. Such characters are written as
    JSON ``\\uXXXX`` escapes instead, so ``--json`` output stays valid JSON with nothing lost.
    """
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    if reconfigure is None or getattr(sys.stdout, "errors", "strict") != "strict":
        return
    with contextlib.suppress(LookupError, ValueError, OSError):  # an unusual stream stays as it is
        if codecs.lookup(encoding).name != "utf-8":
            codecs.register_error(_JSON_ESCAPE, _json_escape)
            reconfigure(errors=_JSON_ESCAPE)


_JSON_ESCAPE = "flowdesk.json_escape"


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler writing unencodable characters as JSON escapes (surrogate pairs above U+FFFF)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escaped: list[str] = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            escaped.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), error.end
