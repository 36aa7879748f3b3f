"""Safe expressions for ``condition`` and ``loop`` nodes: ``status == 200 and len(items) < limit``.

The language is simpleeval's (:class:`simpleeval.EvalWithCompoundTypes`): Python expression syntax with
its guarded operators (no ``eval``, no imports, no dunder access, bounded powers and string growth). Names
resolve like templates (:mod:`flowdesk.model.templating`): the item's fields first (``Temp.mediaId`` walks
into nested objects), then the flow's variables; ``vars.name`` always names a variable and ``item`` is the
whole item. A name that matches nothing is an error, not ``None`` -- use ``get("field", default)`` or
``exists("field")`` for optional fields.

Why not call simpleeval for every item: it walks the AST on each evaluation (about 3 µs for a small
condition), which alone would eat the engine's throughput budget. Each expression is therefore parsed
once (cached) and compiled into nested closures over simpleeval's own operator table, which keeps the
same semantics and guards at a fraction of the cost. The few constructs the compiler does not handle
(comprehensions, f-strings) are evaluated by simpleeval itself from the pre-parsed tree.
"""

from __future__ import annotations

import ast
import datetime as _dt
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import simpleeval

from flowdesk.model.errors import UserError
from flowdesk.model.templating import resolve

__all__ = ["FUNCTIONS", "Expression", "ExpressionError", "check_expression", "compile_expression"]


class ExpressionError(UserError):
    """An expression does not parse, uses something not allowed, or fails on an item.

    ``expression`` is the text; ``column`` (1-based) is where a syntax error was found, when known.
    """

    def __init__(self, expression: str, problem: str, *, column: int | None = None) -> None:
        self.expression = expression
        self.problem = problem
        self.column = column
        where = f" at column {column}" if column is not None else ""
        super().__init__(f"expression {expression!r}: {problem}{where}")


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _today() -> str:
    return _dt.datetime.now(_dt.UTC).date().isoformat()


def _contains(container: Any, value: Any) -> bool:
    return container is not None and value in container


def _text(value: Any) -> str:
    return "" if value is None else str(value)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "round": round,
    "abs": abs,
    "min": min,
    "max": max,
    "sum": sum,
    "sorted": sorted,
    "list": list,
    "dict": dict,
    "lower": lambda s: _text(s).lower(),
    "upper": lambda s: _text(s).upper(),
    "strip": lambda s: _text(s).strip(),
    "contains": _contains,
    "startswith": lambda s, prefix: _text(s).startswith(prefix),
    "endswith": lambda s, suffix: _text(s).endswith(suffix),
    "split": lambda s, sep=None: _text(s).split(sep),
    "join": lambda values, sep="": sep.join(_text(v) for v in values),
    "replace": lambda s, old, new: _text(s).replace(old, new),
    "now": _now,
    "today": _today,
}
"""Functions every expression may call; ``now()`` is ISO 8601 UTC text so it compares with API timestamps.

``get(name, default=None)`` and ``exists(name)`` are also available; they look a (dotted) name up like a
bare name does, and are compiled specially because they need the item.
"""

_SCOPED_FUNCTIONS = frozenset({"get", "exists"})

Compiled = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]


class Expression:
    """A compiled expression; :meth:`evaluate` runs it on one item (cheap, no parsing)."""

    __slots__ = ("_run", "names", "text")

    def __init__(self, text: str, run: Compiled, names: frozenset[str]) -> None:
        self.text = text
        self._run = run
        self.names = names
        """The root names the expression refers to (for the inspector's hints)."""

    def evaluate(self, item: Mapping[str, Any] | None, variables: Mapping[str, Any] | None = None) -> Any:
        """The value of the expression for ``item``.

        Raises:
            ExpressionError: a name matches nothing, or an operation fails (``1 / 0``, ``"a" < 1``).
        """
        try:
            return self._run(item if item is not None else {}, variables if variables is not None else {})
        except ExpressionError:
            raise
        except simpleeval.InvalidExpression as exc:
            raise ExpressionError(self.text, str(exc)) from None
        except Exception as exc:  # any failure of an allowed operation is the expression's problem
            raise ExpressionError(self.text, f"{type(exc).__name__}: {exc}") from None

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def check_expression(text: str) -> None:
    """Raise :class:`ExpressionError` (with the column) if ``text`` is not a valid expression."""
    compile_expression(text)


@lru_cache(maxsize=1024)
def compile_expression(text: str) -> Expression:
    """Parse and compile ``text`` once per process.

    Raises:
        ExpressionError: a syntax error (with its column), an unknown function, or a construct that is
            not allowed (lambda, walrus, attribute calls on dunders …).
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(str(text), "is empty")
    stripped = text.lstrip()
    indent = len(text) - len(stripped)
    try:
        tree = ast.parse(stripped.rstrip(), mode="eval")
    except SyntaxError as exc:
        # Python reports offset 0 when the text ends too early ("a ==")
        column = indent + (exc.offset if exc.offset else len(stripped.rstrip()) + 1)
        problem = "invalid syntax" if exc.msg == "invalid syntax" else f"invalid syntax ({exc.msg})"
        raise ExpressionError(text, problem, column=column) from None
    compiler = _Compiler(text)
    try:
        run = compiler.compile(tree.body)
    except _Fallback:
        run = _simpleeval_runner(text, tree.body)
        compiler.check_fallback(tree.body)
    return Expression(text, run, frozenset(compiler.names))


# --- compiler ------------------------------------------------------------------------------------------


class _Fallback(Exception):
    """The tree holds a construct simpleeval evaluates but the closure compiler does not."""


_FALLBACK_NODES = (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp, ast.JoinedStr, ast.FormattedValue)
_OPERATORS: dict[type, Callable[..., Any]] = dict(simpleeval.DEFAULT_OPERATORS)


def _lookup_name(text: str, dotted: str, item: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
    value = resolve(dotted, item, variables)
    if value is _MISSING_TEMPLATE:
        known = ", ".join(sorted(item)[:12]) if item else "none"
        raise ExpressionError(text, f"{dotted} matches no field of the item (fields: {known}) and no variable")
    return value


# templating.resolve returns its own private sentinel for "nothing"; learn it once instead of importing it
_MISSING_TEMPLATE: Any = resolve("x", {}, {})


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text
        self.names: set[str] = set()

    def fail(self, node: ast.AST, problem: str) -> ExpressionError:
        column = getattr(node, "col_offset", None)
        return ExpressionError(self.text, problem, column=None if column is None else column + 1)

    def compile(self, node: ast.expr) -> Compiled:
        text = self.text
        if isinstance(node, _FALLBACK_NODES):
            raise _Fallback
        if isinstance(node, ast.Constant):
            value = node.value
            return lambda item, variables: value
        if isinstance(node, ast.Name | ast.Attribute) and (dotted := _dotted(node)) is not None:
            return self.name(dotted)
        if isinstance(node, ast.Attribute):
            base = self.compile(node.value)
            attr = self.attribute(node)

            def get_attribute(item: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
                container = base(item, variables)
                if isinstance(container, Mapping) and attr in container:
                    return container[attr]
                raise ExpressionError(text, f"no field {attr!r} in {_short(container)}")

            return get_attribute
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            if isinstance(node.op, ast.And):

                def all_of(item: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
                    value: Any = True
                    for part in parts:
                        value = part(item, variables)
                        if not value:
                            return value
                    return value

                return all_of

            def any_of(item: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
                value: Any = False
                for part in parts:
                    value = part(item, variables)
                    if value:
                        return value
                return value

            return any_of
        if isinstance(node, ast.BinOp):
            op = self.operator(node.op, node)
            left, right = self.compile(node.left), self.compile(node.right)
            return lambda item, variables: op(left(item, variables), right(item, variables))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                inner = self.compile(node.operand)
                return lambda item, variables: not inner(item, variables)
            unary = self.operator(node.op, node)
            inner = self.compile(node.operand)
            return lambda item, variables: unary(inner(item, variables))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            test, body, orelse = self.compile(node.test), self.compile(node.body), self.compile(node.orelse)
            return lambda item, variables: body(item, variables) if test(item, variables) else orelse(item, variables)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            container_of = self.compile(node.value)
            key_of = self.compile(node.slice)
            return lambda item, variables: container_of(item, variables)[key_of(item, variables)]
        if isinstance(node, ast.Slice):
            lower = self.compile(node.lower) if node.lower else None
            upper = self.compile(node.upper) if node.upper else None
            step = self.compile(node.step) if node.step else None
            return lambda item, variables: slice(
                lower(item, variables) if lower else None,
                upper(item, variables) if upper else None,
                step(item, variables) if step else None,
            )
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                raise _Fallback
            elements = [self.compile(e) for e in node.elts]
            kind: Callable[..., Any] = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
            if all(isinstance(e, ast.Constant) for e in node.elts) and kind is not list:
                frozen = kind(e.value for e in node.elts)  # type: ignore[attr-defined]
                return lambda item, variables: frozen
            return lambda item, variables: kind(e(item, variables) for e in elements)
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise _Fallback
            keys = [self.compile(k) for k in node.keys if k is not None]
            values = [self.compile(v) for v in node.values]
            pairs = list(zip(keys, values, strict=True))
            return lambda item, variables: {k(item, variables): v(item, variables) for k, v in pairs}
        raise self.fail(node, f"{type(node).__name__} is not allowed in an expression")

    def name(self, dotted: str) -> Compiled:
        self.names.add(dotted.split(".", 1)[0])
        text = self.text
        if dotted == "item":
            return lambda item, variables: item
        if dotted == "vars":
            return lambda item, variables: item.get("vars", variables)
        if "." not in dotted:

            def field(item: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
                try:
                    return item[dotted]
                except KeyError:
                    return _lookup_name(text, dotted, item, variables)

            return field
        return lambda item, variables: _lookup_name(text, dotted, item, variables)

    def attribute(self, node: ast.Attribute) -> str:
        if node.attr.startswith("_"):
            raise self.fail(node, f"'.{node.attr}': names starting with '_' cannot be used after a dot")
        return node.attr

    def operator(self, op: ast.AST, node: ast.AST) -> Callable[..., Any]:
        try:
            return _OPERATORS[type(op)]
        except KeyError:
            raise self.fail(node, f"the operator {type(op).__name__} is not allowed") from None

    def compare(self, node: ast.Compare) -> Compiled:
        left = self.compile(node.left)
        steps = [(self.operator(op, node), self.compile(c)) for op, c in zip(node.ops, node.comparators, strict=True)]
        if len(steps) == 1:
            (op, right), = steps
            return lambda item, variables: op(left(item, variables), right(item, variables))

        def chain(item: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
            current = left(item, variables)
            for op, right in steps:
                following = right(item, variables)
                if not op(current, following):
                    return False
                current = following
            return True

        return chain

    def call(self, node: ast.Call) -> Compiled:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only the named functions can be called (e.g. lower(name), not name.lower())")
        name = node.func.id
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise self.fail(node, "*args and **kwargs are not allowed")
        args = [self.compile(a) for a in node.args]
        kwargs = [(k.arg, self.compile(k.value)) for k in node.keywords if k.arg is not None]
        if name in _SCOPED_FUNCTIONS:
            return self.scoped_call(node, name, args, kwargs)
        function = FUNCTIONS.get(name)
        if function is None:
            raise self.fail(node, f"unknown function {name}() (known: {', '.join(sorted(_all_function_names()))})")
        if not kwargs:
            if len(args) == 1:
                (only,) = args
                return lambda item, variables: function(only(item, variables))
            return lambda item, variables: function(*(a(item, variables) for a in args))
        return lambda item, variables: function(
            *(a(item, variables) for a in args), **{k: v(item, variables) for k, v in kwargs}
        )

    def scoped_call(
        self, node: ast.Call, name: str, args: list[Compiled], kwargs: list[tuple[str, Compiled]]
    ) -> Compiled:
        if kwargs or not 1 <= len(args) <= (2 if name == "get" else 1):
            usage = "get(name, default=None)" if name == "get" else "exists(name)"
            raise self.fail(node, f"use {usage} with the field name in quotes")
        path_of = args[0]
        default_of = args[1] if len(args) == 2 else None

        def scoped(item: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
            found = resolve(str(path_of(item, variables)), item, variables)
            if name == "exists":
                return found is not _MISSING_TEMPLATE
            if found is _MISSING_TEMPLATE:
                return default_of(item, variables) if default_of is not None else None
            return found

        return scoped

    def check_fallback(self, node: ast.expr) -> None:
        """Refuse in a fallback tree what the compiler would refuse (unknown functions, dunders)."""
        for child in ast.walk(node):
            if isinstance(child, ast.Call):
                if not isinstance(child.func, ast.Name):
                    raise self.fail(child, "only the named functions can be called")
                if child.func.id not in _all_function_names():
                    raise self.fail(child, f"unknown function {child.func.id}()")
            elif isinstance(child, ast.Attribute):
                self.attribute(child)
            elif isinstance(child, ast.Lambda | ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom):
                raise self.fail(child, f"{type(child).__name__} is not allowed in an expression")
            elif isinstance(child, ast.Name):
                self.names.add(child.id)


def _all_function_names() -> set[str]:
    return set(FUNCTIONS) | _SCOPED_FUNCTIONS


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` as text when the chain is plain names, so it resolves like a template name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            return None
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _simpleeval_runner(text: str, tree: ast.expr) -> Compiled:
    """Evaluate with simpleeval itself (comprehensions, f-strings), names resolved like the compiler's."""
    parsed = ast.Expr(value=tree)

    def run(item: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
        def names(node: ast.Name) -> Any:
            if node.id == "item":
                return item
            value = resolve(node.id, item, variables)
            if value is _MISSING_TEMPLATE:
                if node.id == "vars":
                    return variables
                raise simpleeval.NameNotDefined(node.id, text)
            return value

        functions: dict[str, Callable[..., Any]] = dict(FUNCTIONS)
        functions["get"] = lambda path, default=None: (
            default if (found := resolve(str(path), item, variables)) is _MISSING_TEMPLATE else found
        )
        functions["exists"] = lambda path: resolve(str(path), item, variables) is not _MISSING_TEMPLATE
        evaluator = simpleeval.EvalWithCompoundTypes(functions=functions, names=names)
        return evaluator.eval(text, previously_parsed=parsed)

    return run

