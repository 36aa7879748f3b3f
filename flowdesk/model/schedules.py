"""Cron schedules of ``schedule`` triggers: checking an expression and finding its fire times.

A schedule is a classic 5-field cron expression (minute, hour, day of month, month, day of week; names such
as ``MON`` and ``JAN`` allowed) read in an IANA time zone (``Europe/Berlin``; UTC when none is given), so
``0 9 * * MON-FRI`` means 9:00 on weekdays where the user lives, daylight saving time included. The
arithmetic is cronsim's (it follows Debian cron on DST changes: a skipped 2:30 runs at 3:00, a repeated
one runs once). Fire times are returned as aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["CronSchedule", "InvalidScheduleError"]


class InvalidScheduleError(ValueError):
    """A cron expression or time zone that cannot be used; the message says which part is wrong."""


def _zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidScheduleError(
            f"timezone {name!r} is not an IANA time zone name (such as Europe/Berlin, America/New_York or UTC)"
        ) from None


@dataclass(frozen=True)
class CronSchedule:
    """A checked cron expression in a time zone.

    Raises (on creation):
        InvalidScheduleError: the expression does not have 5 fields, a field is out of range, or the time
            zone is unknown.
    """

    cron: str
    timezone: str | None = None

    def __post_init__(self) -> None:
        fields = self.cron.split()
        if len(fields) != 5:
            raise InvalidScheduleError(
                f"cron {self.cron!r} has {len(fields)} field(s); it needs 5: minute hour day-of-month month "
                "day-of-week (for example '*/15 * * * *' or '0 9 * * MON-FRI')"
            )
        zone = _zone(self.timezone)
        from cronsim import CronSim, CronSimError  # only flows with a schedule trigger need it

        try:
            CronSim(self.cron, datetime(2000, 1, 1, tzinfo=zone))
        except CronSimError as exc:
            raise InvalidScheduleError(f"cron {self.cron!r}: {exc}") from None

    @property
    def zone(self) -> tzinfo:
        return _zone(self.timezone)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time strictly after ``moment`` (aware), in UTC; ``None`` if there is none."""
        from cronsim import CronSim

        local = _aware(moment).astimezone(self.zone)
        try:
            found = next(CronSim(self.cron, local))
        except StopIteration:  # an expression such as "0 0 30 2 *" never fires
            return None
        return found.astimezone(UTC)

    def previous_at_or_before(self, moment: datetime) -> datetime | None:
        """The newest fire time not later than ``moment``, in UTC; ``None`` if there is none."""
        from cronsim import CronSim

        local = (_aware(moment) + timedelta(seconds=1)).astimezone(self.zone).replace(microsecond=0)
        try:
            found = next(CronSim(self.cron, local, reverse=True))
        except StopIteration:
            return None
        return found.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC (flowdesk stores UTC epoch seconds)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
