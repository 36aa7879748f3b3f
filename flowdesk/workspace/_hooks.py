"""Webhooks and schedules of a workspace: registering hooks, serving them, and running scheduled flows.

A mixin of :class:`~flowdesk.workspace.Workspace` (it uses the workspace's store, flows and ``run_flow``).
Runs started here are recorded like any other, with trigger ``webhook`` or ``schedule``; the trigger node
emits the delivery (payload fields plus ``headers``) or ``{scheduled_at, …variables}``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flowdesk.model.errors import FlowdeskError, NotFoundError
from flowdesk.model.schedules import CronSchedule
from flowdesk.store import FlowInfo, Store, WebhookInfo
from flowdesk.webhooks import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    Delivery,
    HookSpec,
    WebhookReceiver,
    check_style,
    serve_until_cancelled,
)
from flowdesk.workspace._access import requires
from flowdesk.workspace._schedules import (
    ScheduledTrigger,
    ScheduleInfo,
    Scheduler,
    SchedulerHooks,
    iso_utc,
    utc_now,
)
from flowdesk.workspace._triggers import OnRun, RunTasks, trigger_nodes

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from flowdesk.engine import FlowRunner, RunResult
    from flowdesk.model.flow import Flow

ENV_PREFIX = "env:"
"""A ``secret_ref`` of ``env:NAME`` reads the secret from the environment variable NAME."""


class HookServices:
    """The webhook and schedule part of the workspace API."""

    if TYPE_CHECKING:  # provided by Workspace
        store: Store

        @property
        def name(self) -> str: ...
        def list_flows(self) -> list[FlowInfo]: ...
        def get_flow(self, name: str) -> Flow: ...
        def _audit(self, action: str, target: str, detail: dict[str, Any] | None = None) -> None: ...
        async def run_flow(
            self,
            flow: Flow,
            *,
            variables: Mapping[str, Any] | None = None,
            trigger: str = "manual",
            on_event: Callable[[Any], None] | None = None,
            on_start: Callable[[FlowRunner], None] | None = None,
            start_at: str | None = None,
            start_inputs: Mapping[str, list[dict[str, Any]]] | None = None,
            capture_inputs: int = 0,
        ) -> RunResult: ...

    # --- registered webhooks -------------------------------------------------------------------------

    @requires("admin", "adding webhooks")
    def add_webhook(self, name: str, style: str = "generic", *, secret: str, replace: bool = False) -> None:
        """Register the inbound webhook ``name`` (``POST /hooks/<name>``) with its signing secret.

        The secret is sealed in the store and never shown again; the audit trail records the name and style.

        Raises:
            UserError: a bad name or style, or an empty secret.
            ConflictError: the name is taken (and ``replace`` is not set).
        """
        self.store.add_webhook(self.name, name, check_style(style), secret, replace=replace)
        self._audit("webhook.replace" if replace else "webhook.add", name, {"style": style})

    @requires("viewer", "listing webhooks")
    def list_webhooks(self) -> list[WebhookInfo]:
        return self.store.list_webhooks(self.name)

    @requires("admin", "removing webhooks")
    def remove_webhook(self, name: str) -> None:
        """Raises: NotFoundError."""
        self.store.remove_webhook(self.name, name)
        self._audit("webhook.remove", name)

    @requires("editor", "signing webhooks")
    def webhook_secret(self, ref: str) -> str:
        """The signing secret ``ref`` names: a registered webhook, or ``env:NAME`` (an environment variable).

        This is what ``webhook_out`` nodes sign with (the engine asks its provider for it).

        Raises:
            NotFoundError: no such webhook, or the variable is not set.
        """
        if ref.startswith(ENV_PREFIX):
            variable = ref[len(ENV_PREFIX) :]
            value = os.environ.get(variable)
            if not value:
                raise NotFoundError(f"the environment variable {variable!r} (secret_ref {ref!r}) is not set")
            return value
        return self.store.webhook_secret(self.name, ref)

    @requires("viewer", "listing webhooks")
    def flows_listening(self, hook: str) -> list[tuple[Flow, str]]:
        """``(flow, trigger node id)`` of every stored flow with a ``webhook`` trigger on ``hook``."""
        found: list[tuple[Flow, str]] = []
        for info in self.list_flows():
            try:
                flow = self.get_flow(info.name)
            except FlowdeskError:
                continue
            found.extend((flow, node_id) for node_id, config in trigger_nodes(flow, "webhook") if config.hook == hook)
        return found

    # --- serving webhooks ----------------------------------------------------------------------------

    @requires("editor", "serving webhooks (it runs flows)")
    def webhook_receiver(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        on_run: OnRun | None = None,
        log: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> tuple[WebhookReceiver, RunTasks]:
        """A receiver (not started) whose deliveries start the listening flows, and the tasks of those runs.

        Hooks and flows are looked up per delivery, so hooks added and flows saved while it serves count.
        """
        runs = RunTasks(on_run)

        def find_hook(name: str) -> HookSpec | None:
            try:
                info = self.store.get_webhook(self.name, name)
            except NotFoundError:
                return None
            return HookSpec(info.name, info.style, self.store.webhook_secret(self.name, name))

        async def deliver(delivery: Delivery) -> list[str]:
            started = []
            for flow, node_id in self.flows_listening(delivery.hook):
                item = delivery.item
                runs.start(flow.name, node_id, "webhook", _runner(self, flow, node_id, "webhook", item))
                started.append(flow.name)
            return started

        return WebhookReceiver(find_hook, deliver, host=host, port=port, clock=clock, log=log), runs

    @requires("editor", "serving webhooks (it runs flows)")
    async def serve_webhooks(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        on_run: OnRun | None = None,
        *,
        on_ready: Callable[[str], None] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        """Serve ``POST /hooks/<name>`` until the awaiting task is cancelled; runs still going are then
        cancelled (and recorded so). ``on_ready(base_url)`` is called once the socket listens.

        Raises:
            OSError: the port is taken or the host cannot be bound.
        """
        receiver, runs = self.webhook_receiver(host, port, on_run=on_run, log=log)
        try:
            await serve_until_cancelled(receiver, on_ready)
        finally:
            await runs.cancel_all()

    # --- schedules -----------------------------------------------------------------------------------

    @requires("viewer", "listing schedules")
    def scheduled_triggers(self) -> list[ScheduledTrigger]:
        """Every ``schedule`` trigger of the stored flows."""
        found = []
        for info in self.list_flows():
            try:
                flow = self.get_flow(info.name)
            except FlowdeskError:
                continue
            for node_id, config in trigger_nodes(flow, "schedule"):
                assert config.cron is not None  # the config's own validation
                found.append(
                    ScheduledTrigger(
                        flow=flow.name,
                        node_id=node_id,
                        schedule=CronSchedule(config.cron, config.timezone),
                        catch_up=config.catch_up,
                        allow_overlap=config.allow_overlap,
                        variables={**flow.variables, **config.variables},
                    )
                )
        return found

    @requires("viewer", "listing schedules")
    def schedules(self, now: datetime | None = None) -> list[ScheduleInfo]:
        """The schedules with their next fire time after ``now`` (default: now)."""
        moment = now or utc_now()
        state = self.store.schedule_state(self.name)
        listed = []
        for trigger in self.scheduled_triggers():
            last = state.get(trigger.key)
            listed.append(
                ScheduleInfo(
                    flow=trigger.flow,
                    node_id=trigger.node_id,
                    cron=trigger.schedule.cron,
                    timezone=trigger.schedule.timezone or "UTC",
                    next_at=trigger.schedule.next_after(moment),
                    last_fired_at=None if last is None else datetime.fromtimestamp(last, moment.tzinfo),
                    catch_up=trigger.catch_up,
                    allow_overlap=trigger.allow_overlap,
                )
            )
        return listed

    @requires("editor", "running scheduled flows")
    def scheduler(
        self,
        *,
        now: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        on_run: OnRun | None = None,
        on_fire: Callable[[str, datetime], None] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> tuple[Scheduler, RunTasks]:
        """A scheduler for this workspace's flows (not running) and the tasks of the runs it starts.

        ``on_fire(flow, scheduled_at)`` is told as each run starts; ``on_run`` when it has ended.
        """
        runs = RunTasks(on_run)

        def claim(trigger: ScheduledTrigger, expected: float | None, new: float) -> bool:
            return self.store.claim_schedule(
                self.name, trigger.flow, trigger.node_id, expected=expected, last_fired_at=new
            )

        def fire(trigger: ScheduledTrigger, scheduled_at: datetime) -> None:
            try:
                flow = self.get_flow(trigger.flow)
            except FlowdeskError as exc:
                if log is not None:
                    log(f"{trigger.flow}: cannot run: {exc.message}")
                return
            item = {**trigger.variables, "scheduled_at": iso_utc(scheduled_at)}
            runs.start(flow.name, trigger.node_id, "schedule", _runner(self, flow, trigger.node_id, "schedule", item))
            if on_fire is not None:
                on_fire(flow.name, scheduled_at)

        hooks = SchedulerHooks(
            triggers=self.scheduled_triggers,
            state=lambda: self.store.schedule_state(self.name),
            claim=claim,
            fire=fire,
            running=runs.running,
        )
        timing: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        return Scheduler(hooks, now=now, log=log, **timing), runs

    @requires("editor", "running scheduled flows")
    async def serve_schedules(
        self,
        *,
        now: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        on_run: OnRun | None = None,
        on_fire: Callable[[str, datetime], None] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        """Run scheduled flows until the awaiting task is cancelled (runs still going are then cancelled).

        ``now`` and ``sleep`` are the clock (aware datetimes) and the wait; tests pass fakes. ``on_fire(flow,
        scheduled_at)`` is told as each run starts, ``on_run`` how it ended.
        """
        scheduler, runs = self.scheduler(now=now, sleep=sleep, on_run=on_run, on_fire=on_fire, log=log)
        try:
            await scheduler.run()
        finally:
            await runs.cancel_all()


def _runner(
    workspace: HookServices, flow: Flow, node_id: str, trigger: str, item: dict[str, Any]
) -> Callable[[], Awaitable[RunResult]]:
    """A run of ``flow`` from its trigger ``node_id``, which emits ``item``."""

    def run() -> Awaitable[RunResult]:
        return workspace.run_flow(flow, trigger=trigger, start_at=node_id, start_inputs={"out": [item]})

    return run

