"""Reading a response body: into memory, or, once it outgrows a threshold, into a temporary file.

A body of many megabytes held in memory and parsed as JSON on the event loop freezes a window for as long
as ``json.loads`` runs (~85 ms for 12 MB here). Spooling streams such a body chunk by chunk to a file; the
caller decides later whether (and where) to parse it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flowdesk.model.errors import OperationalError

HEAD_BYTES = 8192
"""Bytes of a spooled body kept in memory: enough for an error excerpt and to sniff JSON."""


@dataclass(slots=True)
class ReceivedBody:
    """A read body: ``content`` is all of it, or only its first :data:`HEAD_BYTES` when it is in ``file``;
    ``size`` counts every byte (after content decoding)."""

    content: bytes
    file: Path | None
    size: int


async def read_body(
    chunks: AsyncIterable[bytes], headers: Mapping[str, str], spool_over: int, spool_dir: Path | None
) -> ReceivedBody:
    """Read a streamed body (its decoded ``chunks`` and its response's ``headers``); past ``spool_over``
    bytes (or a larger Content-Length) write it to a new file in ``spool_dir`` (the system's temporary
    directory by default) instead of memory.

    The file is removed again if the read fails or is cancelled.

    Raises:
        OperationalError: the temporary file cannot be created or written (disk full, no such folder).
        the wire's transport errors (httpx's or aiohttp's): the connection broke mid-body.
    """
    spool_now = _declared_length(headers) > spool_over
    buffered: list[bytes] = []
    size = 0
    spool: _SpoolFile | None = None
    head = b""
    try:
        async for chunk in chunks:
            size += len(chunk)
            if spool is not None:
                spool.write(chunk)  # one chunk (16-64 KB) at a time: microseconds, fine on the loop
                continue
            buffered.append(chunk)
            if spool_now or size > spool_over:
                spool = _SpoolFile(spool_dir)
                head = b"".join(_first_bytes(buffered, HEAD_BYTES))[:HEAD_BYTES]
                for held in buffered:
                    spool.write(held)
                buffered = []
        if spool is None:
            return ReceivedBody(b"".join(buffered), None, size)
        spool.close()
    except BaseException:
        if spool is not None:
            spool.discard()
        raise
    return ReceivedBody(head, spool.path, size)


def remove_spooled(path: Path) -> None:
    """Delete a spooled body; quiet when it is already gone (or still open elsewhere on Windows)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


class _SpoolFile:
    """A new temporary file, its OS errors translated (they are the user's disk, not the network)."""

    def __init__(self, spool_dir: Path | None) -> None:
        try:
            descriptor, name = tempfile.mkstemp(prefix="flowdesk-body-", dir=spool_dir)
        except OSError as exc:
            raise _write_error(spool_dir or Path(tempfile.gettempdir()), exc) from exc
        self.path = Path(name)
        self._out: IO[bytes] = os.fdopen(descriptor, "wb")

    def write(self, data: bytes) -> None:
        try:
            self._out.write(data)
        except OSError as exc:
            raise _write_error(self.path, exc) from exc

    def close(self) -> None:
        try:
            self._out.close()
        except OSError as exc:
            raise _write_error(self.path, exc) from exc

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self._out.close()
        remove_spooled(self.path)


def _write_error(where: Path, exc: OSError) -> OperationalError:
    return OperationalError(
        f"cannot write the response body to a temporary file ({where}): {exc.strerror or exc}",
        hint="free some disk space, or check that the temporary folder exists and is writable",
    )


def _declared_length(headers: Mapping[str, str]) -> int:
    """The Content-Length of an uncompressed body (compressed bodies grow when decoded: ``-1``)."""
    if headers.get("content-encoding", "identity").lower() not in ("", "identity"):
        return -1
    try:
        return int(headers.get("content-length", "-1"))
    except ValueError:
        return -1


def _first_bytes(chunks: list[bytes], limit: int) -> list[bytes]:
    taken: list[bytes] = []
    count = 0
    for chunk in chunks:
        if count >= limit:
            break
        taken.append(chunk)
        count += len(chunk)
    return taken
