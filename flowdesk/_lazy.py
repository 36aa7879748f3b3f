"""Lazy package exports: a package's public names load their modules on first use.

Importing a package (or one light submodule of it) then does not load what only some commands need: the
command line's start-up is measured in ``benchmarks/`` and kept so by ``tests/cli/test_import_cost.py``.
A package keeps its names importable as before with a two-line module ``__getattr__`` calling :func:`export`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Mapping
from typing import Any


def export(package: str, exports: Mapping[str, str], name: str) -> Any:
    """The public ``name`` of ``package`` from its module in ``exports``, remembered in the package."""
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    setattr(sys.modules[package], name, value)
    return value


def names(package: str, public: Iterable[str]) -> list[str]:
    """``dir()`` of a package with lazy exports: what is loaded and what can be."""
    return sorted({*vars(sys.modules[package]), *public})
