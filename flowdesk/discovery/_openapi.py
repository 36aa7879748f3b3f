"""OpenAPI 3.0/3.1 and Swagger 2.0 documents (JSON or YAML) → one entity per operation.

The two generations differ in where things live (``requestBody`` vs ``in: body`` parameters, ``content``
per media type vs ``schema``, ``servers`` vs ``host``/``basePath``, ``components`` vs ``definitions``), so
each is read into the same plain pieces before an entity is built. Structural errors (a list where a
mapping must be) stop discovery with a :class:`SpecError` naming the place; everything else that cannot be
used becomes a warning, because a half-usable spec is still worth importing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowdesk.discovery._pagination_guess import guess_pagination
from flowdesk.discovery._refs import ROOT_DOC, RefResolver
from flowdesk.discovery._result import DiscoveryResult, EntityCollector, SpecError, readable_name
from flowdesk.discovery._schema import SchemaReader
from flowdesk.discovery._security import suggest_auth
from flowdesk.model.errors import UserError
from flowdesk.model.files import parse_text

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
IDEMPOTENT_METHODS = frozenset({"get", "put", "delete", "options", "head"})
_SERVER_VARIABLE = re.compile(r"\{([^{}]+)\}")


def discover_openapi(
    text: str,
    *,
    source_name: str = "spec",
    load_ref: Callable[[str], str] | None = None,
    tags: Sequence[str] = (),
) -> DiscoveryResult:
    """Entities for the operations of an OpenAPI 3.x or Swagger 2.0 document.

    ``load_ref`` reads a file referenced by a relative ``$ref`` (its path given relative to the document);
    without it such references are reported as warnings. ``tags`` keeps only the operations carrying one
    of these tags (case-insensitive).

    Raises:
        SpecError: the text is not JSON/YAML (naming the line), not an OpenAPI/Swagger document, or
            structurally malformed (naming the place, such as ``paths./pets.get.responses``).
    """
    try:
        document = parse_text(text, source_name)
    except UserError as exc:
        raise SpecError(source_name, "", exc.message.removeprefix(f"{source_name}: ")) from exc
    source = _detect_version(document, source_name)
    result = DiscoveryResult(source=source)
    _SpecReader(document, source_name=source_name, load_ref=load_ref, tags=tags, result=result).read()
    result.stamp_origins(source_name)
    return result


def _detect_version(document: Any, source_name: str) -> str:
    if not isinstance(document, dict):
        raise SpecError(source_name, "", "not an OpenAPI or Swagger document (expected a mapping at the top)")
    if "openapi" in document:
        version = str(document["openapi"])
        if version.startswith("3.0"):
            return "openapi-3.0"
        if version.startswith("3."):
            return "openapi-3.1"
        raise SpecError(source_name, "openapi", f"version {version!r} is not supported (3.0 or 3.1)")
    if "swagger" in document:
        version = str(document["swagger"])
        if version.startswith("2"):
            return "swagger-2.0"
        raise SpecError(source_name, "swagger", f"version {version!r} is not supported (2.0)")
    raise SpecError(source_name, "", "not an OpenAPI or Swagger document (no `openapi` or `swagger` field)")


@dataclass
class _Param:
    """A parameter as read from either generation; ``maximum`` only feeds the page-size guess."""

    name: str
    location: str
    required: bool = False
    type: str | None = None
    default: Any = None
    enum: list[Any] | None = None
    description: str | None = None
    maximum: Any = None
    schema: tuple[Any, str] | None = None

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "in": self.location,
            "required": self.required,
            "type": self.type,
            "default": self.default,
            "enum": self.enum,
            "description": self.description,
        }


@dataclass
class _Body:
    body: Any = None
    body_type: str = "json"
    notes: list[str] = field(default_factory=list)


class _SpecReader:
    """Reads one document into ``result``; keeps the resolver and the names taken so far."""

    def __init__(
        self,
        document: dict[str, Any],
        *,
        source_name: str,
        load_ref: Callable[[str], str] | None,
        tags: Sequence[str],
        result: DiscoveryResult,
    ) -> None:
        self.document = document
        self.source_name = source_name
        self.swagger2 = result.source == "swagger-2.0"
        self.result = result
        self.resolver = RefResolver(document, source_name=source_name, load_ref=load_ref, warnings=result.warnings)
        self.schemas = SchemaReader(self.resolver)
        self.collector = EntityCollector(result)
        self.tag_filter = {t.lower() for t in tags}
        self.tags_seen: list[str] = []
        self.skipped_by_tag = 0

    def error(self, location: str, problem: str) -> SpecError:
        return SpecError(self.source_name, location, problem)

    # --- document level --------------------------------------------------------------------------------

    def read(self) -> None:
        info = self.document.get("info")
        if isinstance(info, dict) and isinstance(info.get("title"), str):
            self.result.title = info["title"]
        self._declared_tags()
        self._paths()
        self.result.base_urls = self._base_urls()
        self._security()
        self._webhooks()
        self.result.extras["tags"] = self.tags_seen
        if self.tag_filter:
            self.result.extras["skipped_by_tag_filter"] = self.skipped_by_tag
            seen = {t.lower() for t in self.tags_seen}
            for wanted in sorted(self.tag_filter - seen):
                self.result.warnings.append(f"no operation is tagged {wanted!r}")

    def _declared_tags(self) -> None:
        declared = self.document.get("tags")
        if declared is None:
            return
        if not isinstance(declared, list):
            raise self.error("tags", "expected a list of tags")
        for i, tag in enumerate(declared):
            if not isinstance(tag, dict) or not isinstance(tag.get("name"), str):
                raise self.error(f"tags[{i}]", "a tag needs a name")
            self._see_tag(tag["name"])

    def _see_tag(self, tag: str) -> None:
        if tag not in self.tags_seen:
            self.tags_seen.append(tag)

    def _paths(self) -> None:
        paths = self.document.get("paths")
        if paths is None:
            if self.result.source != "openapi-3.1":
                raise self.error("paths", "missing (the document must list its paths)")
            return
        if not isinstance(paths, dict):
            raise self.error("paths", f"expected a mapping of paths to operations, got {_kind(paths)}")
        for path, raw_item in paths.items():
            path = str(path)
            if path.startswith("x-"):
                continue
            where = f"paths.{path}"
            if not path.startswith("/"):
                raise self.error(where, "a path must start with '/'")
            resolved = self.resolver.resolve(raw_item, ROOT_DOC)
            item, doc = resolved.node, resolved.doc
            if not isinstance(item, dict):
                raise self.error(where, f"expected a mapping of methods to operations, got {_kind(item)}")
            for method in METHODS:
                if method not in item:
                    continue
                operation = item[method]
                if not isinstance(operation, dict):
                    raise self.error(f"{where}.{method}", f"expected an operation (a mapping), got {_kind(operation)}")
                self._operation(path, method, operation, item.get("parameters"), doc, f"{where}.{method}")

    # --- one operation ---------------------------------------------------------------------------------

    def _operation(self, path: str, method: str, operation: dict[str, Any], shared: Any, doc: str, where: str) -> None:
        op_tags = operation.get("tags", [])
        if not isinstance(op_tags, list):
            raise self.error(f"{where}.tags", "expected a list of tag names")
        op_tags = [str(t) for t in op_tags]
        for tag in op_tags:
            self._see_tag(tag)
        if self.tag_filter and not self.tag_filter & {t.lower() for t in op_tags}:
            self.skipped_by_tag += 1
            return
        name = operation.get("operationId")
        name = (
            name.strip()
            if isinstance(name, str) and name.strip()
            else readable_name(method, path if path.strip("/") else "root")
        )
        if method == "trace":
            self.result.warnings.append(f"{name}: TRACE operations are not imported")
            return
        params = self._parameters(shared, operation.get("parameters"), doc, where)
        body = self._request_body(operation, params, doc, where)
        response, link_header = self._success_response(operation.get("responses"), doc, where)
        notes = list(body.notes)
        data: dict[str, Any] = {
            "name": name,
            "method": method.upper(),
            "path": path,
            "description": _description(operation),
            "body": body.body,
            "body_type": body.body_type,
            "idempotent": method in IDEMPOTENT_METHODS,
            "tags": op_tags,
            "parameters": [p.public() for p in params if p.location not in ("body", "formData")],
        }
        response_fields: dict[str, str] = {}
        if response is not None:
            node, response_doc = response
            data_path, (record, record_doc, seen), record_notes = self.schemas.records(node, response_doc)
            data["data_path"] = data_path
            data["schema"] = self.schemas.fields(record, record_doc, seen)  # models: validated once, not again
            data["response_schema"] = self.schemas.contract(node, response_doc) or None
            notes.extend(record_notes)
            response_fields = self.schemas.property_names(node, response_doc)
        if method == "get":
            query = [
                {"name": p.name, "default": p.default, "maximum": p.maximum} for p in params if p.location == "query"
            ]
            pagination, pagination_notes = guess_pagination(query, response_fields, link_header=link_header)
            if pagination is not None:
                data["pagination"] = pagination.model_dump()
            notes.extend(pagination_notes)
        self.collector.add(data, notes)

    def _parameters(self, shared: Any, own: Any, doc: str, where: str) -> list[_Param]:
        """Path-level parameters overridden by the operation's own (same name and location)."""
        merged: dict[tuple[str, str], _Param] = {}
        for raw_list, location in ((shared, where.rsplit(".", 1)[0]), (own, where)):
            if raw_list is None:
                continue
            if not isinstance(raw_list, list):
                raise self.error(f"{location}.parameters", f"expected a list, got {_kind(raw_list)}")
            for i, raw in enumerate(raw_list):
                param = self._parameter(raw, doc, f"{location}.parameters[{i}]")
                merged[(param.name, param.location)] = param
        return list(merged.values())

    def _parameter(self, raw: Any, doc: str, where: str) -> _Param:
        resolved = self.resolver.resolve(raw, doc)
        node, doc = resolved.node, resolved.doc
        if resolved.missing:
            return _Param(name=f"unresolved_{len(resolved.refs)}", location="unknown")
        if not isinstance(node, dict) or not isinstance(node.get("name"), str) or not isinstance(node.get("in"), str):
            raise self.error(where, "a parameter needs a `name` and an `in`")
        param = _Param(
            name=node["name"],
            location=node["in"],
            required=bool(node.get("required")) or node["in"] == "path",
            description=node.get("description") if isinstance(node.get("description"), str) else None,
        )
        if param.location == "body":
            param.schema = (node.get("schema"), doc)
            return param
        # 3.x describes the value with a schema; 2.0 puts type/default/enum on the parameter itself
        spec = self.schemas.flatten(node["schema"], doc) if "schema" in node else None
        if spec is not None:
            param.type, param.default, param.enum = spec.field_type, spec.default, spec.enum
            if spec.enum is None and spec.type == "array" and spec.items is not None:
                param.enum = self.schemas.flatten(*spec.items).enum
            raw_schema = self.resolver.resolve(node["schema"], doc).node
            param.maximum = raw_schema.get("maximum") if isinstance(raw_schema, dict) else None
        else:
            param.type = node.get("type") if isinstance(node.get("type"), str) else None
            param.default = node.get("default")
            enum = node.get("enum")
            items = node.get("items")
            if enum is None and isinstance(items, dict):
                enum = items.get("enum")
            param.enum = list(enum) if isinstance(enum, list) else None
            param.maximum = node.get("maximum")
        return param

    def _request_body(self, operation: dict[str, Any], params: list[_Param], doc: str, where: str) -> _Body:
        if self.swagger2:
            return self._swagger2_body(operation, params)
        raw = operation.get("requestBody")
        if raw is None:
            return _Body()
        resolved = self.resolver.resolve(raw, doc)
        node, doc = resolved.node, resolved.doc
        if not isinstance(node, dict):
            raise self.error(f"{where}.requestBody", f"expected a mapping, got {_kind(node)}")
        content = node.get("content")
        if not isinstance(content, dict):
            if resolved.missing:
                return _Body()
            raise self.error(f"{where}.requestBody.content", "expected a mapping of media types")
        media = _pick_media(content)
        if media is None:
            return _Body()
        body_type = _body_type(media)
        media_object = content[media] if isinstance(content[media], dict) else {}
        if "schema" not in media_object:
            return _Body(body_type=body_type)
        skeleton = self.schemas.body_skeleton(media_object["schema"], doc)
        notes = [] if body_type != "text" else [f"request body is {media}: write it by hand"]
        return _Body(body=skeleton if body_type != "text" else None, body_type=body_type, notes=notes)

    def _swagger2_body(self, operation: dict[str, Any], params: list[_Param]) -> _Body:
        for param in params:
            if param.location == "body" and param.schema is not None:
                return _Body(body=self.schemas.body_skeleton(*param.schema), body_type="json")
        form = [p for p in params if p.location == "formData"]
        if not form:
            return _Body()
        consumes = operation.get("consumes") or self.document.get("consumes") or []
        multipart = any(p.type == "file" for p in form) or "multipart/form-data" in consumes
        return _Body(body={p.name: "{" + p.name + "}" for p in form}, body_type="multipart" if multipart else "form")

    def _success_response(self, responses: Any, doc: str, where: str) -> tuple[tuple[Any, str] | None, bool]:
        """The schema of the lowest 2xx response (and whether it declares a ``Link`` header)."""
        if responses is None:
            return None, False
        if not isinstance(responses, dict):
            raise self.error(
                f"{where}.responses", f"expected a mapping of status codes to responses, got {_kind(responses)}"
            )
        codes = sorted(str(code) for code in responses if re.fullmatch(r"2\d\d", str(code)))
        codes += [str(code) for code in responses if str(code).upper() == "2XX"]
        if not codes:
            return None, False
        code = codes[0]
        raw = responses[code] if code in responses else responses[int(code)]
        resolved = self.resolver.resolve(raw, doc)
        node, doc = resolved.node, resolved.doc
        if not isinstance(node, dict):
            if resolved.missing:
                return None, False
            raise self.error(f"{where}.responses.{code}", f"expected a response (a mapping), got {_kind(node)}")
        headers = node.get("headers")
        link = isinstance(headers, dict) and any(str(h).lower() == "link" for h in headers)
        if self.swagger2:
            return ((node["schema"], doc) if "schema" in node else None), link
        content = node.get("content")
        if content is None:
            return None, link
        if not isinstance(content, dict):
            raise self.error(f"{where}.responses.{code}.content", "expected a mapping of media types")
        media = _pick_media(content)
        if media is None or _body_type(media) not in ("json",):
            return None, link
        media_object = content[media]
        if not isinstance(media_object, dict) or "schema" not in media_object:
            return None, link
        return (media_object["schema"], doc), link

    # --- document-wide suggestions ----------------------------------------------------------------------

    def _base_urls(self) -> list[str]:
        urls: list[str] = []
        if self.swagger2:
            base_path = str(self.document.get("basePath") or "").rstrip("/")
            host = self.document.get("host")
            if not host:
                if base_path:
                    self.result.warnings.append(
                        f"no host given: the base URL is {base_path} on the server the document came from"
                    )
                    urls.append(base_path)
                return urls
            schemes = self.document.get("schemes") or ["https"]
            for scheme in schemes:
                urls.append(f"{scheme}://{host}{base_path}")
            return urls
        servers = self.document.get("servers")
        if servers is None:
            return urls
        if not isinstance(servers, list):
            raise self.error("servers", "expected a list of servers")
        for i, server in enumerate(servers):
            if not isinstance(server, dict) or not isinstance(server.get("url"), str):
                raise self.error(f"servers[{i}]", "a server needs a url")
            variables: dict[str, Any] = server["variables"] if isinstance(server.get("variables"), dict) else {}

            def substitute(match: re.Match[str], variables: dict[str, Any] = variables) -> str:
                spec = variables.get(match.group(1))
                default = spec.get("default") if isinstance(spec, dict) else None
                return str(default) if default is not None else match.group(0)

            url = _SERVER_VARIABLE.sub(substitute, server["url"]).rstrip("/")
            if not url:
                continue
            if "://" not in url:
                self.result.warnings.append(
                    f"server {url} is relative: the base URL is {url} on the server the document came from"
                )
            if url not in urls:
                urls.append(url)
        return urls

    def _security(self) -> None:
        if self.swagger2:
            schemes = self.document.get("securityDefinitions")
        else:
            components = self.document.get("components")
            schemes = components.get("securitySchemes") if isinstance(components, dict) else None
        suggestions, by_name, warnings = suggest_auth(schemes, swagger2=self.swagger2)
        self.result.auth_suggestions = suggestions
        self.result.warnings.extend(warnings)
        if by_name:
            self.result.extras["security_schemes"] = by_name

    def _webhooks(self) -> None:
        """3.1 webhooks are requests the API sends to us: listed for the webhook setup, never entities."""
        webhooks = self.document.get("webhooks")
        if webhooks is None:
            return
        if not isinstance(webhooks, dict):
            raise self.error("webhooks", "expected a mapping of webhook names to path items")
        listed: list[dict[str, Any]] = []
        for hook_name, raw_item in webhooks.items():
            resolved = self.resolver.resolve(raw_item, ROOT_DOC)
            item, doc = resolved.node, resolved.doc
            if not isinstance(item, dict):
                raise self.error(f"webhooks.{hook_name}", "expected a mapping of methods to operations")
            for method in METHODS:
                operation = item.get(method)
                if not isinstance(operation, dict):
                    continue
                body = self._request_body(operation, [], doc, f"webhooks.{hook_name}.{method}")
                listed.append(
                    {
                        "name": str(hook_name),
                        "method": method.upper(),
                        "operation_id": operation.get("operationId"),
                        "description": _description(operation),
                        "payload_fields": sorted(body.body) if isinstance(body.body, dict) else [],
                    }
                )
        self.result.extras["webhooks"] = listed


def _description(operation: dict[str, Any]) -> str | None:
    for key in ("summary", "description"):
        value = operation.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _pick_media(content: dict[str, Any]) -> str | None:
    """JSON first (what flows work with), then forms, then whatever is declared first."""
    types = [str(t) for t in content]
    wanted: tuple[Callable[[str], bool], ...] = (
        lambda t: t == "application/json",
        lambda t: t.endswith("+json") or t == "*/*",
        lambda t: t == "application/x-www-form-urlencoded",
        lambda t: t == "multipart/form-data",
    )
    for matches in wanted:
        for media in types:
            if matches(media.split(";")[0].strip().lower()):
                return media
    return types[0] if types else None


def _body_type(media: str) -> str:
    media = media.lower()
    if media.startswith("application/x-www-form-urlencoded"):
        return "form"
    if media.startswith("multipart/"):
        return "multipart"
    if "json" in media or media == "*/*":
        return "json"
    return "text"


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )
