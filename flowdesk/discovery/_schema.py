"""JSON Schema (as OpenAPI uses it) turned into what an entity needs: fields, a data path, a body skeleton.

Schemas are flattened first: ``$ref`` followed, ``allOf``/``oneOf``/``anyOf`` merged into one set of
properties (a field list is a guide for the user, so the union of the alternatives is the useful answer),
and 3.1's ``type: [string, "null"]`` read as ``string``. A reference already followed on the way down is a
cycle (a ``Category`` with ``parent: Category``): the field stops there and shows as ``object``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flowdesk.discovery._refs import RefResolver
from flowdesk.model import SchemaField

MAX_FIELD_DEPTH = 3
"""Nested objects are listed as dotted fields this deep; deeper ones show as one ``object`` field."""

ENVELOPE_NAMES = (
    "data", "items", "results", "records", "value", "entries", "rows", "objects", "hits", "elements",
    "list", "content", "resources", "collection", "nodes",
)  # fmt: skip
"""Property names that hold the records of a list response, most common first."""

WRAPPER_NAMES = ("data", "result", "response", "payload", "body")
"""Object properties that wrap the real envelope (``{"data": {"customers": [...]}}``)."""

JSONPATH_KEYWORDS = frozenset({"where", "wherenot"})
"""jsonpath-ng's reserved words: a field of that name must be quoted (``$."where"``)."""

CONTRACT_DEPTH = 6
"""Nesting levels (properties, items) of a response kept in an entity's ``response_schema``."""

CONTRACT_BUDGET = 300
"""Schema nodes a ``response_schema`` may hold: a deeply linked response (a repository holding its owner,
its template repository holding another owner …) is kept less deep until it fits, so a large description
does not make every stored entity large."""

_IDENTITY_NAMES = frozenset({"id", "uuid", "guid", "key", "_id"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def child_path(base: str, name: str) -> str:
    """``$.data`` + ``customers`` → ``$.data.customers``; names JSONPath cannot take bare are quoted."""
    if _bare_name(name):
        return f"{base}.{name}"
    quote = "'" if '"' in name else '"'
    return f"{base}.{quote}{name}{quote}"


def _bare_name(name: str) -> bool:
    """Whether ``name`` can follow a dot unquoted: an identifier that is not a JSONPath keyword.

    Decided without parsing: a JSONPath parse costs about a millisecond, and a large description has
    hundreds of thousands of fields.
    """
    return _IDENTIFIER.match(name) is not None and name not in JSONPATH_KEYWORDS


@dataclass
class FlatSchema:
    """One schema with references and composition resolved (one level: properties stay unresolved)."""

    type: str | None = None
    format: str | None = None
    properties: dict[str, tuple[Any, str]] = field(default_factory=dict)
    items: tuple[Any, str] | None = None
    description: str | None = None
    read_only: bool = False
    enum: list[Any] | None = None
    default: Any = None
    seen: frozenset[str] = frozenset()
    cycle: bool = False

    @property
    def field_type(self) -> str:
        """The type as an entity's schema shows it (``string(date-time)`` keeps the useful format)."""
        if self.cycle:
            return "object"
        if self.type == "string" and self.format in ("date-time", "date"):
            return f"string({self.format})"
        return self.type or "any"


class SchemaReader:
    """Reads schemas of one document set; the resolver knows where each node lives."""

    def __init__(self, resolver: RefResolver) -> None:
        self.resolver = resolver
        self._contracts: dict[tuple[int, str, int], tuple[dict[str, Any], int]] = {}
        self._fields: dict[tuple[int, str, frozenset[str], tuple[str, ...]], list[SchemaField]] = {}
        self._sizes: dict[tuple[int, str, int], int] = {}

    def flatten(self, node: Any, doc: str, seen: frozenset[str] = frozenset()) -> FlatSchema:
        """Resolve ``node`` into a :class:`FlatSchema`; ``seen`` holds the refs already followed above it."""
        resolved = self.resolver.resolve(node, doc)
        if any(key in seen for key in resolved.refs):
            return FlatSchema(type="object", seen=seen, cycle=True)
        seen = seen | frozenset(resolved.refs)
        schema, doc = resolved.node, resolved.doc
        flat = FlatSchema(seen=seen)
        if not isinstance(schema, dict):
            return flat
        flat.type = _json_type(schema)
        flat.format = schema.get("format") if isinstance(schema.get("format"), str) else None
        flat.description = schema.get("description") if isinstance(schema.get("description"), str) else None
        flat.read_only = schema.get("readOnly") is True
        if isinstance(schema.get("enum"), list):
            flat.enum = list(schema["enum"])
        flat.default = schema.get("default")
        properties = schema.get("properties")
        if isinstance(properties, dict):
            flat.properties = {str(name): (sub, doc) for name, sub in properties.items()}
        if "items" in schema and isinstance(schema["items"], dict):
            flat.items = (schema["items"], doc)
        for keyword in ("allOf", "oneOf", "anyOf"):
            members = schema.get(keyword)
            if not isinstance(members, list):
                continue
            for member in members:
                part = self.flatten(member, doc, seen)
                if part.cycle:
                    continue  # a subtype pointing back at its parent adds nothing new
                _merge(flat, part)
        if flat.type is None:
            if flat.properties:
                flat.type = "object"
            elif flat.items is not None:
                flat.type = "array"
        return flat

    def fields(self, node: Any, doc: str, seen: frozenset[str] = frozenset()) -> list[SchemaField]:
        """The record schema as dotted fields with JSONPaths relative to one record.

        Remembered per schema: the operations of a description share their records (list, get, create
        and update of a resource), and a large one has hundreds of fields each.
        """
        resolved = self.resolver.resolve(node, doc)
        key = (id(resolved.node), resolved.doc, seen, resolved.refs)
        found = self._fields.get(key)
        if found is None:
            found = self._fields[key] = self._record_fields(node, doc, seen)
        return list(found)

    def _record_fields(self, node: Any, doc: str, seen: frozenset[str]) -> list[SchemaField]:
        flat = self.flatten(node, doc, seen)
        if flat.type != "object" or not flat.properties:
            return [SchemaField(field="value", type=flat.field_type, path="$", description=flat.description)]
        out: list[SchemaField] = []
        self._collect(flat, prefix="", path="$", depth=1, out=out)
        return out

    def _collect(self, flat: FlatSchema, *, prefix: str, path: str, depth: int, out: list[SchemaField]) -> None:
        for name, (sub, doc) in flat.properties.items():
            child = self.flatten(sub, doc, flat.seen)
            dotted = f"{prefix}{name}"
            where = child_path(path, name)
            if child.type == "object" and child.properties and not child.cycle and depth < MAX_FIELD_DEPTH:
                self._collect(child, prefix=dotted + ".", path=where, depth=depth + 1, out=out)
                continue
            out.append(SchemaField(field=dotted, type=child.field_type, path=where, description=child.description))

    def records(self, node: Any, doc: str) -> tuple[str, tuple[Any, str, frozenset[str]], list[str]]:
        """Where a response's records sit: ``(data_path, (record schema, its doc, refs seen), notes)``.

        A root array is the list itself (``$``). An object is an envelope when it has a property from
        :data:`ENVELOPE_NAMES` holding an array, or exactly one array of objects and no identity field (a
        record such as ``{id, tags: [...]}`` is not an envelope); ``data``-like wrappers are looked into
        once more. Anything else is a single record at ``$``.
        """
        flat = self.flatten(node, doc)
        if flat.type == "array" and flat.items is not None:
            return "$", (flat.items[0], flat.items[1], flat.seen), []
        found = self._envelope(flat, "$", levels=2)
        if found is not None:
            path, record = found
            return path, record, [f"records guessed at {path} (the list inside the response object)"]
        return "$", (node, doc, frozenset()), []

    def _envelope(self, flat: FlatSchema, path: str, levels: int) -> tuple[str, tuple[Any, str, frozenset[str]]] | None:
        if flat.type != "object" or flat.cycle:
            return None
        children = {name: (self.flatten(sub, doc, flat.seen), sub, doc) for name, (sub, doc) in flat.properties.items()}
        arrays = {name: c for name, c in children.items() if c[0].type == "array" and c[0].items is not None}
        for preferred in ENVELOPE_NAMES:
            for name, (child, _, _) in arrays.items():
                if name.lower() == preferred and child.items is not None:
                    return child_path(path, name), (child.items[0], child.items[1], child.seen)
        object_arrays = {
            name: c for name, c in arrays.items() if c[0].items is not None and self._is_object(c[0].items, c[0].seen)
        }
        has_identity = any(name.lower() in _IDENTITY_NAMES for name in children)
        if len(object_arrays) == 1 and not has_identity:
            name, (child, _, _) = next(iter(object_arrays.items()))
            assert child.items is not None
            return child_path(path, name), (child.items[0], child.items[1], child.seen)
        if levels > 1:
            for wrapper in WRAPPER_NAMES:
                for name, (child, _, _) in children.items():
                    if name.lower() == wrapper and child.type == "object":
                        found = self._envelope(child, child_path(path, name), levels - 1)
                        if found is not None:
                            return found
        return None

    def _is_object(self, item: tuple[Any, str], seen: frozenset[str]) -> bool:
        flat = self.flatten(item[0], item[1], seen)
        return flat.type == "object"

    def body_skeleton(self, node: Any, doc: str) -> Any:
        """A body template naming each writable top-level property: ``{"name": "{name}"}``.

        Whole-value templates keep the item's value type, so nested objects and lists pass through as they
        are. An array body gets one such element; a schema without properties gives ``None`` (nothing to
        prefill).
        """
        flat = self.flatten(node, doc)
        if flat.type == "array" and flat.items is not None:
            element = self.body_skeleton(flat.items[0], flat.items[1])
            return [element] if element is not None else None
        if not flat.properties:
            return None
        skeleton: dict[str, str] = {}
        for name, (sub, sub_doc) in flat.properties.items():
            if self.flatten(sub, sub_doc, flat.seen).read_only:
                continue
            skeleton[name] = "{" + name + "}"
        return skeleton or None

    def contract(self, node: Any, doc: str) -> dict[str, Any]:
        """A self-contained JSON Schema (draft 2020-12) of a response, for checking what the API returns.

        References are inlined, as deep as :data:`CONTRACT_DEPTH` allows (less when that would pass
        :data:`CONTRACT_BUDGET`; a reference cycle simply ends there); OpenAPI 3.0's ``nullable`` becomes
        a ``null`` type; ``oneOf`` is read as ``anyOf`` (real alternatives often overlap, and a record that
        fits two of them is no contract breach); ``writeOnly`` properties are left out (a response never
        has them). Only what says what a value is (types, properties, required, items, enum, const) is
        kept: descriptions, examples, formats and bounds would make stored entities large for little use.
        Converted schemas are remembered per depth, as a description's operations share their schemas.
        """
        depth = 1
        while depth < CONTRACT_DEPTH and self._contract_size(node, doc, depth + 1, CONTRACT_BUDGET) <= CONTRACT_BUDGET:
            depth += 1
        return self._contract(node, doc, depth)[0]

    def _contract_size(self, node: Any, doc: str, depth: int, limit: int) -> int:
        """How many nodes :meth:`_contract` would make at ``depth`` (counting stops soon after ``limit``)."""
        resolved = self.resolver.resolve(node, doc)
        schema, doc = resolved.node, resolved.doc
        if resolved.missing or not isinstance(schema, dict):
            return 1
        key = (id(schema), doc, depth)
        known = self._sizes.get(key)
        if known is not None:
            return known
        size = 1
        children: list[tuple[Any, int]] = [(m, depth) for k in ("allOf", "oneOf", "anyOf") for m in _members(schema, k)]
        if depth > 0:
            properties = schema.get("properties")
            if isinstance(properties, dict):
                children += [(sub, depth - 1) for sub in properties.values()]
            for keyword in ("items", "additionalProperties"):
                if isinstance(schema.get(keyword), dict):
                    children.append((schema[keyword], depth - 1))
        for child, child_depth in children:
            size += self._contract_size(child, doc, child_depth, limit - size)
            if size > limit:
                return size  # not remembered: counting stopped early
        self._sizes[key] = size
        return size

    def _contract(self, node: Any, doc: str, depth: int) -> tuple[dict[str, Any], int]:
        """``(schema, its node count)``; the returned dicts may be shared, so they are never changed."""
        resolved = self.resolver.resolve(node, doc)
        schema, doc = resolved.node, resolved.doc
        if resolved.missing or not isinstance(schema, dict):
            return {}, 1  # 3.1 allows `true`/`false` as schemas; `false` in a response is not worth enforcing
        key = (id(schema), doc, depth)
        found = self._contracts.get(key)
        if found is None:
            found = self._contracts[key] = self._convert(schema, doc, depth)
        return found

    def _convert(self, schema: dict[str, Any], doc: str, depth: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        size = 1
        types = _declared_types(schema)
        nullable = schema.get("nullable") is True or schema.get("x-nullable") is True
        if isinstance(schema.get("enum"), list):
            out["enum"] = list(schema["enum"])
        if "const" in schema:
            out["const"] = schema["const"]
        properties = schema.get("properties")
        if depth > 0:
            if isinstance(properties, dict):
                kept: dict[str, Any] = {}
                for name, sub in properties.items():
                    if self._write_only(sub, doc):
                        continue
                    kept[str(name)], sub_size = self._contract(sub, doc, depth - 1)
                    size += sub_size
                out["properties"] = kept
            if isinstance(schema.get("items"), dict):
                out["items"], sub_size = self._contract(schema["items"], doc, depth - 1)
                size += sub_size
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                out["additionalProperties"], sub_size = self._contract(extra, doc, depth - 1)
                size += sub_size
        required = schema.get("required")
        if isinstance(required, list) and isinstance(properties, dict) and "properties" in out:
            # a required writeOnly property (a password) is required in requests only
            names = [n for n in required if isinstance(n, str) and (n in out["properties"] or n not in properties)]
            if names:
                out["required"] = sorted(set(names))  # sorted: a re-ordered list is the same contract
        for keyword in ("allOf", "oneOf", "anyOf"):
            members = schema.get(keyword)
            if not isinstance(members, list) or not members:
                continue
            parts: list[dict[str, Any]] = []
            for member in members:
                part, sub_size = self._contract(member, doc, depth)
                parts.append(part)
                size += sub_size
            if keyword == "allOf":
                out.setdefault("allOf", []).extend(part for part in parts if part)
            elif all(parts):  # an alternative that allows anything makes the whole allow anything
                if "anyOf" in out:  # both oneOf and anyOf: each must hold
                    out.setdefault("allOf", []).append({"anyOf": parts})
                else:
                    out["anyOf"] = parts
        if out.get("allOf") == []:
            del out["allOf"]
        if not types and "properties" in out:
            types = ["object"]
        if types == ["null"]:
            out["type"] = "null"
            return out, size
        if nullable or "null" in types:
            types = [t for t in types if t != "null"]
            if "allOf" in out or "anyOf" in out or (not types and "enum" not in out):
                if types:
                    out["type"] = types[0] if len(types) == 1 else types
                return ({"anyOf": [{"type": "null"}, out]}, size + 1) if out else ({}, size)
            types.append("null")
            if "enum" in out and None not in out["enum"]:
                out["enum"].append(None)
        if types:
            out["type"] = types[0] if len(types) == 1 else types
        return out, size

    def _write_only(self, node: Any, doc: str) -> bool:
        target = self.resolver.resolve(node, doc).node
        return isinstance(target, dict) and target.get("writeOnly") is True

    def property_names(self, node: Any, doc: str, depth: int = 2) -> dict[str, str]:
        """Dotted property names → JSONPath, nested objects included, for finding cursors and totals."""
        out: dict[str, str] = {}
        self._names(self.flatten(node, doc), "", "$", depth, out)
        return out

    def _names(self, flat: FlatSchema, prefix: str, path: str, depth: int, out: dict[str, str]) -> None:
        for name, (sub, doc) in flat.properties.items():
            where = child_path(path, name)
            out[prefix + name] = where
            if depth > 1:
                child = self.flatten(sub, doc, flat.seen)
                if child.type == "object" and not child.cycle:
                    self._names(child, f"{prefix}{name}.", where, depth - 1, out)


def _members(schema: dict[str, Any], keyword: str) -> list[Any]:
    members = schema.get(keyword)
    return members if isinstance(members, list) else []


def _declared_types(schema: dict[str, Any]) -> list[str]:
    """``type`` as a list (3.1 allows one); Swagger 2.0's ``file`` is a string."""
    declared = schema.get("type")
    listed = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    return ["string" if t == "file" else t for t in listed if isinstance(t, str)]


def _json_type(schema: dict[str, Any]) -> str | None:
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), "null" if declared else None)
    if isinstance(declared, str):
        return "string" if declared == "file" else declared
    return None


def _merge(into: FlatSchema, part: FlatSchema) -> None:
    into.type = into.type or part.type
    into.format = into.format or part.format
    into.description = into.description or part.description
    for name, value in part.properties.items():
        into.properties.setdefault(name, value)
    into.items = into.items or part.items
    into.enum = into.enum or part.enum
    if into.default is None:
        into.default = part.default
    into.seen = into.seen | part.seen
