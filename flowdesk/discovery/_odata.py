"""OData ``$metadata`` (CSDL XML, v4 and v2) → list/get/create/update/delete entities per entity set.

Elements are matched by local name because the namespaces differ between versions (EDMX 2007/06 with EDM
2006–2009 namespaces for v1–v3, ``docs.oasis-open.org`` for v4) while the shapes we need are the same.
The XML is parsed with defusedxml: a ``$metadata`` document comes from a server, so entity expansion and
external entities must not be honoured.

Listing pages with ``$top``/``$skip`` (offset pagination); a service with server-driven paging may answer
with fewer records than asked and an ``@odata.nextLink`` (v4) or ``__next`` (v2), which offset paging
cannot follow, so every list entity carries a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from flowdesk.discovery._result import DiscoveryResult, EntityCollector, SpecError
from flowdesk.discovery._schema import child_path
from flowdesk.model import OffsetPagination, SchemaField

EDMX_V4 = "http://docs.oasis-open.org/odata/ns/edmx"
EDMX_V1_V3 = "http://schemas.microsoft.com/ado/2007/06/edmx"
METADATA_NS_V1_V3 = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"

EDM_TYPES = {
    "Edm.String": "string",
    "Edm.Guid": "string",
    "Edm.Binary": "string",
    "Edm.Duration": "string",
    "Edm.Time": "string",
    "Edm.TimeOfDay": "string",
    "Edm.Boolean": "boolean",
    "Edm.Byte": "integer",
    "Edm.SByte": "integer",
    "Edm.Int16": "integer",
    "Edm.Int32": "integer",
    "Edm.Int64": "integer",
    "Edm.Decimal": "number",
    "Edm.Double": "number",
    "Edm.Single": "number",
    "Edm.DateTimeOffset": "string(date-time)",
    "Edm.DateTime": "string(date-time)",
    "Edm.Date": "string(date)",
}
"""EDM primitive types as JSON types; geography/geometry and streams show as ``object``."""

PAGE_SIZE = 100
MAX_COMPLEX_DEPTH = 2

CONTRACT_TYPES: dict[str, list[str]] = {
    "Edm.Boolean": ["boolean"],
    "Edm.Byte": ["integer"],
    "Edm.SByte": ["integer"],
    "Edm.Int16": ["integer"],
    "Edm.Int32": ["integer"],
    # v2 JSON writes 64-bit and decimal numbers as strings, v4 may (IEEE754Compatible); doubles may be "NaN"
    "Edm.Int64": ["integer", "string"],
    "Edm.Decimal": ["number", "string"],
    "Edm.Double": ["number", "string"],
    "Edm.Single": ["number", "string"],
}
"""EDM primitive types as JSON Schema types for contract checks; the other ``Edm.*`` types are strings."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


@dataclass
class _Property:
    name: str
    type: str
    navigation: bool = False
    nullable: bool = True
    computed: bool = False
    to_role: str | None = None


@dataclass
class _StructuredType:
    name: str
    base: str | None = None
    keys: list[str] = field(default_factory=list)
    properties: list[_Property] = field(default_factory=list)


class _Model:
    """Every schema's types, addressable by ``Namespace.Name`` and ``Alias.Name``."""

    def __init__(self) -> None:
        self.types: dict[str, _StructuredType] = {}
        self.enums: set[str] = set()
        self.functions: dict[str, Element] = {}
        self.actions: dict[str, Element] = {}
        self.associations: dict[str, Element] = {}

    def register(self, schema: Element) -> None:
        prefixes = [p for p in (schema.get("Namespace"), schema.get("Alias")) if p]
        for element in schema:
            kind, name = _local(element.tag), element.get("Name")
            if not name:
                continue
            for prefix in prefixes:
                qualified = f"{prefix}.{name}"
                if kind in ("EntityType", "ComplexType"):
                    self.types[qualified] = _read_type(element)
                elif kind == "EnumType":
                    self.enums.add(qualified)
                elif kind == "Function":
                    # overloads: keep the unbound one, which is the one an import can call
                    if qualified not in self.functions or element.get("IsBound") != "true":
                        self.functions[qualified] = element
                elif kind == "Action":
                    if qualified not in self.actions or element.get("IsBound") != "true":
                        self.actions[qualified] = element
                elif kind == "Association":
                    self.associations[qualified] = element

    def keys(self, type_name: str) -> list[str]:
        seen: set[str] = set()
        current = self.types.get(type_name)
        while current is not None and current.name not in seen:
            if current.keys:
                return current.keys
            seen.add(current.name)
            current = self.types.get(current.base or "")
        return []

    def properties(self, type_name: str) -> list[_Property]:
        """Own properties after the base type's, so a derived type lists everything it carries."""
        chain: list[_StructuredType] = []
        current = self.types.get(type_name)
        while current is not None and current not in chain:
            chain.append(current)
            current = self.types.get(current.base or "")
        return [prop for t in reversed(chain) for prop in t.properties]


def _read_type(element: Element) -> _StructuredType:
    t = _StructuredType(name=element.get("Name", ""), base=element.get("BaseType"))
    for key in _children(element, "Key"):
        t.keys = [ref.get("Name", "") for ref in _children(key, "PropertyRef")]
    for prop in element:
        kind = _local(prop.tag)
        if kind not in ("Property", "NavigationProperty"):
            continue
        computed = any(
            _local(a.tag) == "Annotation"
            and a.get("Term", "").endswith("Core.V1.Computed")
            and a.get("Bool") != "false"
            for a in prop
        )
        t.properties.append(
            _Property(
                name=prop.get("Name", ""),
                # v2 navigation properties name an association instead of a type
                type=prop.get("Type", "") or prop.get("Relationship", ""),
                navigation=kind == "NavigationProperty",
                nullable=prop.get("Nullable", "true") != "false",
                computed=computed,
                to_role=prop.get("ToRole"),
            )
        )
    return t


def discover_odata(metadata_xml: str, *, source_name: str = "$metadata") -> DiscoveryResult:
    """Entities for every entity set (and singleton, function import, action import) of a service.

    Raises:
        SpecError: the text is not well-formed XML (naming the line), uses forbidden XML features, or is
            not an EDMX document.
    """
    try:
        root = fromstring(metadata_xml.lstrip("\ufeff").lstrip())
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise SpecError(source_name, f"line {line}, column {column + 1}", f"not well-formed XML ({exc})") from exc
    except DefusedXmlException as exc:
        raise SpecError(source_name, "", f"refused: the XML uses entities or DTDs ({exc})") from exc
    if _local(root.tag) != "Edmx":
        raise SpecError(source_name, f"<{_local(root.tag)}>", "not an OData $metadata document (expected <edmx:Edmx>)")
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    result = DiscoveryResult(source="odata-v4" if namespace == EDMX_V4 else "odata-v2")
    if namespace not in (EDMX_V4, EDMX_V1_V3):
        result.warnings.append(f"unknown EDMX namespace {namespace!r}: read as OData v4")
        result.source = "odata-v4"
    services = _children(root, "DataServices")
    if not services:
        raise SpecError(source_name, "Edmx", "no <edmx:DataServices> element")
    if result.source == "odata-v2":
        version = services[0].get(f"{{{METADATA_NS_V1_V3}}}DataServiceVersion", "")
        if version.startswith("3"):
            result.warnings.append("DataServiceVersion 3.0: read like v2 (verbose JSON under $.d)")
    _Reader(services[0], result, source_name).read()
    result.stamp_origins(source_name)
    return result


class _Reader:
    def __init__(self, services: Element, result: DiscoveryResult, source_name: str) -> None:
        self.services = services
        self.result = result
        self.source_name = source_name
        self.v4 = result.source == "odata-v4"
        self.model = _Model()
        self.collector = EntityCollector(result)

    # v4 JSON puts a collection under "value", v2 verbose JSON under "d.results" (a single entity at "d")
    @property
    def list_path(self) -> str:
        return "$.value" if self.v4 else "$.d.results"

    @property
    def single_path(self) -> str:
        return "$" if self.v4 else "$.d"

    def read(self) -> None:
        schemas = _children(self.services, "Schema")
        if not schemas:
            raise SpecError(self.source_name, "DataServices", "no <Schema> element")
        for schema in schemas:
            self.model.register(schema)
        containers = [(s, c) for s in schemas for c in _children(s, "EntityContainer")]
        if not containers:
            raise SpecError(self.source_name, "Schema", "no <EntityContainer>: the service exposes nothing")
        schema, container = containers[0]
        self.result.title = schema.get("Namespace") or container.get("Name")
        sets: list[str] = []
        singletons: list[str] = []
        imports: list[dict[str, Any]] = []
        for element in container:
            kind, name = _local(element.tag), element.get("Name", "")
            if not name:
                continue
            if kind == "EntitySet":
                sets.append(name)
                self._entity_set(name, element.get("EntityType", ""))
            elif kind == "Singleton":
                singletons.append(name)
                self._singleton(name, element.get("Type", ""))
            elif kind == "FunctionImport":
                imports.append({"name": name, "kind": "function"})
                self._function_import(element)
            elif kind == "ActionImport":
                imports.append({"name": name, "kind": "action"})
                self._action_import(element)
        bound = [
            {"name": el.get("Name"), "kind": kind, "binding": self._binding(el)}
            for kind, table in (("function", self.model.functions), ("action", self.model.actions))
            for qualified, el in table.items()
            if el.get("IsBound") == "true" and qualified.startswith(f"{schema.get('Namespace')}.")
        ]
        self.result.extras.update(
            {"entity_sets": sets, "singletons": singletons, "operation_imports": imports, "bound_operations": bound}
        )
        if bound:
            self.result.warnings.append(
                f"{len(bound)} bound function(s)/action(s) are not imported (call them on an entity's URL)"
            )

    def _binding(self, operation: Element) -> str | None:
        params = _children(operation, "Parameter")
        return params[0].get("Type") if params else None

    # --- entity sets -----------------------------------------------------------------------------------

    def _entity_set(self, name: str, type_name: str) -> None:
        if type_name not in self.model.types:
            self.result.warnings.append(f"entity set {name}: its type {type_name!r} is not declared; skipped")
            return
        schema = [f.model_dump() for f in self._fields(type_name)]
        keys = self.model.keys(type_name)
        props = {p.name: p for p in self.model.properties(type_name)}
        tags = [name]
        record = self._record_contract(type_name, 1)
        self.collector.add(
            {
                "name": f"list_{name}",
                "method": "GET",
                "path": f"/{name}",
                "description": f"List {name}",
                "data_path": self.list_path,
                "idempotent": True,
                "pagination": OffsetPagination(offset_param="$skip", limit_param="$top", limit=PAGE_SIZE).model_dump(),
                "schema": schema,
                "response_schema": self._list_contract(record),
                "tags": tags,
            },
            [
                "pagination: $top/$skip (offset); if the service pages by itself "
                + ("(@odata.nextLink)" if self.v4 else "(__next)")
                + " it may return fewer records than asked and the listing stops early: lower the page size to "
                "the service's, or check the record count",
            ],
        )
        if not keys:
            self.result.warnings.append(f"entity set {name}: its type declares no key; only listing is offered")
            return
        key_segment, key_params = self._key_segment(keys, props)
        item_path = f"/{name}({key_segment})"
        writable = {
            p.name: "{" + p.name + "}" for p in self.model.properties(type_name) if not p.navigation and not p.computed
        }
        common: dict[str, Any] = {"schema": schema, "tags": tags, "parameters": key_params}
        single = self._single_contract(record)
        self.collector.add(
            {"name": f"get_{name}", "method": "GET", "path": item_path, "description": f"One of {name} by key",
             "data_path": self.single_path, "idempotent": True, "response_schema": single, **common}
        )  # fmt: skip
        self.collector.add(
            {"name": f"create_{name}", "method": "POST", "path": f"/{name}", "description": f"Create one of {name}",
             "body": writable or None, "data_path": self.single_path, "schema": schema, "response_schema": single,
             "tags": tags}
        )  # fmt: skip
        update_notes = [] if self.v4 else ["OData v2 updates with MERGE; sent as PATCH, which v2 services may refuse"]
        self.collector.add(
            {"name": f"update_{name}", "method": "PATCH", "path": item_path, "description": f"Update one of {name}",
             "body": {k: v for k, v in writable.items() if k not in keys} or None, **common},
            update_notes,
        )  # fmt: skip
        self.collector.add(
            {"name": f"delete_{name}", "method": "DELETE", "path": item_path, "description": f"Delete one of {name}",
             "idempotent": True, "tags": tags, "parameters": key_params}
        )  # fmt: skip

    def _singleton(self, name: str, type_name: str) -> None:
        self.collector.add(
            {
                "name": f"get_{name}",
                "method": "GET",
                "path": f"/{name}",
                "description": f"The {name} singleton",
                "data_path": self.single_path,
                "idempotent": True,
                "schema": [f.model_dump() for f in self._fields(type_name)],
                "response_schema": self._single_contract(self._record_contract(type_name, 1)),
                "tags": [name],
            }
        )

    def _key_segment(self, keys: list[str], props: dict[str, _Property]) -> tuple[str, list[dict[str, Any]]]:
        """``'{UserName}'`` or ``K1={K1},K2='{K2}'``: strings are quoted in OData key literals."""
        parts: list[str] = []
        params: list[dict[str, Any]] = []
        for key in keys:
            edm = props[key].type if key in props else "Edm.String"
            parts.append(self._literal(key, edm))
            params.append(_param(key, "path", True, edm))
        if len(keys) == 1:
            return parts[0], params
        return ",".join(f"{key}={part}" for key, part in zip(keys, parts, strict=True)), params

    def _literal(self, name: str, edm: str) -> str:
        placeholder = "{" + name + "}"
        if edm == "Edm.String" or edm in self.model.enums:
            return f"'{placeholder}'"
        if not self.v4 and edm == "Edm.Guid":
            return f"guid'{placeholder}'"
        if not self.v4 and edm == "Edm.DateTime":
            return f"datetime'{placeholder}'"
        if not self.v4 and edm == "Edm.Int64":
            return placeholder + "L"
        return placeholder

    # --- schema ----------------------------------------------------------------------------------------

    def _fields(self, type_name: str) -> list[SchemaField]:
        out: list[SchemaField] = []
        self._collect(type_name, "", "$", 1, out)
        return out

    def _collect(self, type_name: str, prefix: str, path: str, depth: int, out: list[SchemaField]) -> None:
        for prop in self.model.properties(type_name):
            where = child_path(path, prop.name)
            dotted = prefix + prop.name
            if prop.navigation:
                out.append(SchemaField(field=dotted, type=self._navigation_type(prop), path=where))
                continue
            inner = prop.type.removeprefix("Collection(").removesuffix(")")
            is_collection = prop.type.startswith("Collection(")
            if not is_collection and inner in self.model.types and depth < MAX_COMPLEX_DEPTH:
                self._collect(inner, dotted + ".", where, depth + 1, out)
                continue
            out.append(SchemaField(field=dotted, type="array" if is_collection else self._json_type(inner), path=where))

    # --- contract (JSON Schema of responses) ----------------------------------------------------------------

    def _list_contract(self, record: dict[str, Any]) -> dict[str, Any]:
        listed = {"type": "array", "items": record}
        if self.v4:
            return {"type": "object", "properties": {"value": listed}, "required": ["value"]}
        results = {"type": "object", "properties": {"results": listed}, "required": ["results"]}
        return {"type": "object", "properties": {"d": results}, "required": ["d"]}

    def _single_contract(self, record: dict[str, Any]) -> dict[str, Any]:
        return record if self.v4 else {"type": "object", "properties": {"d": record}, "required": ["d"]}

    def _record_contract(self, type_name: str, depth: int) -> dict[str, Any]:
        """One entity or complex type as JSON Schema; navigation properties only when a v4 ``$expand`` has them."""
        properties: dict[str, Any] = {}
        for prop in self.model.properties(type_name):
            if prop.navigation:
                # v2 writes an unexpanded navigation property as {"__deferred": …}: anything goes
                many = self._navigation_type(prop) == "array"
                properties[prop.name] = ({"type": "array"} if many else {"type": ["object", "null"]}) if self.v4 else {}
                continue
            properties[prop.name] = self._value_contract(prop.type, prop.nullable, depth)
        return {"type": "object", "properties": properties}

    def _value_contract(self, edm: str, nullable: bool, depth: int) -> dict[str, Any]:
        if edm.startswith("Collection("):
            inner = edm.removeprefix("Collection(").removesuffix(")")
            # v2 verbose JSON wraps collections in {"results": […]}
            items = {"type": "array", "items": self._value_contract(inner, False, depth)}
            return items if self.v4 else {"anyOf": [items, {"type": "object"}]}
        if edm in self.model.types:
            if depth >= MAX_COMPLEX_DEPTH:
                schema: dict[str, Any] = {"type": "object"}
            else:
                schema = self._record_contract(edm, depth + 1)
            return {"anyOf": [{"type": "null"}, schema]} if nullable else schema
        if edm.startswith("Edm.") and not edm.startswith(("Edm.Geography", "Edm.Geometry", "Edm.Stream")):
            types = list(CONTRACT_TYPES.get(edm, ["string"]))
        elif edm in self.model.enums:
            types = ["string", "integer"]
        else:
            return {}
        return {"type": [*types, "null"] if nullable else types[0] if len(types) == 1 else types}

    def _json_type(self, edm: str) -> str:
        if edm in EDM_TYPES:
            return EDM_TYPES[edm]
        if edm in self.model.enums:
            return "string"
        return "object"

    def _navigation_type(self, prop: _Property) -> str:
        if prop.type.startswith("Collection("):
            return "array"
        association = self.model.associations.get(prop.type)
        if association is not None:  # v2: the multiplicity of the far end (ToRole) says one or many
            for end in _children(association, "End"):
                if end.get("Role") == prop.to_role:
                    return "array" if end.get("Multiplicity") == "*" else "object"
        return "object"

    # --- operation imports -----------------------------------------------------------------------------

    def _function_import(self, element: Element) -> None:
        name = element.get("Name", "")
        if self.v4:
            function = self.model.functions.get(element.get("Function", ""))
            if function is None:
                self.result.warnings.append(f"function import {name}: its function is not declared; skipped")
                return
            params = _children(function, "Parameter")
            returns = _children(function, "ReturnType")
            return_type = returns[0].get("Type", "") if returns else ""
            inline = ",".join(f"{p.get('Name')}={self._literal(p.get('Name', ''), p.get('Type', ''))}" for p in params)
            path, query, method = f"/{name}({inline})", {}, "GET"
        else:
            params = _children(element, "Parameter")
            return_type = element.get("ReturnType", "")
            method = element.get(f"{{{METADATA_NS_V1_V3}}}HttpMethod", "GET").upper()
            # v2 passes function parameters as query options, with the same literal rules as keys
            query = {p.get("Name", ""): self._literal(p.get("Name", ""), p.get("Type", "")) for p in params}
            path = f"/{name}"
        is_collection = return_type.startswith("Collection(")
        inner = return_type.removeprefix("Collection(").removesuffix(")")
        data: dict[str, Any] = {
            "name": name,
            "method": method if method in ("GET", "POST") else "GET",
            "path": path,
            "query": query,
            "description": f"Function import {name}",
            "idempotent": method == "GET",
            "tags": ["functions"],
            "parameters": [
                _param(p.get("Name", ""), "path" if self.v4 else "query", True, p.get("Type", "")) for p in params
            ],
        }
        if return_type:
            primitive = inner.startswith("Edm.") or inner in self.model.enums
            data["data_path"] = self.list_path if is_collection or (self.v4 and primitive) else self.single_path
            if inner in self.model.types:
                data["schema"] = [f.model_dump() for f in self._fields(inner)]
                record = self._record_contract(inner, 1)
                contract = self._list_contract(record) if is_collection else self._single_contract(record)
                data["response_schema"] = contract
        self.collector.add(data)

    def _action_import(self, element: Element) -> None:
        name = element.get("Name", "")
        action = self.model.actions.get(element.get("Action", ""))
        params = _children(action, "Parameter") if action is not None else []
        returns = _children(action, "ReturnType") if action is not None else []
        data: dict[str, Any] = {
            "name": name,
            "method": "POST",
            "path": f"/{name}",
            "description": f"Action import {name}",
            "body": {p.get("Name", ""): "{" + p.get("Name", "") + "}" for p in params} or None,
            "tags": ["actions"],
            "parameters": [_param(p.get("Name", ""), "body", True, p.get("Type", "")) for p in params],
        }
        if returns:
            return_type = returns[0].get("Type", "")
            data["data_path"] = self.list_path if return_type.startswith("Collection(") else self.single_path
        self.collector.add(data)


def _param(name: str, location: str, required: bool, edm: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": location,
        "required": required,
        "type": EDM_TYPES.get(edm, "object" if not edm.startswith("Edm.") else "string"),
        "default": None,
        "enum": None,
        "description": edm or None,
    }
