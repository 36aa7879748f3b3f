"""Safe expressions: Python syntax through simpleeval's rules, names resolved like templates."""

from __future__ import annotations

import pytest

from flowdesk.model.expressions import ExpressionError, check_expression, compile_expression


def ev(text: str, item: dict | None = None, variables: dict | None = None):  # type: ignore[no-untyped-def]
    return compile_expression(text).evaluate(item or {}, variables or {})


def test_the_examples_from_the_spec() -> None:
    assert ev("status == 200 and len(items) < limit", {"status": 200, "items": [1]}, {"limit": 3}) is True
    assert ev("region in ['EU', 'US']", {"region": "US"}) is True
    assert ev("region in ['EU', 'US']", {"region": "APAC"}) is False


def test_names_resolve_fields_then_variables_and_vars_prefix() -> None:
    assert ev("limit", {}, {"limit": 5}) == 5
    assert ev("limit", {"limit": 1}, {"limit": 5}) == 1
    assert ev("vars.limit", {"limit": 1}, {"limit": 5}) == 5
    assert ev("vars", {}, {"a": 1}) == {"a": 1}
    assert ev("Temp.mediaId", {"Temp": {"mediaId": "m1"}}) == "m1"
    assert ev("item", {"a": 1}) == {"a": 1}


def test_operators_comparisons_and_conditionals() -> None:
    assert ev("1 < x <= 3", {"x": 3}) is True
    assert ev("1 < x <= 3", {"x": 4}) is False
    assert ev("not done", {"done": False}) is True
    assert ev("'big' if n > 10 else 'small'", {"n": 11}) == "big"
    assert ev("-n + 2 * 3", {"n": 1}) == 5
    assert ev("a or b", {"a": 0, "b": "x"}) == "x"
    assert ev("a and b", {"a": 0, "b": "x"}) == 0


def test_subscripts_slices_and_literals() -> None:
    item = {"tags": ["a", "b", "c"], "data": {"k": 1}}
    assert ev("tags[0]", item) == "a"
    assert ev("tags[1:]", item) == ["b", "c"]
    assert ev("data['k']", item) == 1
    assert ev("{'x': 1, 'y': [n, 2]}", {"n": 3}) == {"x": 1, "y": [3, 2]}
    assert ev("n in (1, 2)", {"n": 2}) is True


def test_functions() -> None:
    assert ev("lower(name) == 'ada'", {"name": "ADA"}) is True
    assert ev("contains(tags, 'x')", {"tags": ["x"]}) is True
    assert ev("contains(tags, 'x')", {"tags": None}) is False
    assert ev("join(split(s, ','), '-')", {"s": "a,b"}) == "a-b"
    assert ev("round(sum([1.25, 1]), 1)") == 2.2
    assert ev("startswith(email, 'a')", {"email": "ada@x"}) is True
    assert len(ev("now()")) == 20 and ev("now()").endswith("Z")


def test_get_and_exists_for_optional_fields() -> None:
    assert ev("get('missing', 3)") == 3
    assert ev("get('a.b')", {"a": {"b": 1}}) == 1
    assert ev("exists('a')", {"a": None}) is True
    assert ev("exists('vars.x')", {}, {"x": 1}) is True
    assert ev("exists('b')", {"a": 1}) is False


def test_comprehensions_and_fstrings_fall_back_to_simpleeval() -> None:
    assert ev("[x * 2 for x in items]", {"items": [1, 2]}) == [2, 4]
    assert ev("f'{name}!'", {"name": "Ada"}) == "Ada!"
    assert ev("len([x for x in items if x > limit])", {"items": [1, 5, 9]}, {"limit": 4}) == 2


def test_a_missing_name_is_an_error_naming_the_fields() -> None:
    with pytest.raises(ExpressionError, match=r"statuz matches no field of the item \(fields: status\)"):
        ev("statuz == 200", {"status": 200})


def test_failing_operations_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="ZeroDivisionError"):
        ev("1 / n", {"n": 0})
    with pytest.raises(ExpressionError, match="TypeError"):
        ev("a < 1", {"a": "x"})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a ==", "invalid syntax"),
        ("", "is empty"),
        ("open('/etc/passwd')", "unknown function open()"),
        ("name.lower()", "only the named functions can be called"),
        ("x.__class__", "names starting with '_'"),
        ("(lambda: 1)()", "only the named functions"),
        ("(y := 1)", "NamedExpr is not allowed"),
        ("[x.__class__ for x in items]", "names starting with '_'"),
        ("[open(x) for x in items]", "unknown function open()"),
    ],
)
def test_refused_expressions(text: str, problem: str) -> None:
    with pytest.raises(ExpressionError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        check_expression(text)


def test_syntax_errors_carry_a_column() -> None:
    with pytest.raises(ExpressionError) as caught:
        check_expression("  status == ")
    assert caught.value.column is not None and caught.value.column >= 12


def test_huge_results_are_refused_by_simpleevals_guards() -> None:
    with pytest.raises(ExpressionError, match=r"10 \*\* 10000000"):
        ev("10 ** 10000000")
    with pytest.raises(ExpressionError, match="that long"):
        ev("'a' * n", {"n": 10_000_000})


def test_compiled_expressions_are_cached_and_list_their_names() -> None:
    first = compile_expression("status == 200 and len(items) < limit")
    assert compile_expression("status == 200 and len(items) < limit") is first
    assert first.names == {"status", "items", "limit"}
    assert repr(first) == "Expression('status == 200 and len(items) < limit')"
