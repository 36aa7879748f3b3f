"""Streaming writers for the ``output`` node: JSON Lines, CSV and a JSON array, overwrite or append.

Each batch is written as it arrives, so a file of any size needs only a batch in memory. A JSON array is
written as ``[`` … ``]`` around the items; appending to one reopens it before its closing bracket.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TextIO

from flowdesk.model.errors import UserError


def _item_encoder() -> Callable[[Any], str]:
    """Compact JSON for one item. CPython's C encoder, made once, is about twice as fast per item as
    ``json.dumps`` (which builds a new one for every call): it is most of the cost of writing a file."""
    fallback = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return fallback
    try:
        encode_chunks = make(None, str, json.encoder.encode_basestring, None, ":", ",", False, False, True)
        encode_chunks({"check": [1]}, 0)
    except TypeError:  # another Python's signature: the plain encoder is correct, just slower
        return fallback
    return lambda value: "".join(encode_chunks(value, 0))


_ENCODE = _item_encoder()


class ItemWriter(Protocol):
    def write(self, items: list[Any]) -> None: ...

    def close(self) -> None: ...


def open_writer(path: Path, fmt: str, mode: str, columns: list[str] | None = None) -> ItemWriter:
    """A writer for ``path`` (folders made as needed).

    Raises:
        OSError: the file cannot be opened.
        UserError: appending to a JSON file that does not hold an array.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    append = mode == "append"
    if fmt == "jsonl":
        return JsonLinesWriter(path.open("a" if append else "w", encoding="utf-8", newline="\n"))
    if fmt == "csv":
        header = _existing_header(path) if append else None
        file = path.open("a" if append else "w", encoding="utf-8", newline="")
        return CsvWriter(file, header or columns, write_header=header is None)
    return JsonArrayWriter.open(path, append)


class JsonLinesWriter:
    def __init__(self, file: TextIO) -> None:
        self._file = file

    def write(self, items: list[Any]) -> None:
        encode = _ENCODE
        self._file.write("".join([encode(item) + "\n" for item in items]))

    def close(self) -> None:
        self._file.close()


class CsvWriter:
    """Columns: as given, else an appended file's header, else the first item's fields. Other fields of later
    items are left out; nested values are written as JSON, ``None`` as an empty cell."""

    def __init__(self, file: TextIO, columns: list[str] | None, *, write_header: bool) -> None:
        self._file = file
        self._writer = csv.writer(file)
        self._columns = columns
        self._write_header = write_header

    def write(self, items: list[Any]) -> None:
        if not items:
            return
        if self._columns is None:
            first = items[0]
            self._columns = list(first) if isinstance(first, dict) else ["value"]
        if self._write_header:
            self._writer.writerow(self._columns)
            self._write_header = False
        columns = self._columns
        self._writer.writerows([[_cell(_get(item, c)) for c in columns] for item in items])

    def close(self) -> None:
        if self._write_header and self._columns:
            self._writer.writerow(self._columns)
        self._file.close()


def _get(item: Any, column: str) -> Any:
    if isinstance(item, dict):
        return item.get(column)
    return item if column == "value" else None


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return _ENCODE(value)
    return value


def _existing_header(path: Path) -> list[str] | None:
    try:
        with path.open(encoding="utf-8", newline="") as file:
            first = file.readline()
    except FileNotFoundError:
        return None
    if not first.strip():
        return None
    return next(csv.reader(io.StringIO(first)))


class JsonArrayWriter:
    def __init__(self, file: TextIO, *, empty: bool) -> None:
        self._file = file
        self._empty = empty

    @classmethod
    def open(cls, path: Path, append: bool) -> JsonArrayWriter:
        if append and path.exists() and path.stat().st_size > 0:
            empty = _reopen_array(path)
            return cls(path.open("a", encoding="utf-8", newline="\n"), empty=empty)
        file = path.open("w", encoding="utf-8", newline="\n")
        file.write("[")
        return cls(file, empty=True)

    def write(self, items: list[Any]) -> None:
        if not items:
            return
        encode = _ENCODE
        text = ",\n".join([encode(item) for item in items])
        self._file.write(("\n" if self._empty else ",\n") + text)
        self._empty = False

    def close(self) -> None:
        self._file.write("]\n" if self._empty else "\n]\n")
        self._file.close()


def _reopen_array(path: Path) -> bool:
    """Cut an existing JSON array file just before its closing ``]``; returns whether it was empty."""
    with path.open("r+b") as file:
        size = file.seek(0, io.SEEK_END)
        tail_start = max(0, size - 4096)
        file.seek(tail_start)
        tail = file.read()
        stripped = tail.rstrip()
        before = stripped[:-1].rstrip()
        if not stripped.endswith(b"]") or not before:
            raise UserError(f"{path} does not hold a JSON array, so items cannot be appended to it")
        file.truncate(tail_start + len(before))
    return before.endswith(b"[")
