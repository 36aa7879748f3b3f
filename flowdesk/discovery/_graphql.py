"""GraphQL: each query and mutation field becomes a POST entity carrying a generated operation.

The operation selects the scalar fields of the return type, and those of its object fields one level
down (depth 2), so a first call returns something useful without the user writing GraphQL; arguments
become ``$variables`` filled from templates. For Relay connections the records are read from the
connection's plain list field when it has one (swapi's ``allPeople { people }``), else from
``edges[*].node``; ``pageInfo`` is selected so the user can page with ``after``.
"""

from __future__ import annotations

import json
from typing import Any

from flowdesk.discovery._result import DiscoveryResult, EntityCollector, SpecError
from flowdesk.discovery._schema import child_path
from flowdesk.discovery._sdl import parse_sdl
from flowdesk.model import SchemaField

SELECTION_DEPTH = 2

_TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }"  # noqa: E501

INTROSPECTION_QUERY = f"""query IntrospectionQuery {{
  __schema {{
    queryType {{ name }}
    mutationType {{ name }}
    subscriptionType {{ name }}
    types {{ ...FullType }}
  }}
}}

fragment FullType on __Type {{
  kind
  name
  description
  fields(includeDeprecated: true) {{
    name
    description
    args {{ ...InputValue }}
    type {{ ...TypeRef }}
    isDeprecated
    deprecationReason
  }}
  inputFields {{ ...InputValue }}
  interfaces {{ ...TypeRef }}
  enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }}
  possibleTypes {{ ...TypeRef }}
}}

fragment InputValue on __InputValue {{
  name
  description
  type {{ ...TypeRef }}
  defaultValue
}}

fragment TypeRef on __Type {{
  {_TYPE_REF}
}}
"""
"""The standard introspection query (as graphql-js's ``getIntrospectionQuery()``, without directives)."""

SCALAR_TYPES = {"String": "string", "ID": "string", "Int": "integer", "Float": "number", "Boolean": "boolean"}


def discover_graphql(
    introspection_or_sdl: dict[str, Any] | str,
    *,
    endpoint_path: str = "",
    source_name: str = "graphql",
) -> DiscoveryResult:
    """Entities for the query and mutation fields of a GraphQL schema.

    ``introspection_or_sdl`` is the JSON answer to :data:`INTROSPECTION_QUERY` (with or without the
    ``data`` wrapper), or SDL text. ``endpoint_path`` is where the entities POST to (``""``: the
    connection's base URL).

    Raises:
        SpecError: the introspection result carries errors or no ``__schema``, or the SDL does not parse.
    """
    if isinstance(introspection_or_sdl, str):
        schema = parse_sdl(introspection_or_sdl, source_name=source_name)
    else:
        schema = _schema_of(introspection_or_sdl, source_name)
    result = DiscoveryResult(source="graphql")
    _Reader(schema, result, endpoint_path, source_name).read()
    result.stamp_origins(source_name)
    return result


def _schema_of(answer: dict[str, Any], source_name: str) -> dict[str, Any]:
    data = answer.get("data", answer) if isinstance(answer, dict) else None
    schema = data.get("__schema") if isinstance(data, dict) else None
    if not isinstance(schema, dict):
        errors = answer.get("errors") if isinstance(answer, dict) else None
        if errors:
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            raise SpecError(source_name, "errors", f"the introspection query failed: {messages}")
        raise SpecError(source_name, "data.__schema", "missing: not an introspection result")
    if not isinstance(schema.get("types"), list):
        raise SpecError(source_name, "data.__schema.types", "expected a list of types")
    return schema


def _unwrap(ref: dict[str, Any]) -> tuple[dict[str, Any], bool, bool]:
    """``(named type ref, is a list, outermost non-null)`` of a type reference."""
    non_null = ref.get("kind") == "NON_NULL"
    is_list = False
    while ref.get("ofType") is not None and ref.get("kind") in ("NON_NULL", "LIST"):
        if ref.get("kind") == "LIST":
            is_list = True
        ref = ref["ofType"]
    return ref, is_list, non_null


def _type_text(ref: dict[str, Any]) -> str:
    """A type reference as GraphQL writes it (``[ID!]!``), for variable declarations."""
    kind = ref.get("kind")
    if kind == "NON_NULL":
        return _type_text(ref["ofType"]) + "!"
    if kind == "LIST":
        return "[" + _type_text(ref["ofType"]) + "]"
    return str(ref.get("name"))


class _Reader:
    def __init__(self, schema: dict[str, Any], result: DiscoveryResult, endpoint_path: str, source_name: str) -> None:
        self.types = {t["name"]: t for t in schema["types"] if isinstance(t, dict) and isinstance(t.get("name"), str)}
        self.schema = schema
        self.result = result
        self.endpoint_path = endpoint_path
        self.source_name = source_name
        self.collector = EntityCollector(result)

    def _root(self, key: str) -> dict[str, Any] | None:
        ref = self.schema.get(key)
        name = ref.get("name") if isinstance(ref, dict) else None
        if name is None:
            return None
        found = self.types.get(name)
        if found is None:
            raise SpecError(self.source_name, key, f"names the type {name!r}, which is not declared")
        return found

    def read(self) -> None:
        query, mutation = self._root("queryType"), self._root("mutationType")
        if query is None and mutation is None:
            raise SpecError(self.source_name, "queryType", "the schema declares no query or mutation type")
        self.result.title = query["name"] if query else None
        counts: dict[str, int] = {}
        for operation, root in (("query", query), ("mutation", mutation)):
            fields = (root or {}).get("fields") or []
            counts[f"{operation}_fields"] = len(fields)
            for gql_field in fields:
                self._entity(operation, gql_field)
        subscription = self._root("subscriptionType")
        self.result.extras.update(counts)
        if subscription is not None:
            names = [f["name"] for f in subscription.get("fields") or []]
            self.result.extras["subscriptions"] = names
            if names:
                self.result.warnings.append(f"{len(names)} subscription field(s) are not imported (they need a socket)")

    def _entity(self, operation: str, gql_field: dict[str, Any]) -> None:
        name = str(gql_field["name"])
        args = [a for a in gql_field.get("args") or [] if isinstance(a, dict)]
        named, is_list, _ = _unwrap(gql_field["type"])
        return_type = self.types.get(str(named.get("name")), {"kind": named.get("kind"), "name": named.get("name")})
        data_path = child_path("$.data", name)
        notes: list[str] = []
        record_type = return_type
        connection = self._connection(return_type) if not is_list else None
        if connection is not None:
            list_field, node_type, via_edges = connection
            record_type = node_type
            contract = self._connection_contract(return_type, list_field, node_type, via_edges)
            if via_edges:
                data_path = f"{data_path}.edges[*].node"
                inner = f"edges {{ node {self._selection(node_type, SELECTION_DEPTH)} }}"
            else:
                data_path = child_path(data_path, list_field)
                inner = f"{list_field} {self._selection(node_type, SELECTION_DEPTH)}"
            extra = " pageInfo { hasNextPage endCursor }" if self._has_field(return_type, "pageInfo") else ""
            if self._has_field(return_type, "totalCount"):
                extra += " totalCount"
            selection = f"{{ {inner}{extra} }}"
            if any(a["name"] == "after" for a in args):
                notes.append(
                    f"Relay connection: records at {data_path}; for the next page set the `after` variable to "
                    f"{child_path('$.data', name)}.pageInfo.endCursor"
                )
        else:
            selection = self._selection(return_type, SELECTION_DEPTH)
            contract = self._selection_contract(return_type, SELECTION_DEPTH)
        response_schema = {
            "type": "object",
            "properties": {
                "data": {"type": ["object", "null"], "properties": {name: _wrap(gql_field["type"], contract)}}
            },
        }
        declared = ", ".join(f"${a['name']}: {_type_text(a['type'])}" for a in args)
        passed = ", ".join(f"{a['name']}: ${a['name']}" for a in args)
        document = (
            f"{operation} {name[:1].upper()}{name[1:]}{f'({declared})' if declared else ''} "
            f"{{ {name}{f'({passed})' if passed else ''}{(' ' + selection) if selection else ''} }}"
        )
        body: dict[str, Any] = {"query": document}
        body["variables"] = {a["name"]: "{" + a["name"] + "}" for a in args}
        self.collector.add(
            {
                "name": name,
                "method": "POST",
                "path": self.endpoint_path,
                "description": gql_field.get("description"),
                "body": body,
                "body_type": "json",
                "data_path": data_path,
                "idempotent": operation == "query",
                "schema": [f.model_dump() for f in self._fields(record_type)],
                "response_schema": response_schema,
                "tags": [operation],
                "parameters": [
                    {
                        "name": a["name"],
                        "in": "variable",
                        "required": _unwrap(a["type"])[2] and a.get("defaultValue") is None,
                        "type": _type_text(a["type"]),
                        "default": _default(a.get("defaultValue")),
                        "enum": self._enum(a["type"]),
                        "description": a.get("description"),
                    }
                    for a in args
                ],
            },
            notes,
        )

    def _has_field(self, gql_type: dict[str, Any], name: str) -> bool:
        return any(f.get("name") == name for f in gql_type.get("fields") or [])

    def _connection(self, gql_type: dict[str, Any]) -> tuple[str, dict[str, Any], bool] | None:
        """A Relay connection's ``(list field, record type, records only under edges)``, else ``None``."""
        fields = {f["name"]: f for f in gql_type.get("fields") or []}
        edges = fields.get("edges")
        if edges is None:
            return None
        edge_named, edge_is_list, _ = _unwrap(edges["type"])
        edge_type = self.types.get(str(edge_named.get("name")), {})
        node = next((f for f in edge_type.get("fields") or [] if f["name"] == "node"), None)
        if not edge_is_list or node is None:
            return None
        node_named = _unwrap(node["type"])[0]
        node_type = self.types.get(str(node_named.get("name")), {})
        for list_name, candidate in fields.items():
            named, is_list, _ = _unwrap(candidate["type"])
            if list_name != "edges" and is_list and named.get("name") == node_named.get("name"):
                return list_name, node_type, False
        return "edges", node_type, True

    def _selectable(self, gql_field: dict[str, Any]) -> bool:
        """A field can be selected without arguments when none of its arguments is required."""
        return not any(_unwrap(a["type"])[2] and a.get("defaultValue") is None for a in gql_field.get("args") or [])

    def _selection(self, gql_type: dict[str, Any], depth: int) -> str:
        """``{ scalar fields, object { scalar fields } }`` down to ``depth``; ``""`` for scalars and enums."""
        kind = gql_type.get("kind")
        if kind in ("SCALAR", "ENUM"):
            return ""
        if kind == "UNION":
            return "{ __typename }"
        parts: list[str] = []
        for gql_field in gql_type.get("fields") or []:
            if not self._selectable(gql_field):
                continue
            named = _unwrap(gql_field["type"])[0]
            inner = self.types.get(str(named.get("name")), {"kind": named.get("kind")})
            if inner.get("kind") in ("SCALAR", "ENUM"):
                parts.append(gql_field["name"])
            elif depth > 1:
                nested = self._selection_scalars_only(inner)
                if nested:
                    parts.append(f"{gql_field['name']} {nested}")
        return "{ " + " ".join(parts or ["__typename"]) + " }"

    def _selection_scalars_only(self, gql_type: dict[str, Any]) -> str:
        if gql_type.get("kind") not in ("OBJECT", "INTERFACE"):
            return ""
        names = [
            f["name"]
            for f in gql_type.get("fields") or []
            if self._selectable(f)
            and self.types.get(str(_unwrap(f["type"])[0].get("name")), {}).get("kind") in ("SCALAR", "ENUM")
        ]
        return "{ " + " ".join(names) + " }" if names else ""

    def _fields(self, gql_type: dict[str, Any]) -> list[SchemaField]:
        """The record's fields as selected: scalars, then object fields' scalars as dotted names."""
        kind = gql_type.get("kind")
        if kind in ("SCALAR", "ENUM"):
            return [SchemaField(field="value", type=self._json_type(gql_type), path="$")]
        out: list[SchemaField] = []
        for gql_field in gql_type.get("fields") or []:
            if not self._selectable(gql_field):
                continue
            named, is_list, _ = _unwrap(gql_field["type"])
            inner = self.types.get(str(named.get("name")), {"kind": named.get("kind")})
            path = child_path("$", gql_field["name"])
            if inner.get("kind") in ("SCALAR", "ENUM"):
                json_type = "array" if is_list else self._json_type(inner)
                out.append(SchemaField(field=gql_field["name"], type=json_type, path=path,
                                       description=gql_field.get("description")))  # fmt: skip
            elif is_list:
                out.append(SchemaField(field=gql_field["name"], type="array", path=path,
                                       description=gql_field.get("description")))  # fmt: skip
            elif inner.get("kind") in ("OBJECT", "INTERFACE"):
                for sub in inner.get("fields") or []:
                    sub_named, sub_list, _ = _unwrap(sub["type"])
                    sub_type = self.types.get(str(sub_named.get("name")), {})
                    if sub_type.get("kind") in ("SCALAR", "ENUM") and self._selectable(sub):
                        out.append(SchemaField(field=f"{gql_field['name']}.{sub['name']}",
                                               type="array" if sub_list else self._json_type(sub_type),
                                               path=child_path(path, sub["name"])))  # fmt: skip
        return out

    # --- contract (JSON Schema of what the generated operation returns) --------------------------------------

    def _selection_contract(self, gql_type: dict[str, Any], depth: int) -> dict[str, Any]:
        """The JSON Schema of what :meth:`_selection` selects from ``gql_type``."""
        kind = gql_type.get("kind")
        if kind in ("SCALAR", "ENUM"):
            return self._scalar_contract(gql_type)
        if kind == "UNION":
            return {"type": "object", "properties": {"__typename": {"type": "string"}}}
        properties: dict[str, Any] = {}
        for gql_field in gql_type.get("fields") or []:
            if not self._selectable(gql_field):
                continue
            named = _unwrap(gql_field["type"])[0]
            inner = self.types.get(str(named.get("name")), {"kind": named.get("kind")})
            if inner.get("kind") in ("SCALAR", "ENUM"):
                properties[gql_field["name"]] = _wrap(gql_field["type"], self._scalar_contract(inner))
            elif depth > 1 and self._selection_scalars_only(inner):
                nested = self._selection_contract(inner, 1)
                properties[gql_field["name"]] = _wrap(gql_field["type"], nested)
        return {"type": "object", "properties": properties}

    def _connection_contract(
        self, gql_type: dict[str, Any], list_field: str, node_type: dict[str, Any], via_edges: bool
    ) -> dict[str, Any]:
        node = _nullable(self._selection_contract(node_type, SELECTION_DEPTH))
        if via_edges:
            edge = {"type": ["object", "null"], "properties": {"node": node}}
            properties: dict[str, Any] = {"edges": {"type": ["array", "null"], "items": edge}}
        else:
            properties = {list_field: {"type": ["array", "null"], "items": node}}
        if self._has_field(gql_type, "pageInfo"):
            properties["pageInfo"] = {"type": ["object", "null"]}
        if self._has_field(gql_type, "totalCount"):
            properties["totalCount"] = {"type": ["integer", "null"]}
        return {"type": "object", "properties": properties}

    def _scalar_contract(self, gql_type: dict[str, Any]) -> dict[str, Any]:
        if gql_type.get("kind") == "ENUM":
            return {"type": "string"}
        json_type = SCALAR_TYPES.get(str(gql_type.get("name")))
        return {"type": json_type} if json_type else {}  # a custom scalar may be anything

    def _json_type(self, gql_type: dict[str, Any]) -> str:
        if gql_type.get("kind") == "ENUM":
            return "string"
        return SCALAR_TYPES.get(str(gql_type.get("name")), "string")

    def _enum(self, ref: dict[str, Any]) -> list[str] | None:
        named = _unwrap(ref)[0]
        found = self.types.get(str(named.get("name")), {})
        if found.get("kind") != "ENUM":
            return None
        return [str(v["name"]) for v in found.get("enumValues") or []]


def _wrap(ref: dict[str, Any], leaf: dict[str, Any], non_null: bool = False) -> dict[str, Any]:
    """``leaf`` (the named type's schema) inside the lists and nullability of the type reference ``ref``."""
    kind = ref.get("kind")
    if kind == "NON_NULL" and ref.get("ofType") is not None:
        return _wrap(ref["ofType"], leaf, non_null=True)
    if kind == "LIST" and ref.get("ofType") is not None:
        schema: dict[str, Any] = {"type": "array", "items": _wrap(ref["ofType"], leaf)}
    else:
        schema = leaf
    return schema if non_null else _nullable(schema)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` that also allows ``null`` (GraphQL values are nullable unless declared ``!``)."""
    declared = schema.get("type")
    if not schema:
        return schema
    if isinstance(declared, str):
        return {**schema, "type": [declared, "null"]}
    if isinstance(declared, list):
        return schema if "null" in declared else {**schema, "type": [*declared, "null"]}
    return {"anyOf": [{"type": "null"}, schema]}


def _default(value: Any) -> Any:
    """Introspection gives defaults as GraphQL literals; JSON-compatible ones are turned into values."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
