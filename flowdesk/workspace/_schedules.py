"""The scheduler: fires ``schedule`` triggers at their cron times, on any asyncio loop.

Each pass looks at every schedule trigger of the stored flows (so flows saved meanwhile are picked up) and at
the store's schedule state -- up to which fire time each trigger has been handled:

* a trigger seen for the first time starts counting from now (nothing before it is "missed");
* a fire time at most :data:`GRACE_S` old is on time and runs (older ones due with it are folded into
  that one run);
* fire times that passed while nothing was serving the schedule (or the machine slept) are missed: with
  ``catch_up: true`` they run once, with the newest of them as ``scheduled_at``; otherwise they are skipped;
* a fire while the flow's previous scheduled run is still going is skipped unless ``allow_overlap: true``.

Advancing a trigger's state is a compare-and-set in the store, so two processes serving the same data dir
(the window and ``flowdesk schedule serve``) never both fire the same time. Clock and sleep are injected:
tests run days of schedule in milliseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flowdesk.model.schedules import CronSchedule

GRACE_S = 60.0
"""How late a fire time may be handled and still count as on time (not missed)."""
MAX_SLEEP_S = 30.0
"""The longest the scheduler sleeps between passes (to notice flows saved meanwhile)."""
MIN_SLEEP_S = 0.01


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """``2026-11-24T09:00:00Z``: what ``scheduled_at`` holds."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ScheduledTrigger:
    """One ``schedule`` trigger of a stored flow. ``variables``: the flow's, then the trigger's."""

    flow: str
    node_id: str
    schedule: CronSchedule
    catch_up: bool = False
    allow_overlap: bool = False
    variables: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.flow, self.node_id


@dataclass(frozen=True)
class ScheduleInfo:
    """A schedule for listings: when it fires next and when it was last handled."""

    flow: str
    node_id: str
    cron: str
    timezone: str
    next_at: datetime | None
    last_fired_at: datetime | None
    catch_up: bool
    allow_overlap: bool


@dataclass
class SchedulerHooks:
    """What the scheduler needs from the workspace."""

    triggers: Callable[[], list[ScheduledTrigger]]
    state: Callable[[], dict[tuple[str, str], float]]
    claim: Callable[[ScheduledTrigger, float | None, float], bool]
    """Advance a trigger's state from the value read (``None``: no state yet) to a new fire time; ``False``
    when another process got there first."""
    fire: Callable[[ScheduledTrigger, datetime], None]
    """Start a run (without waiting for it)."""
    running: Callable[[str], bool]
    """Whether a run of the flow started by this scheduler is still going."""


class Scheduler:
    """Fires schedule triggers; :meth:`run` until cancelled, or :meth:`tick` once."""

    def __init__(
        self,
        hooks: SchedulerHooks,
        *,
        now: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self._hooks = hooks
        self._now = now
        self._sleep = sleep
        self._log = log

    async def run(self) -> None:
        """Pass, sleep until the next fire time (at most :data:`MAX_SLEEP_S`), repeat; until cancelled."""
        while True:
            triggers = self.tick()
            await self._sleep(self.wait_s(triggers, self._now()))

    def wait_s(self, triggers: list[ScheduledTrigger], now: datetime) -> float:
        upcoming = [t.schedule.next_after(now) for t in triggers]
        soonest = min((at for at in upcoming if at is not None), default=None)
        if soonest is None:
            return MAX_SLEEP_S
        return min(MAX_SLEEP_S, max(MIN_SLEEP_S, (soonest - now).total_seconds()))

    def tick(self) -> list[ScheduledTrigger]:
        """One pass over every trigger at the current time; returns the triggers seen."""
        now = self._now()
        triggers = self._hooks.triggers()
        state = self._hooks.state()
        for trigger in triggers:
            self._consider(trigger, state.get(trigger.key), now)
        return triggers

    def _consider(self, trigger: ScheduledTrigger, last: float | None, now: datetime) -> None:
        name = f"{trigger.flow} ({trigger.node_id})"
        if last is None:
            self._hooks.claim(trigger, None, now.timestamp())
            return
        newest = trigger.schedule.previous_at_or_before(now)
        if newest is None or newest.timestamp() <= last:
            return
        first_due = trigger.schedule.next_after(datetime.fromtimestamp(last, UTC))
        on_time = (now - newest).total_seconds() <= GRACE_S
        missed_others = first_due is not None and first_due < newest
        if not self._hooks.claim(trigger, last, newest.timestamp()):
            return  # another process serving this data dir handles it
        if not on_time and not trigger.catch_up:
            self._note(f"{name}: skipped the run due at {iso_utc(newest)} (missed; catch_up is off)")
            return
        if not trigger.allow_overlap and self._hooks.running(trigger.flow):
            self._note(f"{name}: skipped the run due at {iso_utc(newest)}: the previous run is still going")
            return
        if not on_time:
            self._note(f"{name}: catching up the run due at {iso_utc(newest)}")
        elif missed_others:
            self._note(f"{name}: earlier missed runs folded into the one due at {iso_utc(newest)}")
        self._hooks.fire(trigger, newest)

    def _note(self, line: str) -> None:
        if self._log is not None:
            self._log(line)
