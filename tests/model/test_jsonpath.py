from __future__ import annotations

import os

import pytest

from flowdesk.model.jsonpath import InvalidJsonPathError, compile_path, extract_records, find_all, find_first
from tests.processes import run_python


def test_records_from_envelopes_and_root_arrays() -> None:
    assert extract_records("$.data.customers", {"data": {"customers": [1, 2]}}) == [1, 2]
    assert extract_records("$", [1, 2]) == [1, 2]
    assert extract_records(None, {"a": 1}) == [{"a": 1}]
    assert extract_records("$.missing", {"a": 1}) == []
    assert extract_records("$.items[*].id", {"items": [{"id": 1}, {"id": 2}]}) == [1, 2]


def test_filters_work_and_paths_are_compiled_once() -> None:
    doc = {"items": [{"v": 1}, {"v": 5}]}
    assert extract_records("$.items[?(@.v > 2)]", doc) == [{"v": 5}]
    assert compile_path("$.items") is compile_path("$.items")
    assert find_first("$.next", {"next": "c2"}) == "c2"


def test_invalid_path_is_a_user_error_quoting_it() -> None:
    with pytest.raises(InvalidJsonPathError, match=r"'\$\.\[\['"):
        compile_path("$.[[")


DOCS = [{"a": {"b": 1}}, {"a": None}, {"a": [{"b": 2}]}, {"a": {"b": None}}, [1, 2], "x", {"a": {"b": [1, 2]}},
        {"items": [{"id": 1}], "next_cursor": None}, {}, {"a": {"b": {"c": 0}}}, {"a": {"b": False}}]  # fmt: skip


@pytest.mark.parametrize("path", ["$.a", "$.a.b", "$.items", "$.next_cursor", "$.a.b.c", "$.missing"])
def test_plain_dotted_paths_match_what_jsonpath_ng_matches(path) -> None:
    # plain paths take a direct walk (they are looked up on every page): it must agree with the library
    from flowdesk.model.jsonpath import compile_path, find_all

    for document in DOCS:
        assert find_all(path, document) == [m.value for m in compile_path(path).find(document)], document


@pytest.mark.parametrize(
    "path",
    ["$.a", "$.a.b_c", "$.len", "$.sorted", "$.keys", "$.str", "$.this", "$.parent", "$.where", "$.a.null", "$.x1"],
)
def test_a_plain_path_is_accepted_exactly_when_jsonpath_ng_accepts_it(path) -> None:
    from flowdesk.model.jsonpath import _plain_keys, check_path

    try:
        compiled = compile_path(path)
    except InvalidJsonPathError:
        compiled = None
    if compiled is None:
        assert _plain_keys(path) is None  # left to the library, which refuses it
        with pytest.raises(InvalidJsonPathError):
            check_path(path)
    else:
        check_path(path)
        for document in DOCS:
            assert find_all(path, document) == [m.value for m in compiled.find(document)], document


def test_checking_plain_paths_does_not_load_jsonpath_ng() -> None:
    # a connection's data and cursor paths are checked by every command that reads it, a flow run included
    code = (
        "import sys; from flowdesk.model.jsonpath import check_path; "
        "check_path('$.data.items'); check_path('$.next_cursor'); check_path('$'); "
        "assert 'jsonpath_ng' not in sys.modules; "
        "check_path('$.items[*].id'); assert 'jsonpath_ng' in sys.modules"
    )
    done = run_python(["-c", code], dict(os.environ))
    assert done.returncode == 0, done.stderr


def test_checking_refuses_what_compiling_refuses_even_an_empty_path() -> None:
    from flowdesk.model.jsonpath import check_path

    for path in ("", "$.[[", "$.where"):
        with pytest.raises(InvalidJsonPathError):
            compile_path(path)
        with pytest.raises(InvalidJsonPathError):
            check_path(path)
