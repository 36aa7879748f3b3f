"""Reading the on-disk formats (JSON, or YAML on import) and turning pydantic errors into ours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from flowdesk.model.connection import Connection
from flowdesk.model.errors import InvalidConfigError, UserError
from flowdesk.model.secrets import resolve_env_refs

M = TypeVar("M", bound=BaseModel)


def read_document(path: str | Path) -> Any:
    """Parse a JSON or YAML file.

    Raises:
        UserError: the file is missing, unreadable, or not JSON/YAML; the message names the file and line.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{file}: no such file") from None
    except OSError as exc:
        raise UserError(f"{file}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{file}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    return parse_text(text, str(file))


def parse_text(text: str, where: str) -> Any:
    """Parse JSON (or YAML, a superset) text; ``where`` names the source in errors."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as json_error:
        if text.lstrip().startswith(("{", "[")):
            raise UserError(
                f"{where}: not valid JSON at line {json_error.lineno}, column {json_error.colno}: {json_error.msg}"
            ) from None
    import yaml  # JSON files, the common case, never need it

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise UserError(f"{where}: neither JSON nor YAML{at}: {getattr(exc, 'problem', exc)}") from None


def validate(model: type[M], data: Any, what: str) -> M:
    """``model.model_validate(data)`` with errors that name every bad field.

    Raises:
        InvalidConfigError: one problem per failing field, as ``(dotted.path, message)``.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidConfigError(what, describe_validation_error(exc, data)) from None


def describe_validation_error(exc: ValidationError, data: Any = None) -> list[tuple[str, str]]:
    """``(location, message)`` pairs for a pydantic error, without echoing input values (they may be secrets)."""
    problems: list[tuple[str, str]] = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = _location(error["loc"], data)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "required"
        elif error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "union_tag_invalid":
            message = message.replace("Input tag", "type")
        problems.append((loc, message))
    return problems


def _location(loc: tuple[Any, ...], data: Any) -> str:
    """Dotted path; list positions as ``[i]``; discriminator tags (``api_key``) left out."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        if isinstance(node, dict) and part not in node and node.get("type") == part:
            continue  # the union variant's name, not a field
        # pydantic names function validators and tags; keep only real fields
        if (
            isinstance(node, dict)
            and part not in node
            and not out.endswith(part)
            and part.startswith(("function-", "tagged-union"))
        ):
            continue
        out += f".{part}" if out else str(part)
        node = node.get(part) if isinstance(node, dict) else None
    return out


def load_connection(path: str | Path) -> Connection:
    """Read a connection file, resolving ``${env:NAME}`` references.

    Raises:
        UserError / InvalidConfigError: unreadable file or invalid content, naming the field.
    """
    data = read_document(path)
    return parse_connection(data, f"connection file {path}")


def parse_connection(data: Any, what: str = "the connection") -> Connection:
    """Validate raw connection data (``${env:NAME}`` resolved)."""
    if not isinstance(data, dict):
        raise InvalidConfigError(what, [("", "expected an object with name, base_url, auth …")])
    return validate(Connection, resolve_env_refs(data, where=what), what)
