"""The output node: JSON Lines, CSV and JSON files, overwrite and append, written as items stream."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from flowdesk.engine._files import open_writer
from flowdesk.model.errors import UserError

from .conftest import make_flow, run

ITEMS = [{"id": 1, "name": "Ada", "tags": ["a"], "ok": True}, {"id": 2, "name": "Ben, Jr.", "extra": 1, "ok": None}]


async def write(path: Path, items: list[Any], **config: Any):  # type: ignore[no-untyped-def]
    flow = make_flow([{"id": "save", "type": "output", "path": "{vars.dir}/" + path.name, **config}], [])
    return await run(flow, start_at="save", start_inputs={"in": items}, variables={"dir": str(path.parent)},
                     batch_size=1)


async def test_jsonl_overwrite_then_append(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.jsonl"
    result = await write(target, ITEMS)
    assert result.ok and result.outputs["save.out"] == ITEMS  # passed on as well
    await write(target, ITEMS[:1])
    assert [json.loads(line) for line in target.read_text().splitlines()] == ITEMS[:1]
    await write(target, ITEMS[1:], mode="append")
    assert [json.loads(line) for line in target.read_text().splitlines()] == ITEMS


async def test_csv_uses_the_first_items_fields_and_appends_under_the_existing_header(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    await write(target, ITEMS, format="csv")
    await write(target, [{"name": "Cy", "id": 3}], format="csv", mode="append")
    rows = list(csv.reader(target.open(newline="")))
    assert rows == [
        ["id", "name", "tags", "ok"],
        ["1", "Ada", '["a"]', "true"],
        ["2", "Ben, Jr.", "", ""],
        ["3", "Cy", "", ""],
    ]


async def test_csv_with_explicit_columns(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    await write(target, ITEMS, format="csv", columns=["name", "extra"])
    assert target.read_text().splitlines() == ["name,extra", "Ada,", '"Ben, Jr.",1']


async def test_json_array_written_streaming_and_appended(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    await write(target, ITEMS, format="json")
    assert json.loads(target.read_text()) == ITEMS
    await write(target, [{"id": 3}], format="json", mode="append")
    assert json.loads(target.read_text()) == [*ITEMS, {"id": 3}]
    await write(target, [], format="json")
    assert json.loads(target.read_text()) == []
    await write(target, [{"id": 4}], format="json", mode="append")
    assert json.loads(target.read_text()) == [{"id": 4}]


def test_appending_to_a_json_file_that_is_not_an_array_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text('{"a": 1}')
    with pytest.raises(UserError, match="does not hold a JSON array"):
        open_writer(target, "json", "append")


async def test_a_run_without_items_leaves_an_empty_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    await write(target, [], format="csv", columns=["a"])
    assert target.read_text().splitlines() == ["a"]
