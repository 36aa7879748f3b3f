"""Nodes that reshape, gather and write items: transform, collect, output."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flowdesk.engine._fields import MISSING, get_field, pop_field, set_field
from flowdesk.engine._files import ItemWriter, open_writer
from flowdesk.engine._inbox import Batch
from flowdesk.engine._node import Node, NodeFailedError
from flowdesk.model.errors import FlowdeskError
from flowdesk.model.expressions import compile_expression
from flowdesk.model.templating import has_placeholders, lookup, placeholders, render, render_text

Getter = Callable[[Mapping[str, Any]], Any]


def template_getter(template: Any, variables: Mapping[str, Any]) -> Getter:
    """A function filling ``template`` from an item; the common shapes skip the general renderer."""
    if isinstance(template, str):
        if not has_placeholders(template):
            text = render(template, None, None)  # only {{ }} escapes to undo
            return lambda item: text
        names = placeholders(template)
        name = names[0] if len(names) == 1 else ""
        if template == f"{{{name}}}" and name.isidentifier() and name != "item":

            def field(item: Mapping[str, Any]) -> Any:
                try:
                    return item[name]
                except KeyError:
                    return lookup(name, item, variables)

            return field
        return lambda item: render(template, item, variables)
    if isinstance(template, dict | list):
        return lambda item: render(template, item, variables)
    return lambda item: template


class TransformNode(Node):
    """``set`` (templates), ``compute`` (expressions), ``rename``, ``pick``, ``drop`` — in that order.

    ``set`` and ``compute`` read the incoming item; a template or expression that fails on an item (a
    field it names is missing) is that item's error.
    """

    type = "transform"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        config = self.config
        self._sets = [(name, template_getter(value, self.variables)) for name, value in config.set.items()]
        self._computes = [(name, compile_expression(text)) for name, text in config.compute.items()]
        self._renames = list(config.rename.items())
        self._pick = config.pick
        self._drop = list(config.drop)
        self._simple = all("." not in name for name, _ in self._sets) and not (
            self._computes or self._renames or self._pick is not None or self._drop
        )

    async def on_batch(self, port: str, batch: Batch) -> None:
        out: Batch = []
        failed: list[tuple[Any, Exception]] = []
        if self._simple:
            sets = self._sets
            for item in batch:
                try:
                    new = dict(item)
                    for name, getter in sets:
                        new[name] = getter(item)
                except FlowdeskError as exc:
                    failed.append((item, exc))
                    continue
                out.append(new)
        else:
            for item in batch:
                try:
                    out.append(self._apply(item))
                except FlowdeskError as exc:
                    failed.append((item, exc))
        await self.emit("out", out)
        for item, problem in failed:
            await self.fail_item(item, problem)

    def _apply(self, item: Mapping[str, Any]) -> dict[str, Any]:
        new = dict(item)
        for name, getter in self._sets:
            set_field(new, name, getter(item))
        for name, expression in self._computes:
            set_field(new, name, expression.evaluate(item, self.variables))
        for old, renamed in self._renames:
            value = pop_field(new, old)
            if value is not MISSING:
                set_field(new, renamed, value)
        if self._pick is not None:
            picked: dict[str, Any] = {}
            for name in self._pick:
                value = get_field(new, name)
                if value is not MISSING:
                    set_field(picked, name, value)
            new = picked
        for name in self._drop:
            pop_field(new, name)
        return new


class CollectNode(Node):
    """Gathers every item and, when its input ends, emits one item ``{items: [...], count: N}``."""

    type = "collect"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._items: Batch = []

    async def on_batch(self, port: str, batch: Batch) -> None:
        self._items.extend(batch)

    async def on_finish(self) -> None:
        items, self._items = self._items, []
        await self.emit("out", [{"items": items, "count": len(items)}])


class OutputNode(Node):
    """Writes items to a JSON Lines, CSV or JSON file as they come, and passes them on.

    The file is opened when the run starts (so a run without items still leaves an empty file, or ``[]``);
    ``path`` may use the run's variables (``exports/{vars.day}.jsonl``); missing folders are made.
    """

    type = "output"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer: ItemWriter | None = None
        self.path: Path | None = None

    async def on_start(self) -> None:
        config = self.config
        try:
            self.path = Path(render_text(config.path, None, self.variables))
            self._writer = open_writer(self.path, config.format, config.mode, config.columns)
        except FlowdeskError as exc:
            raise NodeFailedError(self, exc) from exc
        except OSError as exc:
            raise NodeFailedError(self, f"cannot write {config.path!r}: {exc.strerror or exc}") from exc

    async def on_batch(self, port: str, batch: Batch) -> None:
        assert self._writer is not None
        try:
            self._writer.write(batch)
        except OSError as exc:
            raise NodeFailedError(self, f"writing {self.path} failed: {exc.strerror or exc}") from exc
        await self.emit("out", batch)

    async def on_finish(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()

    async def on_close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()
