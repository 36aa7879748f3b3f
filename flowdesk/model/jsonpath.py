"""Compiled, cached JSONPath expressions (jsonpath-ng's extended syntax).

Parsing costs about a millisecond and finding about 50 µs, so every expression is compiled once per
process. ``$`` (or an empty path) means the whole document.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flowdesk.model.errors import UserError

if TYPE_CHECKING:  # jsonpath-ng (and its parser tables) loads with the first expression compiled
    from jsonpath_ng import JSONPath


class InvalidJsonPathError(UserError):
    """A JSONPath expression does not parse."""


@lru_cache(maxsize=1024)
def compile_path(expression: str) -> JSONPath:
    """Compile ``expression`` once.

    Raises:
        InvalidJsonPathError: the expression is not valid JSONPath; the message quotes it.
    """
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
    from jsonpath_ng.ext.parser import parse

    try:
        return parse(expression)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # jsonpath-ng raises bare Exception too
        raise InvalidJsonPathError(f"invalid JSONPath {expression!r}: {exc}") from exc


def check_path(expression: str) -> None:
    """Check that ``expression`` is valid JSONPath, as :func:`compile_path` would (an empty one is not).

    ``$`` and a plain ``$.a.b`` path are valid as they stand and are walked without jsonpath-ng (see
    :func:`find_all`), so checking the usual data and cursor paths does not load the library: importing it and
    its parser tables cost ~40 ms of every command that reads a connection, a flow run included.

    Raises:
        InvalidJsonPathError: the expression is not valid JSONPath; the message quotes it.
    """
    if expression == "$" or _plain_keys(expression) is not None:
        return
    compile_path(expression)


_DOTTED = re.compile(r"\$(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_KEYWORDS = frozenset({"where", "wherenot", "null"})
"""Names jsonpath-ng's lexer reads as operators, not keys: paths with them are left to the library."""


@lru_cache(maxsize=1024)
def _plain_keys(expression: str) -> tuple[str, ...] | None:
    """The keys of a plain ``$.a.b`` path (the usual data path or cursor path), else ``None``."""
    if not _DOTTED.fullmatch(expression):
        return None
    keys = tuple(expression[2:].split("."))
    return None if _KEYWORDS.intersection(keys) else keys


def find_all(expression: str | None, document: Any) -> list[Any]:
    """Every value matched by ``expression`` in ``document`` (``[]`` when nothing matches).

    A plain ``$.a.b`` path is walked directly (what jsonpath-ng would match, at a tenth of the cost: it is
    looked up on every page of a run).
    """
    if not expression or expression == "$":
        return [document]
    keys = _plain_keys(expression)
    if keys is not None:
        for key in keys:
            if not isinstance(document, dict) or key not in document:
                return []
            document = document[key]
        return [document]
    return [match.value for match in compile_path(expression).find(document)]


def find_first(expression: str | None, document: Any, default: Any = None) -> Any:
    """The first value matched, or ``default``."""
    found = find_all(expression, document)
    return found[0] if found else default


def extract_records(expression: str | None, document: Any) -> list[Any]:
    """The records of a page: the list at ``expression`` flattened, or the single object found.

    ``$.data`` on ``{"data": [a, b]}`` gives ``[a, b]``; ``$`` on ``[a, b]`` gives ``[a, b]``;
    ``$`` on an object gives ``[object]``; no match gives ``[]``.
    """
    found = find_all(expression, document)
    if len(found) == 1:
        only = found[0]
        if isinstance(only, list):
            return only
        return [] if only is None else [only]
    return found
