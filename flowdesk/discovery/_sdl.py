"""A small GraphQL SDL reader: type, interface, input, enum, union and scalar declarations.

It turns SDL into the same shape as an introspection result's ``__schema`` so the rest of discovery
reads one format. Only what discovery needs is kept (names, fields, arguments, type references,
descriptions); directives and default values are read and dropped. graphql-core would do this fully, but
it is not a dependency for one use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flowdesk.discovery._result import SpecError

BUILTIN_SCALARS = ("String", "Int", "Float", "Boolean", "ID")
_KINDS = {"type": "OBJECT", "interface": "INTERFACE", "input": "INPUT_OBJECT", "enum": "ENUM", "union": "UNION",
          "scalar": "SCALAR"}  # fmt: skip

_TOKEN = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<block>\"\"\"(?:\\\"\"\"|[^\"]|\"(?!\"\"))*\"\"\")
  | (?P<string>"(?:\\.|[^"\\\n\r])*")
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$&()\:=@\[\]{}|])
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    """,
    re.VERBOSE,
)


@dataclass
class _Token:
    kind: str
    text: str
    line: int
    column: int


def _tokens(text: str, source_name: str) -> list[_Token]:
    out: list[_Token] = []
    position, line, line_start = 0, 1, 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise SpecError(
                source_name, f"line {line}, column {position - line_start + 1}", f"unexpected {text[position]!r}"
            )
        kind = match.lastgroup or "skip"
        value = match.group()
        if kind != "skip":
            out.append(_Token(kind, value, line, position - line_start + 1))
        newlines = value.count("\n")
        if newlines:
            line += newlines
            line_start = match.start() + value.rindex("\n") + 1
        position = match.end()
    return out


def _description(token: _Token) -> str:
    if token.kind == "block":
        lines = token.text[3:-3].replace('\\"""', '"""').splitlines()
        return "\n".join(line.strip() for line in lines).strip()
    return str(token.text[1:-1])


class _Parser:
    def __init__(self, tokens: list[_Token], source_name: str) -> None:
        self.tokens = tokens
        self.position = 0
        self.source_name = source_name

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def error(self, problem: str) -> SpecError:
        token = self.peek()
        where = f"line {token.line}, column {token.column}" if token else "end of text"
        found = f" (found {token.text!r})" if token else ""
        return SpecError(self.source_name, where, problem + found)

    def take(self, text: str | None = None, kind: str | None = None) -> _Token:
        token = self.peek()
        if token is None or (text is not None and token.text != text) or (kind is not None and token.kind != kind):
            raise self.error(f"expected {text or kind}")
        self.position += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token.text == text and token.kind in ("punct", "name", "spread"):
            self.position += 1
            return True
        return False

    def description(self) -> str | None:
        token = self.peek()
        if token is not None and token.kind in ("block", "string"):
            self.position += 1
            return _description(token)
        return None

    def name(self) -> str:
        return self.take(kind="name").text

    # --- values and directives (read, then dropped) -------------------------------------------------------

    def skip_value(self) -> None:
        token = self.take()
        if token.text == "$":
            self.name()
        elif token.text in ("[", "{"):
            closing = "]" if token.text == "[" else "}"
            while not self.accept(closing):
                if token.text == "{":
                    self.name()
                    self.take(":")
                self.skip_value()

    def skip_directives(self) -> None:
        while self.accept("@"):
            self.name()
            if self.accept("("):
                while not self.accept(")"):
                    self.name()
                    self.take(":")
                    self.skip_value()

    # --- types ---------------------------------------------------------------------------------------

    def type_ref(self) -> dict[str, Any]:
        """``[Film!]!`` → nested ``{kind, name, ofType}``; named kinds are filled in once all are known."""
        if self.accept("["):
            inner = self.type_ref()
            self.take("]")
            ref: dict[str, Any] = {"kind": "LIST", "name": None, "ofType": inner}
        else:
            ref = {"kind": None, "name": self.name(), "ofType": None}
        if self.accept("!"):
            ref = {"kind": "NON_NULL", "name": None, "ofType": ref}
        return ref

    def input_values(self, closing: str) -> list[dict[str, Any]]:
        values: list[dict[str, Any]] = []
        while not self.accept(closing):
            description = self.description()
            name = self.name()
            self.take(":")
            ref = self.type_ref()
            default = None
            if self.accept("="):
                start = self.position
                self.skip_value()
                default = " ".join(t.text for t in self.tokens[start : self.position])
            self.skip_directives()
            values.append({"name": name, "description": description, "type": ref, "defaultValue": default})
        return values

    def fields(self) -> list[dict[str, Any]]:
        fields: list[dict[str, Any]] = []
        if not self.accept("{"):
            return fields
        while not self.accept("}"):
            description = self.description()
            name = self.name()
            args = self.input_values(")") if self.accept("(") else []
            self.take(":")
            ref = self.type_ref()
            self.skip_directives()
            fields.append({"name": name, "description": description, "args": args, "type": ref})
        return fields

    def definition(self, schema: dict[str, Any], types: dict[str, dict[str, Any]]) -> None:
        description = self.description()
        extend = self.accept("extend")
        keyword = self.name()
        if keyword == "schema":
            self.skip_directives()
            self.take("{")
            while not self.accept("}"):
                operation = self.name()
                self.take(":")
                schema[operation] = self.name()
            return
        if keyword == "directive":
            self.take("@")
            self.name()
            if self.accept("("):
                self.input_values(")")
            self.accept("repeatable")
            self.take("on")
            self.accept("|")
            self.name()
            while self.accept("|"):
                self.name()
            return
        if keyword not in _KINDS:
            self.position -= 1
            raise self.error("expected a type, interface, input, enum, union, scalar, schema or directive definition")
        name = self.name()
        kind = _KINDS[keyword]
        entry = types.get(name)
        if entry is None or not extend:
            entry = _empty_type(kind, name, description)
            types[name] = entry
        if kind in ("OBJECT", "INTERFACE") and self.accept("implements"):
            self.accept("&")
            entry["interfaces"].append({"kind": "INTERFACE", "name": self.name(), "ofType": None})
            while self.accept("&"):
                entry["interfaces"].append({"kind": "INTERFACE", "name": self.name(), "ofType": None})
        self.skip_directives()
        if kind in ("OBJECT", "INTERFACE"):
            entry["fields"] = (entry["fields"] or []) + self.fields()
        elif kind == "INPUT_OBJECT":
            entry["inputFields"] = (entry["inputFields"] or []) + (self.input_values("}") if self.accept("{") else [])
        elif kind == "ENUM":
            values = entry["enumValues"] or []
            if self.accept("{"):
                while not self.accept("}"):
                    value_description = self.description()
                    values.append({"name": self.name(), "description": value_description})
                    self.skip_directives()
            entry["enumValues"] = values
        elif kind == "UNION":
            members = entry["possibleTypes"] or []
            if self.accept("="):
                self.accept("|")
                members.append({"kind": "OBJECT", "name": self.name(), "ofType": None})
                while self.accept("|"):
                    members.append({"kind": "OBJECT", "name": self.name(), "ofType": None})
            entry["possibleTypes"] = members


def _empty_type(kind: str, name: str, description: str | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "name": name,
        "description": description,
        "fields": None,
        "inputFields": None,
        "interfaces": [],
        "enumValues": None,
        "possibleTypes": None,
    }


def parse_sdl(text: str, *, source_name: str = "graphql") -> dict[str, Any]:
    """SDL text → an introspection-shaped ``__schema`` dict.

    Raises:
        SpecError: the text is not SDL as far as this reader understands it, naming line and column.
    """
    parser = _Parser(_tokens(text, source_name), source_name)
    schema: dict[str, Any] = {}
    types: dict[str, dict[str, Any]] = {}
    while parser.peek() is not None:
        parser.definition(schema, types)
    for scalar in BUILTIN_SCALARS:
        types.setdefault(scalar, _empty_type("SCALAR", scalar, None))
    unknown: set[str] = set()

    def fill(ref: dict[str, Any]) -> None:
        if ref["ofType"] is not None:
            fill(ref["ofType"])
        elif ref["kind"] is None:
            known = types.get(ref["name"])
            if known is None:
                unknown.add(ref["name"])
            ref["kind"] = known["kind"] if known else "SCALAR"

    for entry in types.values():
        for item in (entry["fields"] or []) + (entry["inputFields"] or []):
            fill(item["type"])
            for arg in item.get("args", []):
                fill(arg["type"])
    if unknown:
        raise SpecError(source_name, "", f"types used but never declared: {', '.join(sorted(unknown))}")
    query = schema.get("query", "Query" if "Query" in types else None)
    mutation = schema.get("mutation", "Mutation" if "Mutation" in types else None)
    subscription = schema.get("subscription", "Subscription" if "Subscription" in types else None)
    return {
        "queryType": {"name": query} if query else None,
        "mutationType": {"name": mutation} if mutation else None,
        "subscriptionType": {"name": subscription} if subscription else None,
        "types": list(types.values()),
    }
