"""Contract checks: do the records an API returns still look the way the entity says?

An entity imported from a description keeps the JSON Schema of its success response (``response_schema``);
a hand-made one may still list its fields (``schema``: field, type, JSONPath). :class:`ContractChecker`
turns that into a JSON Schema of one record (the values at the entity's ``data_path``), compiles it once,
and checks records against it, naming each mismatch by field, expected and got:
``email: expected string, got null``.

Mismatches are warnings for the caller to show, never errors: an API that returns null where it promised a
string has still answered. Only a ``response_schema`` that is not valid JSON Schema is an error.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from flowdesk.model.connection import Entity, SchemaField
from flowdesk.model.errors import InvalidConfigError

MAX_MISMATCHES = 20
"""Mismatches one :meth:`ContractChecker.check` call reports at most (a broken field repeats on every record)."""

ContractSource = Literal["response_schema", "schema"]

_ITEMS = object()
"""A data-path step into the elements of an array (``[*]``, ``[0]``)."""

_STEP = re.compile(
    r"""\.\*|\[\*\]|\[(?P<index>\d+)\]"""
    r"""|\.?\[?'(?P<single>[^']*)'\]?|\.?\[?"(?P<double>[^"]*)"\]?"""
    r"""|\.(?P<bare>[^.\[\]'"]+)"""
)
_REQUIRED = re.compile(r"^(?P<name>.+) is a required property$")
_FIELD_TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object", "null"})


@dataclass(frozen=True)
class ContractMismatch:
    """One way a record differs from its contract. ``field`` is ``""`` for the record as a whole."""

    field: str
    expected: str
    got: str
    record: int | None = None
    """Position of the record among those checked (counting on across pages when the caller says so)."""

    def __str__(self) -> str:
        where = f"record {self.record}: " if self.record is not None else ""
        return f"{where}{self.field or 'the record'}: expected {self.expected}, got {self.got}"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "expected": self.expected, "got": self.got, "record": self.record}


class ContractChecker:
    """The contract of one entity, compiled once; :meth:`check` as many pages of records as come.

    Raises (on construction):
        InvalidConfigError: the entity's ``response_schema`` is not valid JSON Schema.
    """

    def __init__(self, entity: Entity) -> None:
        self.entity = entity.name
        if entity.response_schema is not None:
            try:
                Draft202012Validator.check_schema(entity.response_schema)
            except SchemaError as exc:
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.absolute_path)
                problems = [(f"response_schema{where}", exc.message)]
                raise InvalidConfigError(f"entity {entity.name!r}", problems) from exc
        self.schema, self.source = record_schema(entity)
        self._validator = Draft202012Validator(self.schema) if self.schema is not None else None

    @property
    def active(self) -> bool:
        """Whether the entity has a contract at all (a hand-made entity without fields has none)."""
        return self._validator is not None

    def check(
        self, records: Iterable[Any], *, first_index: int = 0, limit: int = MAX_MISMATCHES
    ) -> list[ContractMismatch]:
        """The mismatches of ``records`` (at most ``limit``), each naming the record's position.

        Valid records cost one fast ``is_valid`` call; only invalid ones are explained.
        """
        validator = self._validator
        found: list[ContractMismatch] = []
        if validator is None or limit <= 0:
            return found
        for i, record in enumerate(records, start=first_index):
            if validator.is_valid(record):
                continue
            for error in validator.iter_errors(record):
                for mismatch in _explain(error):
                    found.append(replace(mismatch, record=i))
                    if len(found) >= limit:
                        return found
        return found


def check_records(entity: Entity, records: Sequence[Any], *, limit: int = MAX_MISMATCHES) -> list[ContractMismatch]:
    """One-off :meth:`ContractChecker.check` (compile a :class:`ContractChecker` to check many pages).

    Raises:
        InvalidConfigError: the entity's ``response_schema`` is not valid JSON Schema.
    """
    return ContractChecker(entity).check(records, limit=limit)


def record_schema(entity: Entity) -> tuple[dict[str, Any] | None, ContractSource | None]:
    """The JSON Schema one record must match, and where it came from (``None`` when there is no contract).

    The ``response_schema`` is followed along the ``data_path`` (``$.data.items`` → ``properties.data``
    → ``properties.items`` → its ``items``); a path it cannot follow (filters, recursive descent, a
    property it does not declare) falls back to the entity's ``schema`` fields.
    """
    if entity.response_schema is not None:
        found = _follow(entity.response_schema, entity.data_path)
        if found is not None:
            return found, "response_schema"
    fields = fields_schema(entity.schema_)
    return (fields, "schema") if fields is not None else (None, None)


# --- from a response schema to a record schema ----------------------------------------------------------


def _steps(data_path: str | None) -> list[object] | None:
    """``$.data."x y"[*].node`` → ``["data", "x y", _ITEMS, "node"]``; ``None`` for what this cannot follow."""
    path = (data_path or "$").strip()
    if not path.startswith("$"):
        return None
    rest, steps, pos = path[1:], [], 0
    while pos < len(rest):
        if rest.startswith("..", pos):
            return None
        match = _STEP.match(rest, pos)
        if match is None or match.end() == pos:
            return None
        pos = match.end()
        if match.group("bare") is not None:
            steps.append(match.group("bare"))
        elif match.group("single") is not None:
            steps.append(match.group("single"))
        elif match.group("double") is not None:
            steps.append(match.group("double"))
        else:
            steps.append(_ITEMS)
    return steps


def _follow(root: dict[str, Any], data_path: str | None) -> dict[str, Any] | None:
    steps = _steps(data_path)
    if steps is None:
        return None
    node: dict[str, Any] | None = root
    for step in steps:
        node = _step(node, step, root) if node is not None else None
        if node is None:
            return None
    assert node is not None
    if not steps or steps[-1] is not _ITEMS:
        # a list found at the data path is the list of records (see jsonpath.extract_records)
        items = _step(node, _ITEMS, root) if _may_be_array(node, root) else None
        if items is not None:
            node = items
    definitions: dict[str, Any] = {k: root[k] for k in ("$defs", "definitions") if k in root and k not in node}
    return {**node, **definitions} if definitions else node


def _alternatives(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> Iterator[dict[str, Any]]:
    """``schema`` and the schemas it combines (allOf/anyOf/oneOf, local ``$ref``), nearest first."""
    if depth > 8:
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        target = _pointer(root, ref[1:])
        if isinstance(target, dict):
            yield from _alternatives(target, root, depth + 1)
    yield schema
    for keyword in ("allOf", "anyOf", "oneOf"):
        members = schema.get(keyword)
        if isinstance(members, list):
            for member in members:
                if isinstance(member, dict):
                    yield from _alternatives(member, root, depth + 1)


def _step(schema: dict[str, Any], step: object, root: dict[str, Any]) -> dict[str, Any] | None:
    for candidate in _alternatives(schema, root):
        if step is _ITEMS:
            items = candidate.get("items")
            if isinstance(items, dict):
                return items
            continue
        properties = candidate.get("properties")
        found = properties.get(str(step)) if isinstance(properties, dict) else None
        if isinstance(found, dict):
            return found
    return None


def _may_be_array(schema: dict[str, Any], root: dict[str, Any]) -> bool:
    for candidate in _alternatives(schema, root):
        declared = candidate.get("type")
        if declared == "array" or (isinstance(declared, list) and "array" in declared):
            return True
    return False


def _pointer(root: Any, pointer: str) -> Any:
    node = root
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


# --- from schema fields ------------------------------------------------------------------------------------


def fields_schema(fields: Sequence[SchemaField]) -> dict[str, Any] | None:
    """A record's JSON Schema from its listed fields (``None`` without usable fields).

    A field is placed by its JSONPath (else by its dotted name); no field is required (a listing of
    fields does not say which are optional) and none may be null unless its type says ``null``.
    A field typed ``any`` (or a type this does not know) only says that it may be there.
    """
    root: dict[str, Any] = {"type": "object", "properties": {}}
    used = False
    for f in fields:
        steps = _steps(f.path) if f.path else [part for part in f.field.split(".") if part]
        if steps is None or any(step is _ITEMS for step in steps):
            continue
        names = [str(step) for step in steps]
        leaf = _field_type_schema(f.type)
        if not names:  # `$`: the record is itself a value
            return leaf if leaf else None
        node = root
        for name in names[:-1]:
            child = node["properties"].setdefault(name, {"type": "object", "properties": {}})
            if "properties" not in child:
                break
            node = child
        else:
            node["properties"][names[-1]] = leaf
            used = True
    return root if used else None


def _field_type_schema(text: str) -> dict[str, Any]:
    base = text.split("(", 1)[0].strip().lower()
    kinds = [k.strip() for k in base.replace("|", ",").split(",") if k.strip()]
    if kinds and all(k in _FIELD_TYPES for k in kinds):
        return {"type": kinds[0] if len(kinds) == 1 else kinds}
    return {}


# --- explaining a validation error -------------------------------------------------------------------------


def _explain(error: ValidationError) -> list[ContractMismatch]:
    """``error`` as mismatches (an ``anyOf`` whose one fitting alternative failed deeper is explained there)."""
    field = _field_name(error.absolute_path)
    kind = error.validator
    value = error.validator_value
    if kind == "type":
        return [ContractMismatch(field, _types_text(value), _kind(error.instance))]
    if kind == "required":
        match = _REQUIRED.match(error.message)
        name = match.group("name") if match else error.message
        with contextlib.suppress(ValueError, SyntaxError):
            name = str(ast.literal_eval(name))
        properties = error.schema.get("properties") if isinstance(error.schema, dict) else None
        declared = properties.get(name) if isinstance(properties, dict) else None
        expected = _expected_text(declared) if isinstance(declared, dict) else "a value"
        return [ContractMismatch(f"{field}.{name}" if field else name, expected, "nothing (missing)")]
    if kind == "enum" and isinstance(value, list):
        options = ", ".join(_short(v) for v in value[:6]) + (", …" if len(value) > 6 else "")
        return [ContractMismatch(field, f"one of {options}", _short(error.instance))]
    if kind == "const":
        return [ContractMismatch(field, _short(value), _short(error.instance))]
    if kind in ("anyOf", "oneOf") and isinstance(value, list):
        fitting = [i for i, alt in enumerate(value) if isinstance(alt, dict) and _admits(alt, error.instance)]
        if len(fitting) == 1 and error.context:
            inner = [e for e in error.context if e.relative_schema_path and e.relative_schema_path[0] == fitting[0]]
            explained = [m for e in inner for m in _explain(e)]
            if explained:
                return explained
        expected = " or ".join(dict.fromkeys(_expected_text(alt) for alt in value if isinstance(alt, dict)))
        return [ContractMismatch(field, expected or "one of the allowed shapes", _kind(error.instance))]
    return [ContractMismatch(field, f"{kind} {_short(value)}", _short(error.instance))]


def _field_name(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _types_text(value: Any) -> str:
    kinds = [value] if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else []
    return " or ".join(kinds) or "a valid value"


def _expected_text(schema: dict[str, Any]) -> str:
    if "type" in schema:
        return _types_text(schema["type"])
    if isinstance(schema.get("enum"), list):
        return "one of " + ", ".join(_short(v) for v in schema["enum"][:6])
    for keyword in ("anyOf", "oneOf"):
        if isinstance(schema.get(keyword), list):
            return " or ".join(_expected_text(alt) for alt in schema[keyword] if isinstance(alt, dict))
    if isinstance(schema.get("properties"), dict):
        return "object"
    return "a value"


def _admits(schema: dict[str, Any], instance: Any) -> bool:
    """Whether ``schema``'s declared type (if any) allows ``instance``'s JSON kind."""
    declared = schema.get("type")
    if declared is None:
        enum = schema.get("enum")
        return instance in enum if isinstance(enum, list) else "const" not in schema
    kinds = {declared} if isinstance(declared, str) else set(declared) if isinstance(declared, list) else set()
    kind = _kind(instance)
    return kind in kinds or (kind == "integer" and "number" in kinds)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "…"
