"""Resolving OpenAPI ``$ref`` pointers, within the document and into sibling files.

A reference is always read relative to the document that contains it, so every resolved node travels with
the name of its document (``""`` for the root). Files are fetched through the caller's ``load_ref`` (the
workspace reads them beside a local spec); without one, a file reference becomes a warning and the schema
stays unknown instead of failing the whole import. A reference that is used but broken (its target is not
in the document, or its file cannot be read) stops discovery with a :class:`SpecError` naming the
reference and where it is written; broken references nothing uses are not looked for.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from flowdesk.discovery._result import SpecError
from flowdesk.model.errors import UserError
from flowdesk.model.files import parse_text

ROOT_DOC = ""


@dataclass(frozen=True)
class Resolved:
    """A node after following its ``$ref`` chain: the node, its document, and the refs followed."""

    node: Any
    doc: str
    refs: tuple[str, ...] = ()
    missing: bool = False


class RefResolver:
    """Follows ``$ref`` chains; loads each external document once."""

    def __init__(
        self,
        root: Any,
        *,
        source_name: str,
        load_ref: Callable[[str], str] | None,
        warnings: list[str],
    ) -> None:
        self._docs: dict[str, Any] = {ROOT_DOC: root}
        # JSON Schema 2020-12 (OpenAPI 3.1) names schemas by ``$id`` and spots inside them by ``$anchor``
        self._ids: dict[str, tuple[Any, str]] = {}
        self._anchors: dict[tuple[str, str], Any] = {}
        self._index(root, ROOT_DOC, "")
        self._failed: set[str] = set()
        self._source_name = source_name
        self._load_ref = load_ref
        self._warnings = warnings

    def resolve(self, node: Any, doc: str = ROOT_DOC) -> Resolved:
        """Follow ``node``'s ``$ref`` (if any) until a node that is not a reference.

        A reference that cannot be followed for want of means (a remote URL, a file without ``load_ref``)
        or a loop of references pointing at each other gives an empty schema marked ``missing``, with a
        warning.

        Raises:
            SpecError: the reference is broken (its target does not exist, or its file cannot be read), naming
                the reference and where it is written; or an external document is malformed.
        """
        refs: list[str] = []
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref: str = node["$ref"]
            key = self.ref_key(ref, doc)
            if key in refs:
                self._warn(f"$ref {ref!r} refers back to itself")
                return Resolved({}, doc, tuple(refs), missing=True)
            refs.append(key)
            found, target_doc = self._by_id(ref)
            if found is _MISSING:
                target_doc, _, pointer = key.partition("#")
                if not self._load(target_doc, ref, doc):
                    return Resolved({}, doc, tuple(refs), missing=True)
                found = self._pointer(self._docs[target_doc], pointer)
            if found is _MISSING:
                raise self._broken(ref, doc, "points at nothing")
            node, doc = found, target_doc
        return Resolved(node, doc, tuple(refs))

    @staticmethod
    def ref_key(ref: str, doc: str) -> str:
        """A reference made absolute (``file#/pointer``), so the same target always has the same key."""
        file, _, pointer = ref.partition("#")
        if file:
            base = posixpath.dirname(doc)
            file = posixpath.normpath(posixpath.join(base, file))
        else:
            file = doc
        return f"{file}#{pointer}"

    def _by_id(self, ref: str) -> tuple[Any, str]:
        """A reference to a ``$id`` (``/schemas/pet``), possibly with a ``#pointer`` or ``#anchor``."""
        base, _, fragment = ref.partition("#")
        if base and base in self._ids:
            node, doc = self._ids[base]
            if fragment.startswith("/") or not fragment:
                return self._pointer(node, fragment), doc
            return self._anchors.get((base, fragment), _MISSING), doc
        if not base and fragment and not fragment.startswith("/"):
            for (_, anchor), node in self._anchors.items():
                if anchor == fragment:
                    return node, ROOT_DOC
        return _MISSING, ROOT_DOC

    def _index(self, node: Any, doc: str, base: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$id"), str):
                base = node["$id"]
                self._ids.setdefault(base, (node, doc))
            if isinstance(node.get("$anchor"), str):
                self._anchors.setdefault((base, node["$anchor"]), node)
            for value in node.values():
                self._index(value, doc, base)
        elif isinstance(node, list):
            for value in node:
                self._index(value, doc, base)

    def _load(self, doc: str, ref: str, used_in: str) -> bool:
        if doc in self._docs:
            return True
        if doc in self._failed:
            return False
        self._failed.add(doc)
        if "://" in doc:
            self._warn(f"$ref to {doc} not followed: remote references are not fetched")
            return False
        if self._load_ref is None:
            self._warn(f"$ref to the file {doc!r} not followed: no way to read files was given")
            return False
        try:
            text = self._load_ref(doc)
        except (OSError, UserError) as exc:
            reason = exc.message if isinstance(exc, UserError) else str(exc)
            raise self._broken(ref, used_in, f"names a file that cannot be read ({reason})") from exc
        try:
            self._docs[doc] = parse_text(text, doc)
            self._index(self._docs[doc], doc, "")
        except UserError as exc:
            raise SpecError(self._source_name, f"$ref {doc}", exc.message) from exc
        self._failed.discard(doc)
        return True

    @staticmethod
    def _pointer(document: Any, pointer: str) -> Any:
        """RFC 6901 pointer lookup (``/components/schemas/Pet``); ``_MISSING`` when it leads nowhere."""
        node = document
        if not pointer or pointer == "/":
            return node
        for raw in pointer.lstrip("/").split("/"):
            part = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return _MISSING
        return node

    def _broken(self, ref: str, doc: str, problem: str) -> SpecError:
        """The error for a broken ``ref`` written in ``doc``, located where the reference is written."""
        where = locate_ref(self._docs.get(doc), ref) or "$ref"
        location = where if doc == ROOT_DOC else f"{doc}: {where}"
        return SpecError(self._source_name, location, f"$ref {ref!r} {problem}")

    def _warn(self, message: str) -> None:
        if message not in self._warnings:
            self._warnings.append(message)


_MISSING = object()


def locate_ref(document: Any, ref: str) -> str | None:
    """Where ``{"$ref": ref}`` is first written in ``document``, as ``paths./pets.get.responses.200``.

    Only called for an error message, so the walk (depth first, in document order) is not indexed.
    """
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            if node.get("$ref") == ref:
                return where or "(top level)"
            children = [(value, f"{where}.{key}" if where else str(key)) for key, value in node.items()]
        elif isinstance(node, list):
            children = [(value, f"{where}[{i}]") for i, value in enumerate(node)]
        else:
            continue
        stack.extend(reversed(children))
    return None
