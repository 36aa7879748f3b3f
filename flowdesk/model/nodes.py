"""What each node type of a flow is, as data: its ports, its config model, a title for the palette.

The engine (``flowdesk.engine``) runs these; the window's palette and inspector, ``flow validate`` and the
flow file checks only need this description, so it lives in the model and imports nothing of the engine.
The config models are the ``config`` object of a node in a flow file (ARCHITECTURE.md, node reference).

Ports have a direction (input/output) and a kind: ``items`` or ``error``. An ``error`` output carries
items shaped ``{error, status, node, item}``; they are ordinary items, so almost every input accepts them.
The exception is a while loop's ``again`` input: it takes the loop's own items back, and sending failures
round a loop would repeat them until ``max_iterations``, so it accepts ``items`` only.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flowdesk.model.expressions import ExpressionError, compile_expression
from flowdesk.model.jsonpath import InvalidJsonPathError, check_path
from flowdesk.model.schedules import CronSchedule, InvalidScheduleError

__all__ = [
    "NODE_SPECS",
    "ApiCallConfig",
    "CollectConfig",
    "ConditionConfig",
    "DelayConfig",
    "LookupConfig",
    "LoopConfig",
    "MergeConfig",
    "NodeSpec",
    "OutputConfig",
    "PortSpec",
    "TransformConfig",
    "TriggerConfig",
    "WebhookOutConfig",
    "node_spec",
]

PortKind = Literal["items", "error"]


@dataclass(frozen=True, slots=True)
class PortSpec:
    """One named port. ``kind`` is what an output sends; ``accepts`` is what an input takes."""

    name: str
    kind: PortKind = "items"
    description: str = ""
    accepts: frozenset[PortKind] = frozenset({"items", "error"})


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """The static description of a node type.

    ``inputs_for(config)`` gives the input ports for one configured node: they depend on the config for
    ``merge`` (``in1`` … ``inN``); for every other type they are ``inputs``.
    """

    type: str
    title: str
    category: str
    description: str
    config_model: builtins.type[BaseModel]
    inputs: tuple[PortSpec, ...]
    outputs: tuple[PortSpec, ...]
    dynamic_inputs: Callable[[Any], tuple[PortSpec, ...]] | None = field(default=None, compare=False)

    def inputs_for(self, config: BaseModel | None) -> tuple[PortSpec, ...]:
        if self.dynamic_inputs is not None and config is not None:
            return self.dynamic_inputs(config)
        return self.inputs

    def input_names(self, config: BaseModel | None = None) -> list[str]:
        return [p.name for p in self.inputs_for(config)]

    def output_names(self) -> list[str]:
        return [p.name for p in self.outputs]


# --- config models -------------------------------------------------------------------------------------


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _check_field_name(name: str) -> None:
    if not name or name.startswith(".") or name.endswith(".") or ".." in name:
        raise ValueError(f"{name!r} is not a field name (use dots for nested fields: Temp.mediaId)")


def _check_expression(value: str | None) -> str | None:
    """Syntax-check at validation time, so a typo is reported with its column before any run."""
    if value is None:
        return None
    try:
        compile_expression(value)
    except ExpressionError as exc:
        raise ValueError(exc.problem + (f" at column {exc.column}" if exc.column is not None else "")) from None
    return value


class TriggerConfig(_Config):
    """How a run starts. ``manual`` emits ``variables`` merged with the run's ``--var`` values.

    ``schedule``: ``cron`` (5 fields) read in ``timezone`` (IANA name, default UTC); ``catch_up`` runs a
    schedule missed while nothing was serving it once at the next start; ``allow_overlap`` lets a fire
    start while the previous run of the flow is still going (by default that fire is skipped).
    ``webhook``: ``hook`` names the registered webhook whose deliveries start the flow.
    """

    kind: Literal["manual", "schedule", "webhook"] = "manual"
    variables: dict[str, Any] = Field(default_factory=dict)
    cron: str | None = None
    timezone: str | None = None
    hook: str | None = None
    catch_up: bool = False
    allow_overlap: bool = False

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                CronSchedule(value)
            except InvalidScheduleError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                CronSchedule("* * * * *", value)
            except InvalidScheduleError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> TriggerConfig:
        if self.kind == "schedule" and not self.cron:
            raise ValueError("a schedule trigger needs cron")
        if self.kind == "webhook" and not self.hook:
            raise ValueError("a webhook trigger needs hook (the webhook's name)")
        return self


class ApiCallConfig(_Config):
    """One call per incoming item (up to ``concurrency`` at once); ``map`` keeps the item and adds fields.

    With ``all_pages``, an offset-paginated entity whose first page reports the total also fetches the rest
    of its pages up to ``concurrency`` at once (passed on in order); the connection's rate limit holds.
    """

    connection: str = Field(min_length=1)
    entity: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    query: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    body_from_item: bool = False
    all_pages: bool = False
    concurrency: int = Field(4, ge=1, le=64)
    output: Literal["records", "response"] = "records"
    map: dict[str, str] = Field(default_factory=dict)
    check_contract: bool = False
    """Check each response's records against the entity's contract; mismatches are run warnings."""

    @field_validator("map")
    @classmethod
    def _paths(cls, value: dict[str, str]) -> dict[str, str]:
        for target, path in value.items():
            _check_field_name(target)
            try:
                check_path(path)
            except InvalidJsonPathError as exc:
                raise ValueError(f"{target}: {exc.message}") from None
        return value

    @model_validator(mode="after")
    def _one_body(self) -> ApiCallConfig:
        if self.body_from_item and self.body is not None:
            raise ValueError("give either body or body_from_item, not both")
        if self.map and self.all_pages:
            raise ValueError("map adds fields from one response; it cannot be combined with all_pages")
        return self


class ConditionConfig(_Config):
    """Routes each item to ``true`` or ``false`` by a safe expression."""

    expression: str

    @field_validator("expression")
    @classmethod
    def _expression(cls, value: str) -> str:
        checked = _check_expression(value)
        assert checked is not None
        return checked


class LoopConfig(_Config):
    """``each``: one item per element of a list field. ``while``: repeat while an expression holds."""

    mode: Literal["each", "while"] = "each"
    field: str | None = None
    as_: str = Field("element", alias="as", min_length=1)
    expression: str | None = None
    max_iterations: int = Field(1000, ge=1, le=10_000_000)

    @field_validator("expression")
    @classmethod
    def _expression(cls, value: str | None) -> str | None:
        return _check_expression(value)

    @model_validator(mode="after")
    def _mode_fields(self) -> LoopConfig:
        if self.mode == "each" and not self.field:
            raise ValueError("a loop in each mode needs field (the list to go through)")
        if self.mode == "while" and not self.expression:
            raise ValueError("a loop in while mode needs expression")
        return self


class LookupConfig(_Config):
    """Joins items with reference data loaded once per run (``left``: keep unmatched; ``inner``: drop them)."""

    connection: str = Field(min_length=1)
    entity: str = Field(min_length=1)
    key: str = Field(min_length=1)
    match: str = Field(min_length=1)
    into: str = Field(min_length=1)
    mode: Literal["left", "inner"] = "left"


class TransformConfig(_Config):
    """``set`` (templates), ``compute`` (expressions), then ``rename``, ``pick``, ``drop``.

    Dotted names (``Temp.mediaId``) make or reach into nested objects. ``set`` and ``compute`` both see the
    incoming item, so ``compute: {next: "offset + limit"}`` can do what a template cannot (arithmetic).
    """

    set: dict[str, Any] = Field(default_factory=dict)
    compute: dict[str, str] = Field(default_factory=dict)
    rename: dict[str, str] = Field(default_factory=dict)
    pick: list[str] | None = None
    drop: list[str] = Field(default_factory=list)

    @field_validator("set", "compute", "rename")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            _check_field_name(name)
        return value

    @field_validator("compute")
    @classmethod
    def _expressions(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            try:
                compile_expression(text)
            except ExpressionError as exc:
                where = f" at column {exc.column}" if exc.column is not None else ""
                raise ValueError(f"{name}: {exc.problem}{where}") from None
        return value

    @field_validator("rename")
    @classmethod
    def _new_names(cls, value: dict[str, str]) -> dict[str, str]:
        for new in value.values():
            _check_field_name(new)
        return value


class CollectConfig(_Config):
    """No settings: every item is gathered into one ``{items, count}``."""


class MergeConfig(_Config):
    """``append`` passes items on as they come; ``zip`` combines one item of each input by ``key``."""

    inputs: int = Field(2, ge=2, le=16)
    mode: Literal["append", "zip"] = "append"
    key: str | None = None


class DelayConfig(_Config):
    """Holds each item for ``seconds`` before passing it on (so items leave at most one per ``seconds``)."""

    seconds: float = Field(ge=0, le=86_400)


class OutputConfig(_Config):
    """Writes items to a file (``path`` may use ``{variables}``) and passes them on."""

    path: str = Field(min_length=1)
    format: Literal["jsonl", "csv", "json"] = "jsonl"
    mode: Literal["overwrite", "append"] = "overwrite"
    columns: list[str] | None = None
    """CSV only: the columns, in order (default: the first item's fields, or an appended file's header)."""


class WebhookOutConfig(_Config):
    """POSTs each item (or ``body``, a template) signed with the secret named by ``secret_ref``."""

    url: str | None = None
    connection: str | None = None
    entity: str | None = None
    secret_ref: str | None = None
    body: Any = None

    @model_validator(mode="after")
    def _target(self) -> WebhookOutConfig:
        if self.url and (self.connection or self.entity):
            raise ValueError("give either url or connection + entity, not both")
        if not self.url and not (self.connection and self.entity):
            raise ValueError("give url, or connection and entity")
        if self.url and not self.url.startswith(("http://", "https://", "{")):
            raise ValueError(f"url {self.url!r} must start with http:// or https://")
        return self


# --- the specs -----------------------------------------------------------------------------------------

_IN = (PortSpec("in"),)
_OUT = PortSpec("out")
_ERROR = PortSpec("error", "error", "items that failed: {error, status, node, item}")
_AGAIN = PortSpec("again", description="the back-edge of a while loop", accepts=frozenset({"items"}))


def _merge_inputs(config: MergeConfig) -> tuple[PortSpec, ...]:
    return tuple(PortSpec(f"in{i}") for i in range(1, config.inputs + 1))


_SPECS = (
    NodeSpec("trigger", "Trigger", "Start", "Starts a run and emits one item: the variables or the payload.",
             TriggerConfig, (), (_OUT, _ERROR)),
    NodeSpec("api_call", "API call", "API", "Calls an entity of a connection for each incoming item.",
             ApiCallConfig, _IN, (_OUT, _ERROR)),
    NodeSpec("lookup", "Lookup", "API", "Joins items with reference data loaded once per run.",
             LookupConfig, _IN, (_OUT, PortSpec("missing", description="items without a match (inner mode)"),
                                 _ERROR)),
    NodeSpec("webhook_out", "Webhook out", "API", "Sends each item as a signed POST.",
             WebhookOutConfig, _IN, (_OUT, _ERROR)),
    NodeSpec("condition", "Condition", "Logic", "Routes items by an expression.",
             ConditionConfig, _IN, (PortSpec("true"), PortSpec("false"), _ERROR)),
    NodeSpec("loop", "Loop", "Logic", "For each element of a list, or while an expression holds.",
             LoopConfig, (PortSpec("in"), _AGAIN), (PortSpec("each"), PortSpec("done"), _ERROR)),
    NodeSpec("merge", "Merge", "Logic", "Waits for parallel branches and joins their items.",
             MergeConfig, (PortSpec("in1"), PortSpec("in2")), (_OUT, _ERROR), dynamic_inputs=_merge_inputs),
    NodeSpec("delay", "Delay", "Logic", "Holds items for a while.", DelayConfig, _IN, (_OUT, _ERROR)),
    NodeSpec("transform", "Transform", "Data", "Sets, renames, picks and drops fields.",
             TransformConfig, _IN, (_OUT, _ERROR)),
    NodeSpec("collect", "Collect", "Data", "Gathers every item into one list.", CollectConfig, _IN, (_OUT, _ERROR)),
    NodeSpec("output", "Output file", "Data", "Writes items to a JSON Lines, CSV or JSON file.",
             OutputConfig, _IN, (_OUT, _ERROR)),
)

NODE_SPECS: dict[str, NodeSpec] = {spec.type: spec for spec in _SPECS}
"""Every node type by name, in palette order."""


def node_spec(node_type: str) -> NodeSpec | None:
    """The spec of ``node_type``, or ``None`` when there is no such type."""
    return NODE_SPECS.get(node_type)
