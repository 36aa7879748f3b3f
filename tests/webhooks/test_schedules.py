"""Schedule triggers on a fake clock: firing at cron times (in a time zone), catch-up once, no overlap; and the
cron helper itself."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from flowdesk.model.errors import InvalidConfigError
from flowdesk.model.schedules import CronSchedule, InvalidScheduleError
from flowdesk.workspace._schedules import ScheduledTrigger, Scheduler, SchedulerHooks

from .conftest import FakeClock, at, make_flow

# --- cron ----------------------------------------------------------------------------------------------


def test_next_and_previous_fire_times_in_a_time_zone():
    weekdays_at_nine = CronSchedule("0 9 * * MON-FRI", "Europe/Berlin")
    friday_noon = at("2026-03-27 12:00")
    assert weekdays_at_nine.next_after(friday_noon) == at("2026-03-30 07:00"), "Monday 9:00 CEST"
    assert weekdays_at_nine.previous_at_or_before(friday_noon) == at("2026-03-27 08:00"), "Friday 9:00 CET"
    every_five = CronSchedule("*/5 * * * *")
    assert every_five.next_after(at("2026-03-27 12:05")) == at("2026-03-27 12:10"), "strictly after"
    assert every_five.previous_at_or_before(at("2026-03-27 12:05")) == at("2026-03-27 12:05"), "at or before"


def test_a_time_skipped_by_daylight_saving_runs_at_the_next_valid_minute():
    assert CronSchedule("30 2 * * *", "Europe/Berlin").next_after(at("2026-03-28 12:00")) == at("2026-03-29 01:00")


@pytest.mark.parametrize(
    ("cron", "zone", "words"),
    [
        ("* * * *", None, "has 4 field(s); it needs 5"),
        ("0 0 * * * *", None, "has 6 field(s)"),
        ("61 * * * *", None, "Bad minute"),
        ("* * * * *", "Mars/Olympus_Mons", "not an IANA time zone"),
    ],
)
def test_bad_schedules_say_what_is_wrong(cron, zone, words):
    with pytest.raises(InvalidScheduleError, match=words.replace("(", r"\(").replace(")", r"\)")):
        CronSchedule(cron, zone)


def test_a_flow_with_a_bad_cron_or_zone_does_not_validate(workspace):
    trigger = {"id": "t", "type": "trigger", "kind": "schedule", "cron": "every day", "timezone": "Nowhere"}
    flow = make_flow("bad", [trigger])
    with pytest.raises(InvalidConfigError) as caught:
        workspace.validate_flow(flow)
    where = dict(caught.value.problems)
    assert "has 2 field(s)" in where["nodes[t].config.cron"]
    assert "IANA" in where["nodes[t].config.timezone"]


# --- the scheduler's rules, with fake hooks -------------------------------------------------------------


class FakeHooks:
    def __init__(self, *triggers: ScheduledTrigger) -> None:
        self.list = list(triggers)
        self.state_: dict[tuple[str, str], float] = {}
        self.fired: list[tuple[str, datetime]] = []
        self.busy: set[str] = set()
        self.other_process_wins = False

    def claim(self, trigger: ScheduledTrigger, expected: float | None, new: float) -> bool:
        if self.other_process_wins or self.state_.get(trigger.key) != expected:
            return False
        self.state_[trigger.key] = new
        return True

    def hooks(self) -> SchedulerHooks:
        return SchedulerHooks(
            triggers=lambda: self.list,
            state=lambda: dict(self.state_),
            claim=self.claim,
            fire=lambda trigger, when: self.fired.append((trigger.flow, when)),
            running=lambda flow: flow in self.busy,
        )


def hourly(**options: Any) -> ScheduledTrigger:
    return ScheduledTrigger(flow="report", node_id="t", schedule=CronSchedule("0 * * * *"), **options)


def scheduler(fake: FakeHooks, now: datetime, log: list[str] | None = None) -> tuple[Scheduler, list[datetime]]:
    clock = [now]
    return Scheduler(fake.hooks(), now=lambda: clock[0], log=(log if log is not None else []).append), clock


def test_a_new_trigger_starts_counting_from_now_then_fires_on_time():
    fake = FakeHooks(hourly())
    sched, clock = scheduler(fake, at("2026-03-02 09:30"))
    sched.tick()
    assert fake.fired == [] and fake.state_[("report", "t")] == at("2026-03-02 09:30").timestamp()
    clock[0] = at("2026-03-02 10:00:00.2")
    sched.tick()
    sched.tick()
    assert fake.fired == [("report", at("2026-03-02 10:00"))], "once per fire time"


def test_missed_times_are_skipped_without_catch_up_and_run_once_with_it():
    for catch_up, expected in ((False, []), (True, [("report", at("2026-03-02 12:00"))])):
        fake = FakeHooks(hourly(catch_up=catch_up))
        fake.state_[("report", "t")] = at("2026-03-02 09:00").timestamp()
        log: list[str] = []
        sched, _ = scheduler(fake, at("2026-03-02 12:30"), log)
        sched.tick()
        sched.tick()
        assert fake.fired == expected
        assert fake.state_[("report", "t")] == at("2026-03-02 12:00").timestamp()
        assert ("catching up" if catch_up else "catch_up is off") in log[0]


def test_a_fire_while_the_previous_run_goes_on_is_skipped_unless_overlap_is_allowed():
    for allow, fired in ((False, 0), (True, 1)):
        fake = FakeHooks(hourly(allow_overlap=allow))
        fake.state_[("report", "t")] = at("2026-03-02 09:00").timestamp()
        fake.busy.add("report")
        log: list[str] = []
        sched, _ = scheduler(fake, at("2026-03-02 10:00:01"), log)
        sched.tick()
        assert len(fake.fired) == fired
        assert ("still going" in " ".join(log)) is (not allow)


def test_a_time_another_process_claimed_is_not_fired_here():
    fake = FakeHooks(hourly())
    fake.state_[("report", "t")] = at("2026-03-02 09:00").timestamp()
    fake.other_process_wins = True
    sched, _ = scheduler(fake, at("2026-03-02 10:00:01"))
    sched.tick()
    assert fake.fired == []


def test_the_scheduler_sleeps_until_the_next_fire_time_but_never_long():
    sched, _ = scheduler(FakeHooks(), at("2026-03-02 09:59:50"))
    assert sched.wait_s([hourly()], at("2026-03-02 09:59:50")) == 10
    assert sched.wait_s([hourly()], at("2026-03-02 09:00:00")) == 30, "flows saved meanwhile are noticed"
    assert sched.wait_s([], at("2026-03-02 09:00:00")) == 30


# --- through the workspace, on a fake clock -----------------------------------------------------------


def scheduled_flow(name: str = "report", **trigger: Any) -> Any:
    config = {"kind": "schedule", "cron": "*/15 * * * *", "variables": {"region": "eu"}, **trigger}
    return make_flow(
        name,
        [{"id": "tick", "type": "trigger", **config}, {"id": "out", "type": "transform", "set": {"ran": True}}],
        [("tick.out", "out.in")],
        variables={"team": "ops"},
    )


async def serve(workspace, clock: FakeClock, runs, log: list[str] | None = None):  # type: ignore[no-untyped-def]
    return asyncio.create_task(
        workspace.serve_schedules(
            now=clock.now, sleep=clock.sleep, on_run=runs, log=(log if log is not None else []).append
        )
    )


async def stop(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_cron_trigger_fires_within_the_window_with_scheduled_at(workspace, runs):
    workspace.save_flow(scheduled_flow(timezone="Europe/Berlin"))
    clock = FakeClock(at("2026-03-02 09:07"), stop_at=at("2026-03-02 09:20"))
    task = await serve(workspace, clock, runs)

    (run,) = await runs.wait(1)
    await asyncio.wait_for(clock.stopped.wait(), 5)
    await stop(task)

    assert (run.flow, run.trigger, run.status) == ("report", "schedule", "succeeded")
    (info,) = workspace.list_runs()
    assert info.trigger == "schedule" and info.id == run.run_id
    out = next(n for n in workspace.get_run(run.run_id).nodes if n.node_id == "out")
    assert out.sample == [{"team": "ops", "region": "eu", "scheduled_at": "2026-03-02T09:15:00Z", "ran": True}]
    assert max(clock.sleeps) <= 30, "wakes at least every 30 s to notice flows saved meanwhile"


async def test_on_fire_is_told_as_each_scheduled_run_starts(workspace, runs):
    workspace.save_flow(scheduled_flow())
    clock = FakeClock(at("2026-03-02 09:07"), stop_at=at("2026-03-02 09:20"))
    fired: list[tuple[str, datetime]] = []
    task = asyncio.create_task(
        workspace.serve_schedules(now=clock.now, sleep=clock.sleep, on_run=runs, on_fire=lambda *a: fired.append(a))
    )
    await runs.wait(1)
    await stop(task)
    assert fired == [("report", at("2026-03-02 09:15"))]


async def test_it_keeps_firing_at_every_time_in_the_window(workspace, runs):
    workspace.save_flow(scheduled_flow())
    clock = FakeClock(at("2026-03-02 09:07"), stop_at=at("2026-03-02 10:10"))
    task = await serve(workspace, clock, runs)
    await asyncio.wait_for(clock.stopped.wait(), 5)
    await runs.wait(4)
    await stop(task)
    stamps = [workspace.get_run(r.run_id).nodes for r in runs.finished]
    assert len(runs.finished) == 4 and len(workspace.list_runs()) == 4  # 9:15, 9:30, 9:45, 10:00
    assert all(nodes for nodes in stamps)


@pytest.mark.parametrize("catch_up", [True, False])
async def test_a_missed_schedule_runs_once_at_the_next_start_only_with_catch_up(workspace, runs, catch_up):
    workspace.save_flow(scheduled_flow(catch_up=catch_up))
    workspace.store.claim_schedule(
        workspace.name, "report", "tick", expected=None, last_fired_at=at("2026-03-01 22:00").timestamp()
    )  # the last time something served this schedule: 45 fire times were missed since
    clock = FakeClock(at("2026-03-02 09:07"), stop_at=at("2026-03-02 09:14"))
    log: list[str] = []
    task = await serve(workspace, clock, runs, log)
    await asyncio.wait_for(clock.stopped.wait(), 5)
    if catch_up:
        (run,) = await runs.wait(1)
        out = next(n for n in workspace.get_run(run.run_id).nodes if n.node_id == "out")
        assert out.sample[0]["scheduled_at"] == "2026-03-02T09:00:00Z", "the newest missed time"
    await stop(task)

    assert len(workspace.list_runs()) == (1 if catch_up else 0)
    assert log == [
        "report (tick): catching up the run due at 2026-03-02T09:00:00Z" if catch_up
        else "report (tick): skipped the run due at 2026-03-02T09:00:00Z (missed; catch_up is off)"
    ]
    (schedule,) = workspace.schedules(at("2026-03-02 09:14"))
    assert schedule.last_fired_at == at("2026-03-02 09:00") and schedule.next_at == at("2026-03-02 09:15")


async def test_a_new_schedule_does_not_catch_up_times_before_it_was_first_seen(workspace, runs):
    workspace.save_flow(scheduled_flow(catch_up=True))
    clock = FakeClock(at("2026-03-02 09:07"), stop_at=at("2026-03-02 09:14"))
    task = await serve(workspace, clock, runs)
    await asyncio.wait_for(clock.stopped.wait(), 5)
    await stop(task)
    assert workspace.list_runs() == []


async def test_no_two_runs_of_a_flow_overlap_unless_allowed(workspace, runs, http_server):
    from aiohttp import web

    release = asyncio.Event()
    arrived: list[int] = []

    async def slow(request: web.Request) -> web.Response:
        arrived.append(1)
        await release.wait()
        return web.json_response({})

    base = await http_server(slow)
    for name, allow in (("serial", False), ("parallel", True)):
        flow = make_flow(
            name,
            [{"id": "tick", "type": "trigger", "kind": "schedule", "cron": "*/15 * * * *", "allow_overlap": allow},
             {"id": "send", "type": "webhook_out", "url": f"{base}/slow"}],
            [("tick.out", "send.in")],
        )
        workspace.save_flow(flow)
    clock = FakeClock(at("2026-03-02 09:07"), stop_at=at("2026-03-02 09:40"))
    log: list[str] = []
    task = await serve(workspace, clock, runs, log)
    await asyncio.wait_for(clock.stopped.wait(), 5)

    async def three_posts() -> None:  # serial's 9:15, parallel's 9:15 and 9:30
        while len(arrived) < 3:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(three_posts(), 5)
    release.set()
    done = await runs.wait(3)
    await stop(task)

    assert sorted(r.flow for r in done) == ["parallel", "parallel", "serial"]
    assert {r.status for r in done} == {"succeeded"}
    assert log == ["serial (tick): skipped the run due at 2026-03-02T09:30:00Z: the previous run is still going"]


async def test_stopping_the_scheduler_cancels_runs_still_going_and_records_them(workspace, runs, http_server):
    from aiohttp import web

    arrived = asyncio.Event()

    async def never(request: web.Request) -> web.Response:
        arrived.set()
        await asyncio.Event().wait()
        return web.json_response({})

    base = await http_server(never)
    workspace.save_flow(
        make_flow(
            "stuck",
            [{"id": "tick", "type": "trigger", "kind": "schedule", "cron": "*/15 * * * *"},
             {"id": "send", "type": "webhook_out", "url": f"{base}/x"}],
            [("tick.out", "send.in")],
        )
    )
    clock = FakeClock(at("2026-03-02 09:07"), stop_at=at("2026-03-02 09:20"))
    task = await serve(workspace, clock, runs)
    await asyncio.wait_for(arrived.wait(), 5)
    await stop(task)

    (info,) = workspace.list_runs()
    assert info.status == "cancelled" and info.trigger == "schedule"


def test_schedules_lists_next_fire_times(workspace):
    workspace.save_flow(scheduled_flow(timezone="America/New_York", cron="0 9 * * *"))
    workspace.save_flow(make_flow("manual", [{"id": "t", "type": "trigger"}]))
    (info,) = workspace.schedules(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    assert (info.flow, info.node_id, info.cron, info.timezone) == ("report", "tick", "0 9 * * *", "America/New_York")
    assert info.next_at == at("2026-03-03 14:00") and info.last_fired_at is None
