"""Packages whose public names load on first use (``__getattr__``): every name in ``__all__`` resolves to the
object of the module that defines it, and the names mypy sees (the ``TYPE_CHECKING`` imports) are the same."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

LAZY_PACKAGES = ["flowdesk.model", "flowdesk.connections", "flowdesk.webhooks", "flowdesk.workspace"]


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_every_public_name_resolves_from_its_module(name: str) -> None:
    package = importlib.import_module(name)
    exports: dict[str, str] = package._EXPORTS

    assert set(exports) == set(package.__all__)
    for public, module in exports.items():
        assert getattr(package, public) is getattr(importlib.import_module(module), public)
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError):
        package.no_such_name  # noqa: B018


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_the_names_mypy_sees_are_the_lazy_ones(name: str) -> None:
    package = importlib.import_module(name)
    tree = ast.parse(inspect.getsource(package))
    checked = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    typed = {
        (alias.asname or alias.name): node.module
        for node in checked.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }

    assert typed == package._EXPORTS
