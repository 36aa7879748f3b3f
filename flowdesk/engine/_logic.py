"""Nodes that start, route, repeat, join and pace items: trigger, condition, loop, merge, delay."""

from __future__ import annotations

import datetime as _dt
from collections import deque
from typing import Any

from flowdesk.engine._fields import MISSING, get_field, join_key
from flowdesk.engine._inbox import Batch
from flowdesk.engine._node import LoopScope, Node
from flowdesk.model.errors import UserError
from flowdesk.model.expressions import ExpressionError, compile_expression


class TriggerNode(Node):
    """Emits one item: the variables (merged with the run's), plus ``scheduled_at`` for a schedule.

    A run started at this trigger with given items (a webhook's payload) emits those instead.
    """

    type = "trigger"

    async def on_start(self) -> None:
        given = self.ctx.extras.get("trigger_items", {}).get(self.id)
        if given is not None:
            await self.emit_chunked("out", list(given))
            return
        item = dict(self.variables)
        if self.config.kind == "schedule":
            item["scheduled_at"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        await self.emit("out", [item])


class ConditionNode(Node):
    """Routes each item to ``true`` or ``false``; an expression that fails on an item is that item's error."""

    type = "condition"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expression = compile_expression(self.config.expression)

    async def on_batch(self, port: str, batch: Batch) -> None:
        evaluate = self.expression.evaluate
        variables = self.variables
        yes: Batch = []
        no: Batch = []
        failed: list[tuple[Any, ExpressionError]] = []
        for item in batch:
            try:
                (yes if evaluate(item, variables) else no).append(item)
            except ExpressionError as exc:
                failed.append((item, exc))
        await self.emit("true", yes)
        await self.emit("false", no)
        for item, problem in failed:
            await self.fail_item(item, problem)


class LoopNode(Node):
    """``each``: one item per element of a list field, then the parent on ``done``.

    ``while``: an item whose expression holds goes out of ``each`` with its iteration under ``index``; what
    comes back to ``again`` is tested again; an item whose expression fails goes to ``done``. ``each`` ends
    once ``in`` has ended and nothing is left inside the loop's body.
    """

    type = "loop"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        config = self.config
        self.expression = compile_expression(config.expression) if config.mode == "while" else None
        self.scope: LoopScope | None = None
        """Set by the runner when the loop has a body (steps from ``each`` back to ``again``)."""
        self._in_open = True
        self._again_seen = 0

    async def on_port_closed(self, port: str) -> None:
        if port == "in":
            self._in_open = False

    async def after_message(self) -> None:
        if self._in_open or self.output_closed("each"):
            return
        if self.scope is None or self.scope.pending == 0:
            await self.close_output("each")

    async def on_start(self) -> None:
        if not self.producers.get("in"):
            self._in_open = False

    async def on_batch(self, port: str, batch: Batch) -> None:
        if self.config.mode == "each":
            await self._each(batch)
        else:
            await self._while(port, batch)

    async def _each(self, batch: Batch) -> None:
        config = self.config
        name, into = config.field, config.as_
        top = name if "." not in name and "[" not in name else None
        for item in batch:
            values = get_field(item, name)
            if not isinstance(values, list):
                what = "missing" if values is MISSING else f"a {type(values).__name__}, not a list"
                await self.fail_item(item, UserError(f"loop field {name!r} is {what}"))
                continue
            rest = {k: v for k, v in item.items() if k != top}
            elements = []
            for index, element in enumerate(values):
                element_item = dict(rest)
                element_item[into] = element
                element_item["index"] = index
                elements.append(element_item)
            await self.emit_chunked("each", elements)
            await self.emit("done", [item])

    async def _while(self, port: str, batch: Batch) -> None:
        assert self.expression is not None
        evaluate = self.expression.evaluate
        limit = self.config.max_iterations
        again: Batch = []
        done: Batch = []
        failed: list[tuple[Any, Exception]] = []
        for item in batch:
            if port == "again":
                self._again_seen += 1
                previous = item.get("index")
                iteration = previous + 1 if type(previous) is int else self._again_seen
            else:
                iteration = 0
            try:
                holds = evaluate(item, self.variables)
            except ExpressionError as exc:
                failed.append((item, exc))
                continue
            if not holds:
                done.append(item)
            elif iteration >= limit:
                text = f"the loop ran {limit} times (max_iterations) and {self.expression.text!r} still holds"
                failed.append((item, UserError(text)))
            elif self.output_closed("each"):
                failed.append((item, UserError("an item came back to the loop after the loop had ended")))
            else:
                next_item = dict(item)
                next_item["index"] = iteration
                again.append(next_item)
        await self.emit("each", again)
        await self.emit("done", done)
        for item, problem in failed:
            await self.fail_item(item, problem)


class MergeNode(Node):
    """``append``: items pass on as they come from any input. ``zip``: one item of every connected input is
    combined into one (later inputs win on equal fields), matched by ``key`` or else by position; items
    left without a partner in every input are dropped."""

    type = "merge"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._by_position: dict[str, deque[Any]] = {}
        self._by_key: dict[str, dict[Any, deque[Any]]] = {}
        self._ports: list[str] = []

    async def on_start(self) -> None:
        self._ports = [p.name for p in self.spec.inputs if self.producers.get(p.name)]

    async def on_batch(self, port: str, batch: Batch) -> None:
        if self.config.mode == "append":
            await self.emit("out", batch)
            return
        key = self.config.key
        merged: Batch = []
        if key is None:
            self._by_position.setdefault(port, deque()).extend(batch)
            while all(self._by_position.get(p) for p in self._ports):
                merged.append(self._combine([self._by_position[p].popleft() for p in self._ports]))
        else:
            for item in batch:
                value = get_field(item, key)
                if value is MISSING:
                    await self.fail_item(item, UserError(f"zip key {key!r} is missing from the item"))
                    continue
                value = join_key(value)
                self._by_key.setdefault(port, {}).setdefault(value, deque()).append(item)
                queues = [self._by_key.get(p, {}).get(value) for p in self._ports]
                if all(queues):
                    merged.append(self._combine([q.popleft() for q in queues if q is not None]))
        await self.emit("out", merged)

    @staticmethod
    def _combine(parts: list[Any]) -> dict[str, Any]:
        combined: dict[str, Any] = {}
        for part in parts:
            combined.update(part)
        return combined


class DelayNode(Node):
    """Holds each item ``seconds`` before passing it on (the run's sleep is injectable for tests)."""

    type = "delay"

    async def on_batch(self, port: str, batch: Batch) -> None:
        seconds = self.config.seconds
        sleep = self.ctx.sleep
        for item in batch:
            await sleep(seconds)
            await self.emit("out", [item])
